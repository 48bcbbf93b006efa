// RenderPackingSlips and RenderPickList (ORD-11) against real PostgreSQL:
// a batch by ids and by filter, sorted, PDF read back with pdftotext, HTML,
// bad input and a customer caller.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/ids.h"
#include "libs/testing/pdf_tools.h"
#include "tests/integration/order/order_fixture.h"

namespace store::order {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Document {
  std::string content_type;
  std::string file_name;
  std::string bytes;
};

class OrderPackingTest : public OrderServiceFixture {
 protected:
  grpc::Status Render(bool pick_list, const v1::RenderPackingSlipsRequest& req, Document* out,
                      std::unique_ptr<grpc::ClientContext> ctx = Ctx()) {
    auto reader = pick_list ? stub_->RenderPickList(ctx.get(), req)
                            : stub_->RenderPackingSlips(ctx.get(), req);
    v1::DocumentChunk chunk;
    while (reader->Read(&chunk)) {
      if (!chunk.content_type().empty()) out->content_type = chunk.content_type();
      if (!chunk.file_name().empty()) out->file_name = chunk.file_name();
      out->bytes += chunk.data();
    }
    return reader->Finish();
  }
};

TEST_F(OrderPackingTest, ABatchOfSlipsAndItsPickList) {
  if (!store::testing::HaveTool("pdftotext")) GTEST_SKIP() << "poppler-utils is not installed";
  v1::PlaceOrderRequest r1 = GuestOrder("ann@example.com", 1250, 3);
  r1.mutable_shipping_address()->set_name("Zoë 李 Łukasiewicz");
  r1.set_customer_note("Leave it with the neighbour");
  v1::Order a = Pay(Place(r1));
  v1::RefundOrderRequest refund;
  refund.set_order_id(a.id());
  refund.set_request_id(NewUuid());
  refund.set_reason("one was broken");
  refund.add_lines()->set_sku("MUG-1");
  refund.mutable_lines(0)->set_quantity(1);
  v1::RefundOrderResponse refunded;
  ASSERT_TRUE(stub_->RefundOrder(Ctx().get(), refund, &refunded).ok());
  v1::PlaceOrderRequest r2 = GuestOrder("bob@example.com", 900, 1);
  r2.mutable_items(0)->set_sku("AAA-FIRST");
  r2.mutable_items(0)->set_name("First by sku");
  v1::Order b = Place(r2);
  v1::Order c = Place(GuestOrder("cleo@example.com", 1250, 4));

  v1::RenderPackingSlipsRequest req;
  req.add_order_ids(c.id());
  req.add_order_ids(a.id());
  req.add_order_ids(b.id());
  Document pdf;
  ASSERT_TRUE(Render(false, req, &pdf).ok());
  EXPECT_EQ(pdf.content_type, "application/pdf");
  EXPECT_EQ(pdf.file_name, "packing-slips.pdf");
  EXPECT_EQ(store::testing::PdfPages(store::testing::PdfInfo(pdf.bytes)), 3);
  std::string text = store::testing::PdfText(pdf.bytes);
  EXPECT_THAT(text, HasSubstr("Integration Shop"));
  EXPECT_THAT(text, HasSubstr("Zoë 李 Łukasiewicz"));
  EXPECT_THAT(text, HasSubstr("Leave it with the neighbour"));
  EXPECT_THAT(text, Not(HasSubstr("12.50")));  // no prices by default
  // By number: 10001, 10002, 10003.
  EXPECT_LT(text.find("Order #10001"), text.find("Order #10002"));
  EXPECT_LT(text.find("Order #10002"), text.find("Order #10003"));
  // The same request, the same bytes.
  Document again;
  ASSERT_TRUE(Render(false, req, &again).ok());
  EXPECT_EQ(pdf.bytes, again.bytes);

  // By sku: AAA-FIRST's order comes first.
  req.set_sort(v1::PACKING_SLIP_SORT_SKU);
  Document by_sku;
  ASSERT_TRUE(Render(false, req, &by_sku).ok());
  text = store::testing::PdfText(by_sku.bytes);
  EXPECT_LT(text.find("Order #10002"), text.find("Order #10001"));

  // One order as HTML, with prices when asked.
  v1::RenderPackingSlipsRequest one;
  one.add_order_ids(a.id());
  one.set_format(v1::DOCUMENT_FORMAT_HTML);
  one.set_show_prices(true);
  Document html;
  ASSERT_TRUE(Render(false, one, &html).ok());
  EXPECT_EQ(html.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(html.file_name, "packing-slip-10001.html");
  EXPECT_THAT(html.bytes, HasSubstr("<td class=\"num qty\">2</td>"));  // 3 ordered, 1 refunded
  EXPECT_THAT(html.bytes, HasSubstr("12.50"));

  // The pick list of the pending orders (by filter): b and c.
  v1::RenderPackingSlipsRequest pending;
  pending.mutable_filter()->add_statuses(v1::ORDER_STATUS_PENDING);
  Document pick;
  ASSERT_TRUE(Render(true, pending, &pick).ok());
  EXPECT_EQ(pick.file_name, "pick-list.pdf");
  text = store::testing::PdfText(pick.bytes);
  EXPECT_THAT(text, HasSubstr("2 orders"));
  EXPECT_THAT(text, HasSubstr("5 units, 2 skus"));
}

TEST_F(OrderPackingTest, BadInputNamesTheFieldAndCustomersMayNotPrint) {
  v1::Order a = Place(GuestOrder());
  Document out;
  v1::RenderPackingSlipsRequest req;
  req.add_order_ids("nope");
  grpc::Status s = Render(false, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("order_ids[0]"));
  req.Clear();
  req.add_order_ids(a.id());
  req.add_order_ids(a.id());
  s = Render(false, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("order_ids[1]"));
  req.Clear();
  const std::string missing = NewUuid();
  req.add_order_ids(missing);
  s = Render(false, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr(missing));
  req.Clear();
  for (int i = 0; i < 501; ++i) req.add_order_ids(NewUuid());
  s = Render(false, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("at most 500"));
  req.Clear();
  req.mutable_filter()->add_statuses(v1::ORDER_STATUS_SHIPPED);
  s = Render(true, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("matches no order"));
  EXPECT_TRUE(out.bytes.empty());

  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("x-actor", "customer:5b0c8c36-2f6e-4b8b-9b57-1a2a3b4c5d6e");
  ctx->AddMetadata("x-customer-id", "5b0c8c36-2f6e-4b8b-9b57-1a2a3b4c5d6e");
  req.Clear();
  req.add_order_ids(a.id());
  s = Render(false, req, &out, std::move(ctx));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace store::order
