#include "services/order/app/packing_app.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "libs/core/download.h"
#include "libs/core/ids.h"
#include "libs/core/status.h"
#include "services/order/domain/order_rules.h"
#include "services/order/store/order_store.h"

namespace store::order {
namespace {

constexpr char kPdf[] = "application/pdf";
constexpr char kHtml[] = "text/html; charset=utf-8";

absl::Status Send(const PackingApp::Sink& sink, const std::string& type, const std::string& name,
                  const std::string& bytes) {
  bool first = true;
  return SendInChunks(bytes, [&](const std::string& chunk) {
    const bool head = first;
    first = false;
    return sink(head ? type : "", head ? name : "", chunk);
  });
}

bool Html(const v1::RenderPackingSlipsRequest& request) {
  return request.format() == v1::DOCUMENT_FORMAT_HTML;
}

absl::Status CheckFormat(const v1::RenderPackingSlipsRequest& request) {
  if (!v1::DocumentFormat_IsValid(request.format())) {
    return InvalidField("format", "must be DOCUMENT_FORMAT_PDF or DOCUMENT_FORMAT_HTML");
  }
  if (!v1::PackingSlipSort_IsValid(request.sort())) {
    return InvalidField("sort", "must be PACKING_SLIP_SORT_ORDER_NUMBER or PACKING_SLIP_SORT_SKU");
  }
  return absl::OkStatus();
}

}  // namespace

PackingOptions PackingApp::Options(const v1::RenderPackingSlipsRequest& request) const {
  PackingOptions options = options_;
  options.show_prices = request.show_prices();
  return options;
}

absl::StatusOr<std::vector<v1::Order>> PackingApp::Batch(
    const v1::RenderPackingSlipsRequest& request) {
  STORE_RETURN_IF_ERROR(CheckFormat(request));
  if (request.order_ids_size() > kMaxBatch) {
    return InvalidField("order_ids", absl::StrCat("at most ", kMaxBatch, " orders per document"));
  }
  std::set<std::string> seen;
  for (int i = 0; i < request.order_ids_size(); ++i) {
    const std::string field = absl::StrCat("order_ids[", i, "]");
    if (!IsUuid(request.order_ids(i))) return InvalidField(field, "must be an order id (a UUID)");
    if (!seen.insert(request.order_ids(i)).second) return InvalidField(field, "appears twice");
  }
  if (request.order_ids().empty()) STORE_RETURN_IF_ERROR(ValidateOrderFilter(request.filter()));
  std::vector<v1::Order> orders;
  STORE_RETURN_IF_ERROR(pool_.InTransaction(
      pg::Isolation::kAutocommit, [&](pqxx::transaction_base& tx) -> absl::Status {
        if (request.order_ids().empty()) {
          orders = OrderStore::List(tx, request.filter(), v1::ORDER_SORT_FIELD_CREATE_TIME,
                                    /*ascending=*/true, std::nullopt, kMaxBatch);
          return absl::OkStatus();
        }
        for (const std::string& id : request.order_ids()) {
          std::optional<v1::Order> o = OrderStore::Load(tx, id, /*for_update=*/false);
          if (!o.has_value()) return NotFound("order", id);
          orders.push_back(*std::move(o));
        }
        return absl::OkStatus();
      }));
  if (static_cast<int>(orders.size()) > kMaxBatch) {
    return InvalidField("filter", absl::StrCat("matches more than ", kMaxBatch,
                                               " orders; narrow it or print in batches"));
  }
  if (orders.empty()) return InvalidField("filter", "matches no order");
  return orders;
}

absl::Status PackingApp::PackingSlips(const v1::RenderPackingSlipsRequest& request,
                                      const Sink& sink) {
  STORE_ASSIGN_OR_RETURN(std::vector<v1::Order> orders, Batch(request));
  const std::vector<const v1::Order*> sorted = PackingOrder(orders, request.sort());
  const std::string base = orders.size() == 1 ? absl::StrCat("packing-slip-", orders[0].number())
                                              : std::string("packing-slips");
  if (Html(request)) {
    return Send(sink, kHtml, base + ".html", RenderPackingSlipsHtml(sorted, Options(request)));
  }
  STORE_ASSIGN_OR_RETURN(std::string pdf, RenderPackingSlipsPdf(sorted, Options(request)));
  return Send(sink, kPdf, base + ".pdf", pdf);
}

absl::Status PackingApp::PickList(const v1::RenderPackingSlipsRequest& request, const Sink& sink) {
  STORE_ASSIGN_OR_RETURN(std::vector<v1::Order> orders, Batch(request));
  if (Html(request)) {
    return Send(sink, kHtml, "pick-list.html", RenderPickListHtml(orders, Options(request)));
  }
  STORE_ASSIGN_OR_RETURN(std::string pdf, RenderPickListPdf(orders, Options(request)));
  return Send(sink, kPdf, "pick-list.pdf", pdf);
}

}  // namespace store::order
