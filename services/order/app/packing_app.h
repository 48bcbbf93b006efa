// RenderPackingSlips and RenderPickList (ORD-11): loads the batch, renders
// it with documents/packing_slip.h and hands the bytes out in chunks.
#ifndef STORE_SERVICES_ORDER_APP_PACKING_APP_H_
#define STORE_SERVICES_ORDER_APP_PACKING_APP_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/pg/pool.h"
#include "services/order/documents/packing_slip.h"
#include "store/order/v1/order_service.pb.h"

namespace store::order {

class PackingApp {
 public:
  // The sink gets the content type and file name with the first chunk;
  // false when the reader has gone.
  using Sink = std::function<bool(const std::string& content_type, const std::string& file_name,
                                  const std::string& data)>;
  static constexpr int kMaxBatch = 500;

  PackingApp(pg::Pool& pool, PackingOptions options) : pool_(pool), options_(std::move(options)) {}

  absl::Status PackingSlips(const v1::RenderPackingSlipsRequest& request, const Sink& sink);
  absl::Status PickList(const v1::RenderPackingSlipsRequest& request, const Sink& sink);

 private:
  // The batch's orders: INVALID_ARGUMENT for a bad id, a repeated one, more
  // than kMaxBatch or none; NOT_FOUND naming a missing order.
  absl::StatusOr<std::vector<v1::Order>> Batch(const v1::RenderPackingSlipsRequest& request);
  PackingOptions Options(const v1::RenderPackingSlipsRequest& request) const;

  pg::Pool& pool_;
  const PackingOptions options_;
};

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_APP_PACKING_APP_H_
