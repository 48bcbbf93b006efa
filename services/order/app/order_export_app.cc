#include "services/order/app/order_export_app.h"

#include <optional>
#include <vector>

#include "google/protobuf/util/time_util.h"
#include "libs/core/paging.h"
#include "libs/core/status.h"
#include "services/order/domain/order_export.h"
#include "services/order/domain/order_rules.h"
#include "services/order/store/order_store.h"

namespace store::order {
namespace {

using google::protobuf::util::TimeUtil;

// Orders per page: one query each, oldest first.
constexpr int kPage = 2000;

}  // namespace

std::string OrderExportApp::FileName(const v1::ExportOrdersRequest& request) {
  switch (request.layout()) {
    case v1::ORDER_EXPORT_LAYOUT_LINES:
      return "order-lines.csv";
    case v1::ORDER_EXPORT_LAYOUT_PRODUCTS:
      return "ordered-products.csv";
    default:
      return "orders.csv";
  }
}

absl::Status OrderExportApp::Export(const v1::ExportOrdersRequest& request,
                                    const CsvStream::Sink& sink) {
  STORE_RETURN_IF_ERROR(ValidateOrderFilter(request.filter()));
  const v1::OrderExportLayout layout = request.layout();
  if (!v1::OrderExportLayout_IsValid(layout)) {
    return InvalidField("layout", "must be ORDERS, LINES or PRODUCTS");
  }
  CsvStream csv(sink);
  STORE_RETURN_IF_ERROR(csv.Row(OrderExportHeader(layout)));
  OrderedProducts products;
  std::optional<KeysetCursor> after;
  while (true) {
    std::vector<v1::Order> page;
    STORE_RETURN_IF_ERROR(
        pool_.InTransaction(pg::Isolation::kAutocommit, [&](pqxx::transaction_base& tx) {
          page = OrderStore::List(tx, request.filter(), v1::ORDER_SORT_FIELD_CREATE_TIME,
                                  /*ascending=*/true, after, kPage);
          return absl::OkStatus();
        }));
    const bool more = static_cast<int>(page.size()) > kPage;
    if (more) page.resize(kPage);
    for (const v1::Order& o : page) {
      if (layout == v1::ORDER_EXPORT_LAYOUT_PRODUCTS) {
        if (CountsAsSold(o, request.filter())) products.Add(o);
      } else if (layout == v1::ORDER_EXPORT_LAYOUT_LINES) {
        for (int line = 1; line <= o.items_size(); ++line) {
          WriteOrderFields(o, zone_, csv);
          WriteLineFields(o, line, csv);
          STORE_RETURN_IF_ERROR(csv.EndRow());
        }
      } else {
        WriteOrderFields(o, zone_, csv);
        STORE_RETURN_IF_ERROR(csv.EndRow());
      }
    }
    if (!more) break;
    after.emplace();
    after->sort_value = TimeUtil::TimestampToMicroseconds(page.back().create_time());
    after->id = page.back().id();
  }
  if (layout == v1::ORDER_EXPORT_LAYOUT_PRODUCTS) STORE_RETURN_IF_ERROR(products.Write(csv));
  return csv.Flush();
}

}  // namespace store::order
