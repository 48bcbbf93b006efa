#include "services/order/app/order_export_app.h"

#include <optional>
#include <thread>
#include <utility>
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
  // A reader thread fetches and parses the next pages while this one
  // writes the rows: the database's time and the formatting overlap.
  PageQueue pages;
  std::thread reader([&] { ReadPages(request.filter(), pages); });
  absl::Status status = WriteRows(request, pages, sink);
  pages.Close();
  reader.join();
  return status;
}

void OrderExportApp::ReadPages(const v1::OrderFilter& filter, PageQueue& pages) {
  std::optional<KeysetCursor> after;
  while (true) {
    Page page;
    google::protobuf::ArenaOptions options;
    options.start_block_size = 256 << 10;
    options.max_block_size = 4 << 20;
    page.arena = std::make_unique<google::protobuf::Arena>(options);
    page.status = pool_.InTransaction(pg::Isolation::kAutocommit, [&](pqxx::transaction_base& tx) {
      page.orders.clear();
      OrderStore::ListInto(tx, filter, v1::ORDER_SORT_FIELD_CREATE_TIME, /*ascending=*/true, after,
                           kPage, page.arena.get(), &page.orders);
      return absl::OkStatus();
    });
    page.last = !page.status.ok() || static_cast<int>(page.orders.size()) <= kPage;
    if (!page.last) {
      page.orders.resize(kPage);
      after.emplace();
      after->sort_value = TimeUtil::TimestampToMicroseconds(page.orders.back()->create_time());
      after->id = page.orders.back()->id();
    }
    const bool last = page.last;
    if (!pages.Push(std::move(page)) || last) return;
  }
}

absl::Status OrderExportApp::WriteRows(const v1::ExportOrdersRequest& request, PageQueue& pages,
                                       const CsvStream::Sink& sink) {
  const v1::OrderExportLayout layout = request.layout();
  CsvStream csv(sink);
  STORE_RETURN_IF_ERROR(csv.Row(OrderExportHeader(layout)));
  OrderedProducts products;
  while (true) {
    std::optional<Page> page = pages.Pop();
    if (!page.has_value()) return absl::InternalError("the export's reader stopped");
    STORE_RETURN_IF_ERROR(page->status);
    for (const v1::Order* order : page->orders) {
      const v1::Order& o = *order;
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
    if (page->last) break;
  }
  if (layout == v1::ORDER_EXPORT_LAYOUT_PRODUCTS) STORE_RETURN_IF_ERROR(products.Write(csv));
  return csv.Flush();
}

bool OrderExportApp::PageQueue::Push(Page page) {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](PageQueue* q) { return q->closed_ || q->pages_.size() < kAhead; }, this));
  if (closed_) return false;
  pages_.push_back(std::move(page));
  return true;
}

std::optional<OrderExportApp::Page> OrderExportApp::PageQueue::Pop() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](PageQueue* q) { return q->closed_ || !q->pages_.empty(); }, this));
  if (pages_.empty()) return std::nullopt;
  Page page = std::move(pages_.front());
  pages_.pop_front();
  return page;
}

void OrderExportApp::PageQueue::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

}  // namespace store::order
