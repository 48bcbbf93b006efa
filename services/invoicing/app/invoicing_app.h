// Use cases of the invoicing service. Each runs in one transaction that
// writes the documents and their events (outbox) together. The same
// operations serve the order-event consumer and the RPCs.
#ifndef STORE_SERVICES_INVOICING_APP_INVOICING_APP_H_
#define STORE_SERVICES_INVOICING_APP_INVOICING_APP_H_

#include <functional>
#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "libs/core/clock.h"
#include "libs/pg/pool.h"
#include "store/common/v1/event.pb.h"
#include "store/invoicing/v1/invoicing_service.pb.h"
#include "store/order/v1/order.pb.h"

namespace store::invoicing {

inline constexpr char kSource[] = "invoicing-service";
inline constexpr char kConsumerName[] = "invoicing";
inline constexpr char kErasureConsumerName[] = "invoicing-erasure";

// Fetches an order from the order service (used only when no snapshot of it
// came by on the order topic yet).
using OrderLookup = std::function<absl::StatusOr<order::v1::Order>(const std::string& order_id)>;

class InvoicingApp {
 public:
  InvoicingApp(pg::Pool& pool, const Clock& clock, OrderLookup lookup)
      : pool_(pool), clock_(clock), lookup_(std::move(lookup)) {}

  // The consumer's handler for store.order.orders.v1: keeps order snapshots,
  // issues invoices (per the settings), cancels them when the order is
  // cancelled or rejected, and issues credit notes for refunds.
  absl::Status HandleOrderEvent(pqxx::work& tx, const common::v1::EventEnvelope& envelope);

  // The handler for store.customer.customers.v1 (consumer
  // "invoicing-erasure"): on CustomerErased, replaces the buyer's personal
  // data in their invoices and credit notes (kept for legal retention:
  // numbers, amounts, company and VAT id stay), forgets their order
  // snapshots and reports the step on store.privacy.erasures.v1.
  absl::Status HandleCustomerEvent(pqxx::work& tx, const common::v1::EventEnvelope& envelope);

  absl::StatusOr<v1::Invoice> GetInvoice(const std::string& id);
  absl::StatusOr<v1::ListInvoicesResponse> ListInvoices(const v1::ListInvoicesRequest& request);
  absl::StatusOr<v1::Invoice> IssueInvoice(const std::string& order_id);
  absl::StatusOr<v1::Invoice> CancelInvoice(const std::string& id, const std::string& reason);
  absl::StatusOr<v1::InvoicingSettings> GetSettings();
  absl::StatusOr<v1::InvoicingSettings> UpdateSettings(const v1::UpdateSettingsRequest& request);

  // The filtered documents as CSV, handed to `sink` in chunks of about 64 KiB
  // (sink returns false to stop, e.g. when the client went away).
  absl::Status ExportCsv(const v1::InvoiceFilter& filter,
                         const std::function<bool(const std::string&)>& sink);

  struct Document {
    std::string content_type;
    std::string file_name;
    std::string data;
  };
  absl::StatusOr<Document> Render(const std::string& id, v1::DocumentFormat format);

 private:
  pg::Pool& pool_;
  const Clock& clock_;
  OrderLookup lookup_;
};

}  // namespace store::invoicing

#endif  // STORE_SERVICES_INVOICING_APP_INVOICING_APP_H_
