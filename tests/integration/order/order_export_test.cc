// ExportOrders (ORD-10) against real PostgreSQL: the three layouts, the
// ListOrders filters, hostile strings, the store's time zone, paging past
// one page, bad input and a customer caller.
#include <regex>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/csv_reader.h"
#include "libs/core/ids.h"
#include "tests/integration/order/order_fixture.h"

namespace store::order {
namespace {

struct Csv {
  std::string content_type;
  std::string file_name;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  // The value of a column in a row.
  std::string At(size_t row, const std::string& column) const {
    auto it = std::find(header.begin(), header.end(), column);
    EXPECT_NE(it, header.end()) << column;
    return it == header.end() ? "" : rows[row][it - header.begin()];
  }
};

class OrderExportTest : public OrderServiceFixture {
 protected:
  grpc::Status Export(const v1::ExportOrdersRequest& req, Csv* out,
                      std::unique_ptr<grpc::ClientContext> ctx = Ctx()) {
    auto reader = stub_->ExportOrders(ctx.get(), req);
    v1::DocumentChunk chunk;
    CsvReader csv;
    bool first = true;
    while (reader->Read(&chunk)) {
      if (first) {
        out->content_type = chunk.content_type();
        out->file_name = chunk.file_name();
        first = false;
      }
      csv.Feed(chunk.data());
    }
    csv.Finish();
    CsvReader::Record r;
    while (csv.Next(r)) {
      EXPECT_TRUE(r.ok()) << r.error;
      if (out->header.empty()) {
        out->header = r.fields;
      } else {
        EXPECT_EQ(r.fields.size(), out->header.size()) << "record " << r.number;
        out->rows.push_back(r.fields);
      }
    }
    return reader->Finish();
  }

