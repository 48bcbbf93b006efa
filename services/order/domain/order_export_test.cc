#include "services/order/domain/order_export.h"

#include "gtest/gtest.h"

namespace store::order {
namespace {

v1::OrderItem Item(const std::string& sku, int qty, int64_t unit, int64_t discount, int refunded) {
  v1::OrderItem i;
  i.set_sku(sku);
  i.set_name("Name of " + sku);
  i.set_quantity(qty);
  i.mutable_unit_price()->set_amount_minor(unit);
  i.mutable_subtotal()->set_amount_minor(unit * qty);
  i.mutable_discount()->set_amount_minor(discount);
  i.set_refunded_quantity(refunded);
  return i;
}

std::string Collect(const std::function<absl::Status(CsvStream&)>& write) {
  std::string out;
  CsvStream csv([&](const std::string& data) {
    out += data;
    return true;
  });
  EXPECT_TRUE(write(csv).ok());
  EXPECT_TRUE(csv.Flush().ok());
  return out;
}

TEST(OrderExportRulesTest, LineNetSalesTakesOffTheDiscountAndTheRefundedUnitsShare) {
  EXPECT_EQ(LineNetSales(Item("A", 3, 1000, 0, 0)), 3000);
  EXPECT_EQ(LineNetSales(Item("A", 3, 1000, 300, 0)), 2700);
  // One of three refunded: a third of 2700 off.
  EXPECT_EQ(LineNetSales(Item("A", 3, 1000, 300, 1)), 1800);
  // 1000 / 3 = 333.33 -> 333 off; 2000 / 3 = 666.67 -> 667 off (half up).
  EXPECT_EQ(LineNetSales(Item("A", 3, 1000, 2000, 1)), 1000 - 333);
  EXPECT_EQ(LineNetSales(Item("A", 3, 1000, 1000, 2)), 2000 - 1333);
  EXPECT_EQ(LineNetSales(Item("A", 2, 1000, 0, 2)), 0);
  // More refunded than ordered never goes below zero.
  EXPECT_EQ(LineNetSales(Item("A", 2, 1000, 0, 5)), 0);
}

TEST(OrderExportRulesTest, OrderedProductsSumPerSkuAndCountEachOrderOnce) {
  v1::Order a;
  a.set_number(10001);
  a.set_currency_code("EUR");
  *a.add_items() = Item("MUG", 2, 1250, 0, 1);
  *a.add_items() = Item("TEE", 1, 2000, 200, 0);
  *a.add_items() = Item("MUG", 1, 1250, 0, 0);  // the same sku on a second line
  v1::Order b;
  b.set_number(10002);
  b.set_currency_code("EUR");
  *b.add_items() = Item("TEE", 4, 2000, 0, 0);
  OrderedProducts p;
  p.Add(a);
  p.Add(b);
  std::vector<OrderedProducts::Row> rows = p.Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].sku, "TEE");  // 5 net units before MUG's 2
  EXPECT_EQ(rows[0].sold, 5);
  EXPECT_EQ(rows[0].net_sales, 1800 + 8000);
  EXPECT_EQ(rows[0].numbers, (std::vector<int64_t>{10001, 10002}));
  EXPECT_EQ(rows[1].sku, "MUG");
  EXPECT_EQ(rows[1].sold, 3);
  EXPECT_EQ(rows[1].refunded, 1);
  EXPECT_EQ(rows[1].net_sales, 1250 + 1250);
  EXPECT_EQ(rows[1].numbers, (std::vector<int64_t>{10001}));
  EXPECT_EQ(Collect([&](CsvStream& csv) { return p.Write(csv); }),
            "TEE,Name of TEE,5,0,0,5,98.00,EUR,2,10001 10002\r\n"
            "MUG,Name of MUG,3,1,0,2,25.00,EUR,1,10001\r\n");
}

TEST(OrderExportRulesTest, CancelledAndRejectedOrdersSoldNothingUnlessAskedFor) {
  v1::Order o;
  o.set_status(v1::ORDER_STATUS_CANCELLED);
  v1::OrderFilter f;
  EXPECT_FALSE(CountsAsSold(o, f));
  f.add_statuses(v1::ORDER_STATUS_CANCELLED);
  EXPECT_TRUE(CountsAsSold(o, f));
  o.set_status(v1::ORDER_STATUS_COMPLETED);
  EXPECT_TRUE(CountsAsSold(o, v1::OrderFilter()));
}

TEST(OrderExportRulesTest, RowsMatchTheHeaderGuardFormulasAndUseTheStoreZone) {
  v1::Order o;
  o.set_number(10007);
  o.set_id("0b7d5c8e-0000-4000-8000-000000000001");
  o.set_status(v1::ORDER_STATUS_PROCESSING);
  o.set_currency_code("EUR");
  o.mutable_customer()->set_name("=HYPERLINK(\"http://evil\")");
  o.mutable_customer()->set_email("ana@example.com");
  o.mutable_shipping_address()->set_name("Łukasz, \"Luke\"");
  o.mutable_create_time()->set_seconds(1782900000);  // 2026-07-01T10:00:00Z
  o.mutable_totals()->mutable_total()->set_amount_minor(123456);
  *o.add_items() = Item("MUG", 2, 1250, 0, 0);
  o.mutable_items(0)->set_tax_rate_bp(1900);
  absl::TimeZone berlin;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &berlin));
  for (v1::OrderExportLayout layout :
       {v1::ORDER_EXPORT_LAYOUT_ORDERS, v1::ORDER_EXPORT_LAYOUT_LINES}) {
    const std::string row = Collect([&](CsvStream& csv) {
      WriteOrderFields(o, berlin, csv);
      if (layout == v1::ORDER_EXPORT_LAYOUT_LINES) WriteLineFields(o, 1, csv);
      return csv.EndRow();
    });
    // Quoted fields hold commas; count the columns outside quotes.
    int columns = 1;
    bool quoted = false;
    for (char c : row) {
      if (c == '"') quoted = !quoted;
      if (c == ',' && !quoted) ++columns;
    }
    EXPECT_EQ(columns, static_cast<int>(OrderExportHeader(layout).size()));
    EXPECT_NE(row.find(",2026-07-01T12:00:00+02:00,"), std::string::npos) << row;
    EXPECT_NE(row.find(",\"'=HYPERLINK(\"\"http://evil\"\")\","), std::string::npos) << row;
    EXPECT_NE(row.find(",\"Łukasz, \"\"Luke\"\"\","), std::string::npos) << row;
    EXPECT_NE(row.find(",1234.56,"), std::string::npos) << row;
    if (layout == v1::ORDER_EXPORT_LAYOUT_LINES) {
      EXPECT_NE(row.find(",1,MUG,Name of MUG,2,0,0,12.50,25.00,0.00,0.00,0.00,19.00\r\n"),
                std::string::npos)
          << row;
    }
  }
}

}  // namespace
}  // namespace store::order
