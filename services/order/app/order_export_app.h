// ExportOrders (ORD-10): the orders a filter matches as streamed CSV, read
// in keyset pages of the same query as ListOrders (store/order_store.h), so
// an export and the list agree row for row.
#ifndef STORE_SERVICES_ORDER_APP_ORDER_EXPORT_APP_H_
#define STORE_SERVICES_ORDER_APP_ORDER_EXPORT_APP_H_

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/arena.h"
#include "libs/core/csv.h"
#include "libs/pg/pool.h"
#include "store/order/v1/order.pb.h"
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
  // A page of orders read ahead; `last` ends the export.
  struct Page {
    // The page's orders live in its arena: freed at once with the page.
    std::unique_ptr<google::protobuf::Arena> arena;
    std::vector<v1::Order*> orders;
    absl::Status status;
    bool last = false;
  };
  // Pages read ahead, at most kAhead at a time (bounded memory).
  class PageQueue {
   public:
    static constexpr size_t kAhead = 2;
    // False once closed (the writer stopped).
    bool Push(Page page);
    // nullopt once closed and empty.
    std::optional<Page> Pop();
    void Close();

   private:
    absl::Mutex mu_;
    std::deque<Page> pages_;
    bool closed_ = false;
  };

  void ReadPages(const v1::OrderFilter& filter, PageQueue& pages);
  absl::Status WriteRows(const v1::ExportOrdersRequest& request, PageQueue& pages,
                         const CsvStream::Sink& sink);

  pg::Pool& pool_;
  const absl::TimeZone zone_;
};

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_APP_ORDER_EXPORT_APP_H_
