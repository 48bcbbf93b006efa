#include "services/invoicing/domain/invoice_rules.h"

#include <map>
#include <numeric>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/contact.h"
#include "libs/core/money.h"
#include "libs/core/status.h"

namespace store::invoicing {
namespace {

using common::v1::Money;
using google::protobuf::util::TimeUtil;

Money M(int64_t amount, const std::string& currency) {
  Money m;
  m.set_amount_minor(amount);
  m.set_currency_code(currency);
  return m;
}

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

absl::Status CheckPrefix(absl::string_view field, absl::string_view prefix) {
  if (prefix.empty() || prefix.size() > 10) return InvalidField(field, "must be 1..10 characters");
  for (char c : prefix) {
    if (!absl::ascii_isupper(c) && !absl::ascii_isdigit(c)) {
      return InvalidField(field, "may contain only upper-case letters and digits (e.g. INV)");
    }
  }
  return absl::OkStatus();
}

void AddTaxes(v1::Invoice* inv) {
  std::map<int, std::pair<int64_t, int64_t>> by_rate;  // rate -> (net, tax)
  int64_t net = 0;
  int64_t tax = 0;
  for (const auto& line : inv->lines()) {
    by_rate[line.tax_rate_bp()].first += line.net().amount_minor();
    by_rate[line.tax_rate_bp()].second += line.tax().amount_minor();
    net += line.net().amount_minor();
    tax += line.tax().amount_minor();
  }
  const std::string& c = inv->currency_code();
  for (const auto& [rate, sums] : by_rate) {
    auto* t = inv->add_taxes();
    t->set_tax_rate_bp(rate);
    *t->mutable_net() = M(sums.first, c);
    *t->mutable_tax() = M(sums.second, c);
  }
  *inv->mutable_net_total() = M(net, c);
  *inv->mutable_tax_total() = M(tax, c);
  *inv->mutable_total() = M(net + tax, c);
}

}  // namespace

v1::InvoicingSettings DefaultSettings() {
  v1::InvoicingSettings s;
  s.set_mode(v1::ISSUE_MODE_ON_PAYMENT);
  s.set_scope(v1::ISSUE_SCOPE_EVERY_CUSTOMER);
  s.mutable_seller()->set_name("Demo Store");
  s.set_invoice_prefix("INV");
  s.set_credit_note_prefix("CN");
  s.set_payment_terms_days(14);
  return s;
}

absl::Status ValidateSettings(const v1::InvoicingSettings& s) {
  if (s.mode() == v1::ISSUE_MODE_UNSPECIFIED || !v1::IssueMode_IsValid(s.mode())) {
    return InvalidField("mode", "must be off, on_payment or on_order_placed");
  }
  if (s.scope() == v1::ISSUE_SCOPE_UNSPECIFIED || !v1::IssueScope_IsValid(s.scope())) {
    return InvalidField("scope", "must be every_customer or companies_only");
  }
  STORE_RETURN_IF_ERROR(CheckPrefix("invoice_prefix", s.invoice_prefix()));
  STORE_RETURN_IF_ERROR(CheckPrefix("credit_note_prefix", s.credit_note_prefix()));
  if (s.invoice_prefix() == s.credit_note_prefix()) {
    return InvalidField("credit_note_prefix", "must differ from invoice_prefix");
  }
  if (s.payment_terms_days() < 0 || s.payment_terms_days() > 365) {
    return InvalidField("payment_terms_days", "must be 0..365");
  }
  STORE_RETURN_IF_ERROR(ValidateText("seller.name", s.seller().name(), 1, 200));
  STORE_RETURN_IF_ERROR(ValidateText("seller.company", s.seller().company(), 0, 200));
  STORE_RETURN_IF_ERROR(ValidateText("seller.vat_id", s.seller().vat_id(), 0, 32));
  if (!s.seller().email().empty()) {
    STORE_RETURN_IF_ERROR(NormalizeEmail("seller.email", s.seller().email()).status());
  }
  const auto& a = s.seller().address();
  for (const auto& [field, value] :
       {std::pair<const char*, const std::string*>{"seller.address.line1", &a.line1()},
        {"seller.address.line2", &a.line2()}, {"seller.address.city", &a.city()},
        {"seller.address.postal_code", &a.postal_code()}, {"seller.address.region", &a.region()}}) {
    STORE_RETURN_IF_ERROR(ValidateText(field, *value, 0, 200));
  }
  if (!a.country_code().empty() && a.country_code().size() != 2) {
    return InvalidField("seller.address.country_code", "must be an ISO 3166-1 alpha-2 code");
  }
  STORE_RETURN_IF_ERROR(ValidateText("footer", s.footer(), 0, 1000));
  return absl::OkStatus();
}

bool ShouldIssue(const v1::InvoicingSettings& settings, Trigger trigger,
                 const order::v1::Order& order) {
  if (trigger != Trigger::kManual) {
    const v1::IssueMode wanted =
        trigger == Trigger::kOrderPaid ? v1::ISSUE_MODE_ON_PAYMENT : v1::ISSUE_MODE_ON_ORDER_PLACED;
    if (settings.mode() != wanted) return false;
  }
  if (settings.scope() == v1::ISSUE_SCOPE_COMPANIES_ONLY && order.billing_address().company().empty()) {
    return false;
  }
  return true;
}

std::string SeriesOf(const v1::InvoicingSettings& settings, v1::DocumentKind kind, absl::Time at) {
  const std::string& prefix = kind == v1::DOCUMENT_KIND_CREDIT_NOTE ? settings.credit_note_prefix()
                                                                     : settings.invoice_prefix();
  return absl::StrCat(prefix, "-", absl::FormatTime("%Y", at, absl::UTCTimeZone()));
}

std::string FormatNumber(const std::string& series, int64_t sequence) {
  return absl::StrFormat("%s-%06d", series, sequence);
}

v1::Invoice BuildInvoice(const order::v1::Order& order, const v1::InvoicingSettings& settings,
                         absl::Time issue_time) {
  v1::Invoice inv;
  const std::string& c = order.currency_code();
  inv.set_kind(v1::DOCUMENT_KIND_INVOICE);
  inv.set_status(v1::INVOICE_STATUS_ISSUED);
  inv.set_order_id(order.id());
  inv.set_order_number(order.number());
  inv.set_customer_id(order.customer().customer_id());
  inv.set_currency_code(c);
  *inv.mutable_seller() = settings.seller();
  v1::Party* buyer = inv.mutable_buyer();
  const common::v1::Address& billing = order.billing_address();
  buyer->set_name(billing.name().empty() ? order.customer().name() : billing.name());
  buyer->set_company(billing.company());
  buyer->set_vat_id(billing.vat_id());
  *buyer->mutable_address() = billing;
  buyer->set_email(order.customer().email());
  for (const auto& item : order.items()) {
    auto* line = inv.add_lines();
    line->set_sku(item.sku());
    line->set_description(item.name());
    line->set_quantity(item.quantity());
    *line->mutable_unit_price() = M(item.unit_price().amount_minor(), c);
    *line->mutable_discount() = M(item.discount().amount_minor(), c);
    line->set_tax_rate_bp(item.tax_rate_bp());
    const int64_t net = item.subtotal().amount_minor() - item.discount().amount_minor();
    *line->mutable_net() = M(net, c);
    *line->mutable_tax() = M(item.tax().amount_minor(), c);
    *line->mutable_total() = M(net + item.tax().amount_minor(), c);
  }
  const auto& dm = order.delivery_method();
  if (dm.fee().amount_minor() > 0) {
    const int64_t fee = dm.fee().amount_minor();
    const int64_t tax = ApplyBasisPoints(fee, dm.tax_rate_bp());
    auto* line = inv.add_lines();
    line->set_sku("SHIPPING");
    line->set_description(absl::StrCat("Shipping: ", dm.name().empty() ? dm.code() : dm.name()));
    line->set_quantity(1);
    *line->mutable_unit_price() = M(fee, c);
    *line->mutable_discount() = M(0, c);
    line->set_tax_rate_bp(dm.tax_rate_bp());
    *line->mutable_net() = M(fee, c);
    *line->mutable_tax() = M(tax, c);
    *line->mutable_total() = M(fee + tax, c);
  }
  AddTaxes(&inv);
  *inv.mutable_issue_time() = Ts(issue_time);
  *inv.mutable_due_time() = Ts(issue_time + absl::Hours(24) * settings.payment_terms_days());
  *inv.mutable_credited_total() = M(0, c);
  return inv;
}

absl::StatusOr<v1::Invoice> BuildCreditNote(const v1::Invoice& invoice, int64_t amount,
                                            const std::string& reason,
                                            const v1::InvoicingSettings& settings,
                                            absl::Time issue_time) {
  const std::string& c = invoice.currency_code();
  const int64_t left = invoice.total().amount_minor() - invoice.credited_total().amount_minor();
  if (amount <= 0) return InvalidField("amount", "must be positive");
  if (amount > left) {
    return Precondition("CREDIT_EXCEEDS_INVOICE",
                        absl::StrCat("a credit of ", FormatMoney(amount, c), " exceeds what is left "
                                     "to credit on invoice ", invoice.number(), " (",
                                     FormatMoney(left, c), ")"));
  }
  v1::Invoice note;
  note.set_kind(v1::DOCUMENT_KIND_CREDIT_NOTE);
  note.set_status(v1::INVOICE_STATUS_ISSUED);
  note.set_order_id(invoice.order_id());
  note.set_order_number(invoice.order_number());
  note.set_customer_id(invoice.customer_id());
  note.set_currency_code(c);
  *note.mutable_seller() = settings.seller();
  *note.mutable_buyer() = invoice.buyer();
  note.set_credited_invoice_id(invoice.id());
  note.set_credited_invoice_number(invoice.number());
  note.set_reason(reason);
  std::vector<int64_t> gross;
  for (const auto& t : invoice.taxes()) gross.push_back(t.net().amount_minor() + t.tax().amount_minor());
  const std::vector<int64_t> parts = AllocateProportionally(amount, gross);
  for (int i = 0; i < invoice.taxes_size(); ++i) {
    if (parts[i] == 0) continue;
    const int rate = invoice.taxes(i).tax_rate_bp();
    // gross = net * (1 + rate): net = gross * 10000 / (10000 + rate), rounded.
    const int64_t net = static_cast<int64_t>(
        (static_cast<__int128>(parts[i]) * 20000 + (10000 + rate)) / (2 * (10000 + rate)));
    auto* line = note.add_lines();
    line->set_sku("REFUND");
    line->set_description(absl::StrCat("Refund on invoice ", invoice.number(), rate > 0
                                           ? absl::StrFormat(" (%g%% tax)", rate / 100.0)
                                           : std::string()));
    line->set_quantity(1);
    *line->mutable_unit_price() = M(net, c);
    *line->mutable_discount() = M(0, c);
    line->set_tax_rate_bp(rate);
    *line->mutable_net() = M(net, c);
    *line->mutable_tax() = M(parts[i] - net, c);
    *line->mutable_total() = M(parts[i], c);
  }
  AddTaxes(&note);
  *note.mutable_issue_time() = Ts(issue_time);
  *note.mutable_due_time() = Ts(issue_time);
  return note;
}

bool SameContent(const v1::Invoice& a, const v1::Invoice& b) {
  auto content = [](const v1::Invoice& inv) {
    v1::Invoice c;
    *c.mutable_buyer() = inv.buyer();
    *c.mutable_lines() = inv.lines();
    *c.mutable_taxes() = inv.taxes();
    *c.mutable_net_total() = inv.net_total();
    *c.mutable_tax_total() = inv.tax_total();
    *c.mutable_total() = inv.total();
    return c;
  };
  return google::protobuf::util::MessageDifferencer::Equals(content(a), content(b));
}

}  // namespace store::invoicing
