// Pure rules of invoicing: when an order gets an invoice, what an invoice
// holds (an immutable snapshot of seller, buyer, lines, taxes, totals), how
// a credit note splits a refund across tax rates, numbering format, and
// settings validation. No I/O.
#ifndef STORE_SERVICES_INVOICING_DOMAIN_INVOICE_RULES_H_
#define STORE_SERVICES_INVOICING_DOMAIN_INVOICE_RULES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/invoicing/v1/invoice.pb.h"
#include "store/order/v1/order.pb.h"

namespace store::invoicing {

// The settings a store starts with: invoices on payment for everyone,
// series INV and CN, 14 days to pay.
v1::InvoicingSettings DefaultSettings();

// INVALID_ARGUMENT naming the field (mode, scope, invoice_prefix,
// seller.name, payment_terms_days, ...).
absl::Status ValidateSettings(const v1::InvoicingSettings& settings);

// Why an event leads to an invoice.
enum class Trigger { kOrderPlaced, kOrderPaid, kManual };

// Whether the settings call for an invoice of `order` on `trigger`.
bool ShouldIssue(const v1::InvoicingSettings& settings, Trigger trigger,
                 const order::v1::Order& order);

// The series of a document issued at `at`: "INV-2026".
std::string SeriesOf(const v1::InvoicingSettings& settings, v1::DocumentKind kind, absl::Time at);
// "INV-2026" + 1 -> "INV-2026-000001".
std::string FormatNumber(const std::string& series, int64_t sequence);

// The invoice of `order` (without id and number): seller from the settings,
// buyer from the billing address and the customer, one line per item plus
// the shipping fee, tax per rate, totals. Amounts match the order's.
// Whether two invoices say the same (buyer, lines, taxes, totals), numbers
// and times aside: an edit that changes none of it needs no correction.
bool SameContent(const v1::Invoice& a, const v1::Invoice& b);

v1::Invoice BuildInvoice(const order::v1::Order& order, const v1::InvoicingSettings& settings,
                         absl::Time issue_time);

// A credit note of `amount` (tax included) against `invoice`, split across
// the invoice's tax rates in proportion to their gross amounts, each part
// split into net and tax at its rate. FAILED_PRECONDITION when `amount`
// exceeds what is left to credit (total - credited_total).
absl::StatusOr<v1::Invoice> BuildCreditNote(const v1::Invoice& invoice, int64_t amount,
                                            const std::string& reason,
                                            const v1::InvoicingSettings& settings,
                                            absl::Time issue_time);

}  // namespace store::invoicing

#endif  // STORE_SERVICES_INVOICING_DOMAIN_INVOICE_RULES_H_
