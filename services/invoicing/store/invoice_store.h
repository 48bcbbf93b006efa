// The invoicing service's SQL, and nothing else. Every function runs in the
// caller's transaction.
#ifndef STORE_SERVICES_INVOICING_STORE_INVOICE_STORE_H_
#define STORE_SERVICES_INVOICING_STORE_INVOICE_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/time/time.h"
#include "libs/core/paging.h"
#include "store/invoicing/v1/invoicing_service.pb.h"
#include "store/order/v1/order.pb.h"

namespace store::invoicing {

class InvoiceStore {
 public:
  // The next number of `series`, locking the series row until commit.
  static int64_t NextInSeries(pqxx::transaction_base& tx, const std::string& series);

  struct NewDocument {
    const v1::Invoice* invoice;  // with id and number set
    std::string series;
    int64_t seq = 0;
    std::string source_refund_id;  // credit notes
    std::optional<absl::Time> source_event_time;
  };
  // False when the order already has an invoice (or the refund a credit
  // note); nothing is written then.
  static bool Insert(pqxx::transaction_base& tx, const NewDocument& doc);

  static std::optional<v1::Invoice> Load(pqxx::transaction_base& tx, const std::string& id,
                                         bool for_update);
  static std::optional<v1::Invoice> InvoiceOfOrder(pqxx::transaction_base& tx,
                                                   const std::string& order_id, bool for_update);
  // Writes back status and body (cancellation, credited total).
  static void Update(pqxx::transaction_base& tx, const v1::Invoice& invoice);

  // A page, newest first; up to limit + 1 rows.
  static std::vector<v1::Invoice> List(pqxx::transaction_base& tx, const v1::InvoiceFilter& filter,
                                       const std::optional<KeysetCursor>& after, int limit);
  // Totals of every document matching the filter, per currency: issued
  // invoices count positive, credit notes negative, cancelled invoices not.
  static std::vector<v1::CurrencyTotals> Totals(pqxx::transaction_base& tx,
                                                const v1::InvoiceFilter& filter);

  // Keeps the newest snapshot of each order (by version).
  static void SaveOrderSnapshot(pqxx::transaction_base& tx, const order::v1::Order& order);
  static std::optional<order::v1::Order> OrderSnapshot(pqxx::transaction_base& tx,
                                                       const std::string& order_id);

  // The settings row, or nullopt before anyone saved settings.
  // CUS-13. (invoice id, order id) of the customer's documents, locked.
  static std::vector<std::pair<std::string, std::string>> ErasableDocuments(
      pqxx::transaction_base& tx, const std::string& customer_id, const std::string& email_sha256);
  // Writes a document whose buyer was anonymised (body and buyer email).
  static void ReplaceAnonymised(pqxx::transaction_base& tx, const v1::Invoice& invoice);
  // Deletes the order snapshots of the customer and the already published
  // events of their documents; returns the snapshots deleted.
  static int64_t ForgetCustomer(pqxx::transaction_base& tx, const std::vector<std::string>& order_ids,
                                const std::vector<std::string>& invoice_ids,
                                const std::string& customer_id, const std::string& email_sha256);

  static std::optional<v1::InvoicingSettings> LoadSettings(pqxx::transaction_base& tx);
  static void SaveSettings(pqxx::transaction_base& tx, const v1::InvoicingSettings& settings);
};

}  // namespace store::invoicing

#endif  // STORE_SERVICES_INVOICING_STORE_INVOICE_STORE_H_