  Csv Exported(v1::OrderExportLayout layout, const v1::OrderFilter& filter = {}) {
    v1::ExportOrdersRequest req;
    req.set_layout(layout);
    *req.mutable_filter() = filter;
    Csv out;
    grpc::Status s = Export(req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  int Listed(const v1::OrderFilter& filter) {
    v1::ListOrdersRequest req;
    *req.mutable_filter() = filter;
    req.set_page_size(1000);
    v1::ListOrdersResponse resp;
    EXPECT_TRUE(stub_->ListOrders(Ctx().get(), req, &resp).ok());
    EXPECT_TRUE(resp.next_page_token().empty());
    return resp.orders_size();
  }
};

TEST_F(OrderExportTest, OrdersLinesAndProductsAgreeWithTheListAndKeepHostileStringsInert) {
  // 10001: a hostile name and note, two lines, paid, one unit refunded.
  v1::PlaceOrderRequest a = GuestOrder("ann@example.com", 1250, 2);
  a.mutable_customer()->set_name("=HYPERLINK(\"http://evil.example\",\"x\")");
  a.set_customer_note("Leave it \"behind\" the gate,\nthank you");
  a.mutable_shipping_address()->set_name("Zoë Łukasiewicz 李");
  auto* tee = a.add_items();
  tee->set_sku("TEE-1");
  tee->set_name("+SUM(A1:A9)");
  tee->set_quantity(1);
  tee->mutable_unit_price()->set_amount_minor(2000);
  v1::Order oa = Pay(Place(a));
  v1::RefundOrderRequest refund;
  refund.set_order_id(oa.id());
  refund.set_request_id(NewUuid());
  refund.set_reason("broken");
  auto* line = refund.add_lines();
  line->set_sku("MUG-1");
  line->set_quantity(1);
  v1::RefundOrderResponse refunded;
  ASSERT_TRUE(stub_->RefundOrder(Ctx().get(), refund, &refunded).ok());
  clock_.Advance(absl::Hours(1));
  // 10002: shipped. 10003: cancelled (sold nothing).
  Ship(Pay(Place(GuestOrder("bob@example.com", 1250, 3))));
  clock_.Advance(absl::Hours(1));
  v1::Order oc = Place(GuestOrder("cleo@example.com", 1250, 5));
  v1::CancelOrderRequest cancel;
  cancel.set_order_id(oc.id());
  cancel.set_reason("changed mind");
  v1::Order cancelled;
  ASSERT_TRUE(stub_->CancelOrder(Ctx().get(), cancel, &cancelled).ok());

  Csv orders = Exported(v1::ORDER_EXPORT_LAYOUT_ORDERS);
  EXPECT_EQ(orders.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(orders.file_name, "orders.csv");
  ASSERT_EQ(orders.rows.size(), 3u);
  EXPECT_EQ(static_cast<int>(orders.rows.size()), Listed({}));
  EXPECT_EQ(orders.At(0, "order_number"), "10001");  // oldest first
  EXPECT_EQ(orders.At(0, "customer_name"), "'=HYPERLINK(\"http://evil.example\",\"x\")");
  EXPECT_EQ(orders.At(0, "customer_note"), "Leave it \"behind\" the gate,\nthank you");
  EXPECT_EQ(orders.At(0, "shipping_name"), "Zoë Łukasiewicz 李");
  EXPECT_EQ(orders.At(0, "currency"), "USD");
  EXPECT_EQ(orders.At(0, "total"), "50.00");  // 25.00 + 20.00 + 5.00 shipping
  EXPECT_EQ(orders.At(0, "paid"), "50.00");
  EXPECT_EQ(orders.At(0, "refunded"), "12.50");
  EXPECT_EQ(orders.At(1, "status"), "shipped");
  EXPECT_EQ(orders.At(1, "tracking_number"), "1Z999AA10123456784");
  EXPECT_EQ(orders.At(2, "status"), "cancelled");
  // Times in the store's zone (Europe/Berlin): +01:00 or +02:00.
  EXPECT_TRUE(std::regex_match(orders.At(0, "created_at"),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00)")))
      << orders.At(0, "created_at");

  // A row per line, the order's fields on every one of them.
  Csv lines = Exported(v1::ORDER_EXPORT_LAYOUT_LINES);
  EXPECT_EQ(lines.file_name, "order-lines.csv");
  ASSERT_EQ(lines.rows.size(), 4u);
  for (size_t i = 0; i < lines.rows.size(); ++i) {
    EXPECT_FALSE(lines.At(i, "order_number").empty());
    EXPECT_FALSE(lines.At(i, "email").empty());
    EXPECT_FALSE(lines.At(i, "created_at").empty());
  }
  EXPECT_EQ(lines.At(0, "order_number"), "10001");
  EXPECT_EQ(lines.At(1, "order_number"), "10001");
  EXPECT_EQ(lines.At(1, "sku"), "TEE-1");
  EXPECT_EQ(lines.At(1, "name"), "'+SUM(A1:A9)");
  EXPECT_EQ(lines.At(0, "quantity_refunded"), "1");

  // Ordered products: the cancelled order sold nothing.
  Csv products = Exported(v1::ORDER_EXPORT_LAYOUT_PRODUCTS);
  EXPECT_EQ(products.file_name, "ordered-products.csv");
  ASSERT_EQ(products.rows.size(), 2u);
  EXPECT_EQ(products.At(0, "sku"), "MUG-1");
  EXPECT_EQ(products.At(0, "quantity_sold"), "5");
  EXPECT_EQ(products.At(0, "quantity_refunded"), "1");
  EXPECT_EQ(products.At(0, "net_quantity"), "4");
  EXPECT_EQ(products.At(0, "net_sales"), "50.00");  // 62.50 less the refunded 12.50
  EXPECT_EQ(products.At(0, "orders"), "2");
  EXPECT_EQ(products.At(0, "order_numbers"), "10001 10002");
  EXPECT_EQ(products.At(1, "sku"), "TEE-1");

  // Every ListOrders filter applies, with the same rows.
  v1::OrderFilter shipped;
  shipped.add_statuses(v1::ORDER_STATUS_SHIPPED);
  Csv only = Exported(v1::ORDER_EXPORT_LAYOUT_ORDERS, shipped);
  ASSERT_EQ(only.rows.size(), 1u);
  EXPECT_EQ(static_cast<int>(only.rows.size()), Listed(shipped));
  EXPECT_EQ(only.At(0, "order_number"), "10002");
  v1::OrderFilter by_query;
  by_query.set_query("cleo");
  EXPECT_EQ(Exported(v1::ORDER_EXPORT_LAYOUT_ORDERS, by_query).rows.size(), 1u);
  v1::OrderFilter asked_cancelled;
  asked_cancelled.add_statuses(v1::ORDER_STATUS_CANCELLED);
  Csv cancelled_products = Exported(v1::ORDER_EXPORT_LAYOUT_PRODUCTS, asked_cancelled);
  ASSERT_EQ(cancelled_products.rows.size(), 1u);
  EXPECT_EQ(cancelled_products.At(0, "order_numbers"), "10003");
}

TEST_F(OrderExportTest, AnExportLongerThanAPageHasEveryOrderOnce) {
  constexpr int kOrders = 2150;  // pages are 2000 orders
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kOrders; i += 4) Place(GuestOrder("bulk@example.com", 100 + i, 1));
    });
  }
  for (auto& t : threads) t.join();
  Csv all = Exported(v1::ORDER_EXPORT_LAYOUT_ORDERS);
  ASSERT_EQ(all.rows.size(), static_cast<size_t>(kOrders));
  std::set<std::string> numbers;
  for (size_t i = 0; i < all.rows.size(); ++i) numbers.insert(all.At(i, "order_number"));
  EXPECT_EQ(numbers.size(), static_cast<size_t>(kOrders));
}

TEST_F(OrderExportTest, BadInputNamesTheFieldAndACustomerMayNotExport) {
  Place(GuestOrder());
  v1::ExportOrdersRequest req;
  req.mutable_filter()->set_customer_id("not-a-uuid");
  Csv out;
  grpc::Status s = Export(req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("filter.customer_id"));
  EXPECT_TRUE(out.header.empty());  // nothing was streamed

  req.Clear();
  req.set_layout(static_cast<v1::OrderExportLayout>(9));
  s = Export(req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("layout"));

  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("x-actor", "customer:5b0c8c36-2f6e-4b8b-9b57-1a2a3b4c5d6e");
  ctx->AddMetadata("x-customer-id", "5b0c8c36-2f6e-4b8b-9b57-1a2a3b4c5d6e");
  s = Export(v1::ExportOrdersRequest(), &out, std::move(ctx));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace store::order
