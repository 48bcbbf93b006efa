// The rows of the order exports (ORD-10), from order snapshots: pure, no I/O.
// Money is a decimal string in the currency's digits next to a currency
// column; times are RFC 3339 in the store's time zone.
#ifndef STORE_SERVICES_ORDER_DOMAIN_ORDER_EXPORT_H_
#define STORE_SERVICES_ORDER_DOMAIN_ORDER_EXPORT_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "libs/core/csv.h"
#include "store/order/v1/order.pb.h"
#include "store/order/v1/order_service.pb.h"

namespace store::order {

// RFC 3339 to the second with the zone's offset (2026-07-01T12:00:00+02:00);
// "" for an unset time.
std::string ExportTime(const google::protobuf::Timestamp& ts, const absl::TimeZone& zone);

// The header of a layout (UNSPECIFIED is ORDERS).
std::vector<std::string> OrderExportHeader(v1::OrderExportLayout layout);

// The order's fields of a row (ORDERS and LINES layouts), without ending it.
void WriteOrderFields(const v1::Order& order, const absl::TimeZone& zone, CsvStream& csv);
// A line's fields (LINES layout), 1-based line number, without ending it.
void WriteLineFields(const v1::Order& order, int line_no, CsvStream& csv);

// The net sales of a line: its subtotal less its discount, less the share
// of the refunded units (rounded half up); tax excluded.
int64_t LineNetSales(const v1::OrderItem& item);

// Whether the PRODUCTS layout counts an order: cancelled and rejected
// orders sold nothing, unless the filter asks for those statuses.
bool CountsAsSold(const v1::Order& order, const v1::OrderFilter& filter);

// The ordered products (PRODUCTS layout): per sku and currency.
class OrderedProducts {
 public:
  struct Row {
    std::string sku;
    std::string currency;
    std::string name;  // the name on its first line
    int64_t sold = 0;
    int64_t refunded = 0;
    int64_t returned = 0;  // came back (RecordReturn), refunded or not
    int64_t net_sales = 0;
    std::vector<int64_t> numbers;  // each order once, in the order added
  };

  void Add(const v1::Order& order);
  // Most net units first, then by sku.
  std::vector<Row> Rows() const;
  // Writes every row (header excluded).
  absl::Status Write(CsvStream& csv) const;

 private:
  std::map<std::pair<std::string, std::string>, Row> rows_;
};

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_DOMAIN_ORDER_EXPORT_H_
