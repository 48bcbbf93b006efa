#include "services/invoicing/domain/invoice_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/status.h"

namespace store::invoicing {
namespace {

order::v1::Order SampleOrder() {
  order::v1::Order o;
  o.set_id("7d3c8a5e-0f5e-4c8e-9a51-7b1e8f2f2a10");
  o.set_number(10042);
  o.set_currency_code("EUR");
  o.mutable_customer()->set_email("ann@example.com");
  o.mutable_customer()->set_name("Ann Lee");
  auto* a = o.mutable_billing_address();
  a->set_name("Ann Lee");
  a->set_company("Lee GmbH");
  a->set_vat_id("DE123456789");
  a->set_city("Berlin");
  a->set_country_code("DE");
  auto add = [&](const char* sku, int qty, int64_t unit, int64_t discount, int rate) {
    auto* i = o.add_items();
    i->set_sku(sku);
    i->set_name(sku);
    i->set_quantity(qty);
    i->mutable_unit_price()->set_amount_minor(unit);
    i->mutable_subtotal()->set_amount_minor(unit * qty);
    i->mutable_discount()->set_amount_minor(discount);
    i->set_tax_rate_bp(rate);
    const int64_t tax = ((unit * qty - discount) * rate + 5000) / 10000;
    i->mutable_tax()->set_amount_minor(tax);
  };
  add("BOOK", 2, 1000, 100, 700);   // net 1900, tax 133
  add("LAMP", 1, 5000, 0, 1900);    // net 5000, tax 950
  o.mutable_delivery_method()->set_code("standard");
  o.mutable_delivery_method()->mutable_fee()->set_amount_minor(490);
  o.mutable_delivery_method()->set_tax_rate_bp(1900);  // tax 93
  return o;
}

TEST(InvoiceRulesTest, BuildsTheSnapshotWithTaxPerRate) {
  v1::Invoice inv = BuildInvoice(SampleOrder(), DefaultSettings(), absl::FromUnixSeconds(1767225600));
  ASSERT_EQ(inv.lines_size(), 3);
  EXPECT_EQ(inv.lines(2).description(), "Shipping: standard");
  EXPECT_EQ(inv.buyer().company(), "Lee GmbH");
  EXPECT_EQ(inv.buyer().vat_id(), "DE123456789");
  EXPECT_EQ(inv.seller().name(), "Demo Store");
  ASSERT_EQ(inv.taxes_size(), 2);
  EXPECT_EQ(inv.taxes(0).tax_rate_bp(), 700);
  EXPECT_EQ(inv.taxes(0).net().amount_minor(), 1900);
  EXPECT_EQ(inv.taxes(0).tax().amount_minor(), 133);
  EXPECT_EQ(inv.taxes(1).tax_rate_bp(), 1900);
  EXPECT_EQ(inv.taxes(1).net().amount_minor(), 5490);
  EXPECT_EQ(inv.taxes(1).tax().amount_minor(), 950 + 93);
  EXPECT_EQ(inv.net_total().amount_minor(), 7390);
  EXPECT_EQ(inv.tax_total().amount_minor(), 1176);
  EXPECT_EQ(inv.total().amount_minor(), 8566);
  // Due 14 days after issue.
  EXPECT_EQ(inv.due_time().seconds() - inv.issue_time().seconds(), 14 * 86400);
}

TEST(InvoiceRulesTest, CreditNoteSplitsAcrossRatesAndNeverExceedsTheInvoice) {
  v1::Invoice inv = BuildInvoice(SampleOrder(), DefaultSettings(), absl::FromUnixSeconds(1767225600));
  inv.set_number("INV-2026-000007");
  auto note = BuildCreditNote(inv, 1000, "damaged", DefaultSettings(), absl::FromUnixSeconds(1767312000));
  ASSERT_TRUE(note.ok()) << note.status();
  EXPECT_EQ(note->total().amount_minor(), 1000);
  EXPECT_EQ(note->net_total().amount_minor() + note->tax_total().amount_minor(), 1000);
  EXPECT_EQ(note->credited_invoice_number(), "INV-2026-000007");
  EXPECT_EQ(note->lines_size(), 2);
  inv.mutable_credited_total()->set_amount_minor(8000);
  auto too_much = BuildCreditNote(inv, 567, "x", DefaultSettings(), absl::Now());
  EXPECT_EQ(too_much.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetErrorInfo(too_much.status())->reason(), "CREDIT_EXCEEDS_INVOICE");
  EXPECT_TRUE(BuildCreditNote(inv, 566, "x", DefaultSettings(), absl::Now()).ok());
}

TEST(InvoiceRulesTest, WhenToIssue) {
  v1::InvoicingSettings s = DefaultSettings();
  order::v1::Order o = SampleOrder();
  EXPECT_TRUE(ShouldIssue(s, Trigger::kOrderPaid, o));
  EXPECT_FALSE(ShouldIssue(s, Trigger::kOrderPlaced, o));
  s.set_mode(v1::ISSUE_MODE_ON_ORDER_PLACED);
  EXPECT_TRUE(ShouldIssue(s, Trigger::kOrderPlaced, o));
  s.set_mode(v1::ISSUE_MODE_OFF);
  EXPECT_FALSE(ShouldIssue(s, Trigger::kOrderPaid, o));
  EXPECT_TRUE(ShouldIssue(s, Trigger::kManual, o));
  s.set_mode(v1::ISSUE_MODE_ON_PAYMENT);
  s.set_scope(v1::ISSUE_SCOPE_COMPANIES_ONLY);
  EXPECT_TRUE(ShouldIssue(s, Trigger::kOrderPaid, o));
  o.mutable_billing_address()->clear_company();
  EXPECT_FALSE(ShouldIssue(s, Trigger::kOrderPaid, o));
}

TEST(InvoiceRulesTest, NumbersAndSettings) {
  v1::InvoicingSettings s = DefaultSettings();
  EXPECT_EQ(SeriesOf(s, v1::DOCUMENT_KIND_INVOICE, absl::FromUnixSeconds(1767225600)), "INV-2026");
  EXPECT_EQ(SeriesOf(s, v1::DOCUMENT_KIND_CREDIT_NOTE, absl::FromUnixSeconds(1767225600)), "CN-2026");
  EXPECT_EQ(FormatNumber("INV-2026", 1), "INV-2026-000001");
  EXPECT_EQ(FormatNumber("INV-2026", 1234567), "INV-2026-1234567");
  EXPECT_TRUE(ValidateSettings(s).ok());
  s.set_invoice_prefix("inv");
  EXPECT_EQ(GetErrorInfo(ValidateSettings(s))->field(), "invoice_prefix");
  s = DefaultSettings();
  s.set_payment_terms_days(400);
  EXPECT_EQ(GetErrorInfo(ValidateSettings(s))->field(), "payment_terms_days");
  s = DefaultSettings();
  s.mutable_seller()->set_name("");
  EXPECT_EQ(GetErrorInfo(ValidateSettings(s))->field(), "seller.name");
}

}  // namespace
}  // namespace store::invoicing
