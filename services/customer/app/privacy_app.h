// Privacy (CUS-13): one customer's data export gathered from every service
// that holds some, and erasure with a proof-of-erasure record.
#ifndef STORE_SERVICES_CUSTOMER_APP_PRIVACY_APP_H_
#define STORE_SERVICES_CUSTOMER_APP_PRIVACY_APP_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/core/clock.h"
#include "libs/pg/pool.h"
#include "services/customer/app/customer_app.h"
#include "services/customer/app/customer_options.h"
#include "store/customer/v1/customer.pb.h"
#include "store/customer/v1/customer_service.pb.h"

namespace store::customer {

// Another service's part of a data export: its name and a JSON value, or an
// error when it cannot be reached (the export then names it as missing).
struct DataSource {
  std::string name;  // "orders", "newsletter"
  std::function<absl::StatusOr<std::string>(const v1::Customer& customer)> fetch;
};

class PrivacyApp {
 public:
  PrivacyApp(pg::Pool& pool, const Clock& clock, std::vector<DataSource> sources,
             CustomerOptions options = {})
      : pool_(pool), clock_(clock), sources_(std::move(sources)), options_(std::move(options)) {}

  absl::StatusOr<v1::ExportCustomerDataResponse> ExportData(const std::string& customer_id);
  absl::StatusOr<v1::ErasureRecord> Erase(const v1::EraseCustomerRequest& request,
                                          const Caller& caller);
  absl::StatusOr<v1::ErasureRecord> GetErasure(const std::string& id);

 private:
  pg::Pool& pool_;
  const Clock& clock_;
  std::vector<DataSource> sources_;
  CustomerOptions options_;
};

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_APP_PRIVACY_APP_H_
