// ExportOrders (ORD-10): the orders a filter matches as streamed CSV, read
// in keyset pages of the same query as ListOrders (store/order_store.h), so
// an export and the list agree row for row.
#ifndef STORE_SERVICES_ORDER_APP_ORDER_EXPORT_APP_H_
#define STORE_SERVICES_ORDER_APP_ORDER_EXPORT_APP_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/core/csv.h"
#include "libs/pg/pool.h"
#include "store/order/v1/order_service.pb.h"

namespace store::order {

class OrderExportApp {
 public:
  // `zone`: the store's time zone (STORE_TIME_ZONE), for the times.
  OrderExportApp(pg::Pool& pool, absl::TimeZone zone) : pool_(pool), zone_(zone) {}

  // The file's suggested name for the request.
  static std::string FileName(const v1::ExportOrdersRequest& request);
  // Validates first (INVALID_ARGUMENT naming the field, nothing written),
  // then writes the header and the rows to `sink`; CANCELLED when the
  // reader goes away.
  absl::Status Export(const v1::ExportOrdersRequest& request, const CsvStream::Sink& sink);

 private:
  pg::Pool& pool_;
  const absl::TimeZone zone_;
};

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_APP_ORDER_EXPORT_APP_H_
