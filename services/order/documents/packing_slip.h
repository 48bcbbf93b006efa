// Packing slips and pick lists (ORD-11), as self-contained HTML pages and
// A4 PDFs laid out with libs/render (Pango shapes any script). A batch is
// one document with each order on a new page. What is left to ship is
// shown: refunded units are taken off and fully refunded lines left out.
// No prices unless asked. Same orders and options, same bytes.
#ifndef STORE_SERVICES_ORDER_DOCUMENTS_PACKING_SLIP_H_
#define STORE_SERVICES_ORDER_DOCUMENTS_PACKING_SLIP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/order/v1/order.pb.h"
#include "store/order/v1/order_service.pb.h"

namespace store::order {

struct PackingOptions {
  // Printed at the top of every slip (STORE_NAME).
  std::string store_name;
  // Unit prices and line totals on the slips.
  bool show_prices = false;
  // Dates are printed in it (STORE_TIME_ZONE).
  absl::TimeZone zone = absl::UTCTimeZone();
};

// A line as it goes in the parcel.
struct PackLine {
  std::string sku;
  std::string name;
  int64_t quantity = 0;  // ordered less refunded
  const v1::OrderItem* item = nullptr;
};

// The lines still to ship, in order; lines refunded in full are left out.
std::vector<PackLine> LinesToPack(const v1::Order& order);

// The orders in the batch's order: by number, or by their first sku to
// pack (then number), so one product's orders come together.
std::vector<const v1::Order*> PackingOrder(const std::vector<v1::Order>& orders,
                                           v1::PackingSlipSort sort);

// The pick list: per sku, the units to pick over the batch and the orders
// they go to. By sku.
struct PickRow {
  std::string sku;
  std::string name;
  int64_t quantity = 0;
  std::vector<int64_t> order_numbers;
};
std::vector<PickRow> PickList(const std::vector<v1::Order>& orders);

std::string RenderPackingSlipsHtml(const std::vector<const v1::Order*>& orders,
                                   const PackingOptions& options);
absl::StatusOr<std::string> RenderPackingSlipsPdf(const std::vector<const v1::Order*>& orders,
                                                  const PackingOptions& options);
std::string RenderPickListHtml(const std::vector<v1::Order>& orders, const PackingOptions& options);
absl::StatusOr<std::string> RenderPickListPdf(const std::vector<v1::Order>& orders,
                                              const PackingOptions& options);

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_DOCUMENTS_PACKING_SLIP_H_
