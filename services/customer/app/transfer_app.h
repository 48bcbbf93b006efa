// CSV import and export of customers (CUS-12).
//
// Import streams: bytes arrive in chunks of any size, records are parsed
// incrementally (libs/core/csv_reader.h) and stored in batches of 500 rows,
// one transaction and a handful of statements per batch; memory stays
// bounded whatever the file size. Each row is reported created, updated or
// rejected with the reason; a bad row never stops the others. Rows are
// matched to existing customers by email (updated, or rejected when
// update_existing is false).
#ifndef STORE_SERVICES_CUSTOMER_APP_TRANSFER_APP_H_
#define STORE_SERVICES_CUSTOMER_APP_TRANSFER_APP_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/core/clock.h"
#include "libs/core/csv_reader.h"
#include "libs/pg/pool.h"
#include "services/customer/app/customer_app.h"
#include "services/customer/app/customer_options.h"
#include "store/customer/v1/customer_service.pb.h"

namespace store::customer {

inline constexpr size_t kImportBatchRows = 500;

class ImportSession {
 public:
  ImportSession(pg::Pool& pool, const Clock& clock, CustomerOptions options, bool update_existing,
                Caller caller);
  ~ImportSession();

  // Parses `chunk`; results of the rows stored meanwhile are added to `out`
  // (with the running totals). A bad header is INVALID_ARGUMENT (nothing
  // can be read); database trouble is returned as is (rows stored before
  // stay stored and were reported).
  absl::Status Feed(absl::string_view chunk, v1::ImportCustomersResponse* out);
  // End of the file: stores what is left.
  absl::Status Finish(v1::ImportCustomersResponse* out);

  struct Row;

 private:
  absl::Status Drain(bool final, v1::ImportCustomersResponse* out);
  absl::Status Prepare();
  absl::Status Flush(v1::ImportCustomersResponse* out);
  void Reject(const CsvReader::Record& record, std::string email, std::string reason,
              v1::ImportCustomersResponse* out);

  pg::Pool& pool_;
  const Clock& clock_;
  CustomerOptions options_;
  bool update_existing_;
  Caller caller_;
  CsvReader reader_;
  std::optional<CsvHeader> header_;
  std::map<std::string, v1::CustomField> fields_;  // custom fields by key
  std::map<std::string, std::string> groups_;      // lower-cased name -> id
  std::vector<Row> batch_;
  std::set<std::string> batch_emails_;
  int64_t created_ = 0, updated_ = 0, rejected_ = 0;
};

class TransferApp {
 public:
  TransferApp(pg::Pool& pool, const Clock& clock, CustomerOptions options = {})
      : pool_(pool), clock_(clock), options_(std::move(options)) {}

  std::unique_ptr<ImportSession> StartImport(bool update_existing, const Caller& caller) {
    return std::make_unique<ImportSession>(pool_, clock_, options_, update_existing, caller);
  }

  // The filtered customers as CSV, handed to `sink` in chunks of about
  // 64 KiB (sink returns false to stop, e.g. when the client went away).
  // Cells starting with = + - @ are escaped (CSV injection).
  absl::Status Export(const v1::CustomerFilter& filter,
                      const std::function<bool(const std::string&)>& sink);

 private:
  pg::Pool& pool_;
  const Clock& clock_;
  CustomerOptions options_;
};

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_APP_TRANSFER_APP_H_
