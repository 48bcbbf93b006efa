#include "services/order/documents/packing_slip.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/pdf_tools.h"

// fontconfig keeps its caches for the life of the process.
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }

namespace store::order {
namespace {

using store::testing::HaveTool;
using store::testing::PdfInfo;
using store::testing::PdfPages;
using store::testing::PdfText;
using ::testing::HasSubstr;
using ::testing::Not;

v1::OrderItem* AddItem(v1::Order& o, const std::string& sku, const std::string& name, int qty,
                       int refunded = 0) {
  v1::OrderItem* i = o.add_items();
  i->set_sku(sku);
  i->set_name(name);
  i->set_quantity(qty);
  i->set_refunded_quantity(refunded);
  i->mutable_unit_price()->set_amount_minor(1250);
  i->mutable_unit_price()->set_currency_code("EUR");
  return i;
}

v1::Order Order(int64_t number, const std::string& ship_to) {
  v1::Order o;
  o.set_id(absl::StrCat("00000000-0000-4000-8000-0000000", number));
  o.set_number(number);
  o.set_currency_code("EUR");
  o.mutable_create_time()->set_seconds(1782900000);  // 2026-07-01
  auto* a = o.mutable_shipping_address();
  a->set_name(ship_to);
  a->set_line1("Hauptstraße 5");
  a->set_city("Berlin");
  a->set_postal_code("10115");
  a->set_country_code("DE");
  o.mutable_delivery_method()->set_code("dhl");
  o.mutable_delivery_method()->set_name("DHL Paket");
  return o;
}

std::vector<v1::Order> Batch() {
  std::vector<v1::Order> orders;
  orders.push_back(Order(10002, "Анна Смирнова"));
  orders.back().mutable_shipping_address()->set_company("李氏贸易");
  AddItem(orders.back(), "TEE-RED", "Red tee", 1);
  orders.push_back(Order(10001, "محمد علي"));
  AddItem(orders.back(), "MUG-1", "Blue mug", 3, /*refunded=*/1);
  AddItem(orders.back(), "CAP-9", "Refunded cap", 2, /*refunded=*/2);
  AddItem(orders.back(), "TEE-RED", "Red tee", 2);
  orders.back().set_customer_note("Please ring twice <b>");
  return orders;
}

#define SKIP_WITHOUT_POPPLER()                                             \
  if (!HaveTool("pdftotext") || !HaveTool("pdfinfo")) {                    \
    GTEST_SKIP() << "poppler-utils (pdftotext, pdfinfo) is not installed"; \
  }

TEST(PackingSlipTest, LinesToPackLeaveRefundedUnitsOut) {
  const std::vector<v1::Order> orders = Batch();
  std::vector<PackLine> lines = LinesToPack(orders[1]);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].sku, "MUG-1");
  EXPECT_EQ(lines[0].quantity, 2);
  EXPECT_EQ(lines[1].sku, "TEE-RED");
}

TEST(PackingSlipTest, BatchOrderByNumberOrBySku) {
  const std::vector<v1::Order> orders = Batch();
  std::vector<const v1::Order*> by_number =
      PackingOrder(orders, v1::PACKING_SLIP_SORT_ORDER_NUMBER);
  EXPECT_EQ(by_number[0]->number(), 10001);
  EXPECT_EQ(by_number[1]->number(), 10002);
  // 10001's first sku to pack is MUG-1 (CAP-9 is refunded), before TEE-RED.
  std::vector<const v1::Order*> by_sku = PackingOrder(orders, v1::PACKING_SLIP_SORT_SKU);
  EXPECT_EQ(by_sku[0]->number(), 10001);
}

TEST(PackingSlipTest, PickListSumsPerSku) {
  std::vector<PickRow> rows = PickList(Batch());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].sku, "MUG-1");
  EXPECT_EQ(rows[0].quantity, 2);
  EXPECT_EQ(rows[1].sku, "TEE-RED");
  EXPECT_EQ(rows[1].quantity, 3);
  EXPECT_EQ(rows[1].order_numbers, (std::vector<int64_t>{10001, 10002}));
}

TEST(PackingSlipTest, HtmlShowsEachOrderEscapedWithoutPrices) {
  const std::vector<v1::Order> orders = Batch();
  const std::string html = RenderPackingSlipsHtml(
      PackingOrder(orders, v1::PACKING_SLIP_SORT_ORDER_NUMBER), {.store_name = "Café & Co"});
  EXPECT_THAT(html, HasSubstr("Café &amp; Co"));
  EXPECT_THAT(html, HasSubstr("Order #10001"));
  EXPECT_THAT(html, HasSubstr("Order #10002"));
  EXPECT_THAT(html, HasSubstr("محمد علي"));
  EXPECT_THAT(html, HasSubstr("Please ring twice &lt;b&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("Refunded cap")));
  EXPECT_THAT(html, Not(HasSubstr("12.50")));
  EXPECT_LT(html.find("Order #10001"), html.find("Order #10002"));
  PackingOptions with_prices;
  with_prices.show_prices = true;
  const std::string priced =
      RenderPackingSlipsHtml(PackingOrder(orders, v1::PACKING_SLIP_SORT_ORDER_NUMBER), with_prices);
  EXPECT_THAT(priced, HasSubstr("12.50"));
}

TEST(PackingSlipTest, PdfHasAPagePerOrderRendersAnyScriptAndIsTheSameEveryTime) {
  SKIP_WITHOUT_POPPLER();
  const std::vector<v1::Order> orders = Batch();
  const std::vector<const v1::Order*> sorted =
      PackingOrder(orders, v1::PACKING_SLIP_SORT_ORDER_NUMBER);
  absl::StatusOr<std::string> pdf = RenderPackingSlipsPdf(sorted, {.store_name = "Demo Store"});
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  EXPECT_EQ(PdfPages(PdfInfo(*pdf)), 2);
  const std::string text = PdfText(*pdf);
  EXPECT_THAT(text, HasSubstr("Packing slip"));
  EXPECT_THAT(text, HasSubstr("Demo Store"));
  EXPECT_THAT(text, HasSubstr("Order #10001"));
  EXPECT_THAT(text, HasSubstr("Анна Смирнова"));
  EXPECT_THAT(text, HasSubstr("李氏贸易"));  // CJK through the fallback font
  EXPECT_THAT(text, HasSubstr("Hauptstraße 5"));
  EXPECT_THAT(text, HasSubstr("DHL Paket"));
  EXPECT_THAT(text, HasSubstr("MUG-1"));
  EXPECT_THAT(text, HasSubstr("Please ring twice"));
  EXPECT_THAT(text, Not(HasSubstr("Refunded cap")));
  EXPECT_THAT(text, Not(HasSubstr("12.50")));
  EXPECT_LT(text.find("10001"), text.find("10002"));
  absl::StatusOr<std::string> again = RenderPackingSlipsPdf(sorted, {.store_name = "Demo Store"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*pdf, *again);
}

TEST(PackingSlipTest, LongOrdersContinueOnTheNextPage) {
  SKIP_WITHOUT_POPPLER();
  v1::Order big = Order(10009, "Ann Lee");
  for (int i = 0; i < 80; ++i) AddItem(big, absl::StrCat("SKU-", 100 + i), "Item", 1);
  absl::StatusOr<std::string> pdf = RenderPackingSlipsPdf({&big}, {});
  ASSERT_TRUE(pdf.ok());
  EXPECT_GE(PdfPages(PdfInfo(*pdf)), 2);
  const std::string text = PdfText(*pdf);
  EXPECT_THAT(text, HasSubstr("Order #10009 (continued)"));
  EXPECT_THAT(text, HasSubstr("SKU-179"));
}

TEST(PackingSlipTest, PickListPdfSumsTheBatch) {
  SKIP_WITHOUT_POPPLER();
  absl::StatusOr<std::string> pdf = RenderPickListPdf(Batch(), {});
  ASSERT_TRUE(pdf.ok());
  const std::string text = PdfText(*pdf);
  EXPECT_THAT(text, HasSubstr("Pick list"));
  EXPECT_THAT(text, HasSubstr("2 orders"));
  EXPECT_THAT(text, HasSubstr("5 units, 2 skus"));
  EXPECT_THAT(text, HasSubstr("10001 10002"));
  EXPECT_THAT(RenderPickListHtml(Batch(), {}), HasSubstr("TEE-RED"));
}

}  // namespace
}  // namespace store::order
