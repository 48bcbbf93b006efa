#include "services/order/domain/order_job.h"

#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/core/csv_reader.h"
#include "libs/core/ids.h"
#include "libs/core/status.h"
#include "services/order/domain/order_export.h"
#include "services/order/domain/order_rules.h"
#include "services/order/domain/order_state.h"
#include "store/order/v1/events.pb.h"

namespace store::order {
namespace {

// Lower-case name of an enum value after its prefix.
std::string ShortName(const std::string& full, absl::string_view prefix) {
  absl::string_view name = full;
  if (absl::StartsWith(name, prefix)) name.remove_prefix(prefix.size());
  return absl::AsciiStrToLower(name);
}

absl::Status CheckShipment(absl::string_view field, const v1::OrderJobShipment& s) {
  absl::StatusOr<v1::Shipment> built = ShipmentOf(s);
  if (!built.ok()) return field.empty() ? built.status() : WithFieldPrefix(field, built.status());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::OrderJobShipment>> ParseShipmentsCsv(absl::string_view text) {
  CsvReader reader;
  reader.Feed(text);
  reader.Finish();
  CsvReader::Record record;
  if (!reader.Next(record)) {
    return InvalidField("shipments_csv",
                        "is empty; it needs a header row: order_number,carrier,tracking_number");
  }
  auto at_line = [&](int64_t line, absl::string_view message) {
    return InvalidField("shipments_csv", absl::StrCat("line ", line, ": ", message));
  };
  if (!record.ok()) return at_line(record.line, record.error);
  constexpr absl::string_view kRequired[] = {"order_number", "carrier", "tracking_number"};
  constexpr absl::string_view kAllowed[] = {"tracking_url"};
  absl::StatusOr<CsvHeader> header = CsvHeader::Parse(record, kRequired, kAllowed);
  if (!header.ok()) {
    return InvalidField("shipments_csv", absl::StrCat("header: ", header.status().message()));
  }
  std::vector<v1::OrderJobShipment> out;
  while (reader.Next(record)) {
    if (!record.ok()) return at_line(record.line, record.error);
    if (static_cast<int>(out.size()) >= kMaxJobOrders) {
      return InvalidField("shipments_csv",
                          absl::StrCat("has more than ", kMaxJobOrders, " rows (a job's limit)"));
    }
    v1::OrderJobShipment s;
    const std::string number(
        absl::StripAsciiWhitespace(header->Get(record, "order_number").value_or("")));
    int64_t n = 0;
    absl::string_view digits = number;
    if (absl::StartsWith(digits, "#")) digits.remove_prefix(1);  // "#10001" as admins write it
    if (!absl::SimpleAtoi(digits, &n) || n <= 0) {
      return at_line(record.line, absl::StrCat("order_number: must be an order number such as "
                                               "10001, got \"",
                                               number, "\""));
    }
    s.set_order_number(n);
    s.set_carrier(
        std::string(absl::StripAsciiWhitespace(header->Get(record, "carrier").value_or(""))));
    s.set_tracking_number(std::string(
        absl::StripAsciiWhitespace(header->Get(record, "tracking_number").value_or(""))));
    s.set_tracking_url(
        std::string(absl::StripAsciiWhitespace(header->Get(record, "tracking_url").value_or(""))));
    if (absl::Status st = CheckShipment("", s); !st.ok()) {
      return at_line(record.line, st.message());
    }
    out.push_back(std::move(s));
  }
  if (out.empty()) return InvalidField("shipments_csv", "has a header but no rows");
  return out;
}

}  // namespace

absl::StatusOr<v1::Shipment> ShipmentOf(const v1::OrderJobShipment& s) {
  v1::ShipOrderRequest ship;
  ship.set_carrier(s.carrier());
  ship.set_tracking_number(s.tracking_number());
  ship.set_tracking_url(s.tracking_url());
  return BuildShipment(ship);
}

std::string JobActionName(v1::OrderJobAction action) {
  return ShortName(v1::OrderJobAction_Name(action), "ORDER_JOB_ACTION_");
}

std::string JobOutcomeName(v1::OrderJobItemOutcome outcome) {
  return ShortName(v1::OrderJobItemOutcome_Name(outcome), "ORDER_JOB_ITEM_OUTCOME_");
}

absl::Status ValidateJobRequest(const v1::CreateOrderJobRequest& request) {
  if (!IsUuid(request.request_id())) {
    return InvalidField("request_id",
                        "must be a UUID chosen by the caller (it makes retries safe)");
  }
  const v1::OrderJobAction action = request.action();
  if (action == v1::ORDER_JOB_ACTION_UNSPECIFIED || action == v1::ORDER_JOB_ACTION_UNDO ||
      !v1::OrderJobAction_IsValid(action)) {
    return InvalidField("action",
                        "must be one of MARK_PAID, SHIP, COMPLETE, CANCEL, REJECT "
                        "(an undo is UndoOrderJob)");
  }
  const bool ship = action == v1::ORDER_JOB_ACTION_SHIP;
  const int sources = (request.order_ids_size() > 0) + request.has_filter() +
                      (request.shipments_size() > 0) + !request.shipments_csv().empty();
  if (sources != 1) {
    return InvalidField(ship ? "shipments" : "order_ids",
                        ship ? "give the orders once: shipments or shipments_csv (each order's "
                               "carrier and tracking number)"
                             : "give the orders once: order_ids or filter");
  }
  if (ship && (request.order_ids_size() > 0 || request.has_filter())) {
    return InvalidField("shipments",
                        "a ship job takes each order's carrier and tracking number: "
                        "give shipments or shipments_csv, not order_ids or filter");
  }
  if (!ship && (request.shipments_size() > 0 || !request.shipments_csv().empty())) {
    return InvalidField(request.shipments_size() > 0 ? "shipments" : "shipments_csv",
                        "only a ship job takes shipments");
  }
  const bool needs_reason =
      action == v1::ORDER_JOB_ACTION_CANCEL || action == v1::ORDER_JOB_ACTION_REJECT;
  if (needs_reason) {
    STORE_RETURN_IF_ERROR(ValidateReason("reason", request.reason()));
  } else if (!request.reason().empty()) {
    return InvalidField("reason", "is for cancel and reject jobs only");
  }
  if (request.order_ids_size() > kMaxJobOrders) {
    return InvalidField("order_ids", absl::StrCat("at most ", kMaxJobOrders, " orders in a job"));
  }
  std::set<std::string> seen;
  for (int i = 0; i < request.order_ids_size(); ++i) {
    const std::string field = absl::StrCat("order_ids[", i, "]");
    const std::string id = absl::AsciiStrToLower(request.order_ids(i));
    if (!IsUuid(id)) return InvalidField(field, "must be an order id (a UUID)");
    if (!seen.insert(id).second) return InvalidField(field, "lists an order twice");
  }
  if (request.has_filter()) STORE_RETURN_IF_ERROR(ValidateOrderFilter(request.filter()));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::OrderJobShipment>> JobShipments(
    const v1::CreateOrderJobRequest& request) {
  std::vector<v1::OrderJobShipment> out;
  if (!request.shipments_csv().empty()) {
    STORE_ASSIGN_OR_RETURN(out, ParseShipmentsCsv(request.shipments_csv()));
  } else {
    if (request.shipments_size() > kMaxJobOrders) {
      return InvalidField("shipments", absl::StrCat("at most ", kMaxJobOrders, " orders in a job"));
    }
    for (int i = 0; i < request.shipments_size(); ++i) {
      const std::string field = absl::StrCat("shipments[", i, "]");
      v1::OrderJobShipment s = request.shipments(i);
      s.set_order_id(absl::AsciiStrToLower(s.order_id()));
      if (s.order_id().empty() == (s.order_number() == 0)) {
        return InvalidField(field, "name the order by order_id or by order_number (one of them)");
      }
      if (!s.order_id().empty() && !IsUuid(s.order_id())) {
        return InvalidField(absl::StrCat(field, ".order_id"), "must be an order id (a UUID)");
      }
      if (s.order_number() < 0) {
        return InvalidField(absl::StrCat(field, ".order_number"), "must be positive");
      }
      STORE_RETURN_IF_ERROR(CheckShipment(field, s));
      out.push_back(std::move(s));
    }
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < out.size(); ++i) {
    const std::string key =
        out[i].order_id().empty() ? absl::StrCat("#", out[i].order_number()) : out[i].order_id();
    if (!seen.insert(key).second) {
      return InvalidField(request.shipments_csv().empty() ? absl::StrCat("shipments[", i, "]")
                                                          : std::string("shipments_csv"),
                          absl::StrCat("order ", key, " is listed twice"));
    }
  }
  return out;
}

bool IsUndoable(v1::OrderJobAction action) {
  return action == v1::ORDER_JOB_ACTION_SHIP || action == v1::ORDER_JOB_ACTION_COMPLETE;
}

absl::StatusOr<OrderChange> ApplyJobStep(const JobStep& step, v1::Order& order,
                                         const std::string& payment_id, absl::Time now) {
  switch (step.action) {
    case v1::ORDER_JOB_ACTION_MARK_PAID:
      return MarkPaid(order, payment_id, absl::StrCat("job:", step.job_id), now);
    case v1::ORDER_JOB_ACTION_SHIP:
      return Ship(order, step.shipment, now);
    case v1::ORDER_JOB_ACTION_COMPLETE:
      return Complete(order);
    case v1::ORDER_JOB_ACTION_CANCEL:
      return Cancel(order, step.reason, v1::CANCEL_INITIATOR_STORE);
    case v1::ORDER_JOB_ACTION_REJECT:
      return Reject(order, step.reason);
    case v1::ORDER_JOB_ACTION_UNDO:
      break;
    default:
      return absl::InvalidArgumentError("unknown job action");
  }
  // An undo: only an order exactly as the job left it is taken back.
  if (order.version() != step.version_after) {
    return Precondition(kChangedSinceJob,
                        absl::StrCat("the order changed after the job (version ",
                                     step.version_after, " then, ", order.version(), " now; it is ",
                                     StatusName(order.status()), "): left as it is"),
                        {{"status", StatusName(order.status())}});
  }
  OrderChange change;
  switch (step.undone_action) {
    case v1::ORDER_JOB_ACTION_SHIP:
      STORE_RETURN_IF_ERROR(CheckCorrection(order.status(), v1::ORDER_STATUS_PROCESSING));
      change.action = "shipment_withdrawn";
      change.reason = absl::StrCat("undo: ", order.shipment().carrier(), " ",
                                   order.shipment().tracking_number(), " withdrawn");
      order.set_status(v1::ORDER_STATUS_PROCESSING);
      order.clear_shipment();
      break;
    case v1::ORDER_JOB_ACTION_COMPLETE:
      STORE_RETURN_IF_ERROR(CheckCorrection(order.status(), step.status_before));
      change.action = "completion_withdrawn";
      change.reason = absl::StrCat("undo: back to ", StatusName(step.status_before));
      order.set_status(step.status_before);
      break;
    default:
      return Precondition("JOB_NOT_UNDOABLE", absl::StrCat("a ", JobActionName(step.undone_action),
                                                           " job cannot be undone"));
  }
  change.event = std::make_unique<v1::OrderStatusChanged>();
  return change;
}

std::vector<std::string> JobItemsHeader() {
  return {"order_number", "order_id",      "outcome", "from_status",     "to_status",
          "error_code",   "error_message", "carrier", "tracking_number", "done_time"};
}

absl::Status WriteJobItemRow(const v1::OrderJobItem& item, const absl::TimeZone& zone,
                             CsvStream& csv) {
  csv.Field(item.order_number() > 0 ? absl::StrCat(item.order_number()) : "");
  csv.Field(item.order_id());
  csv.Field(JobOutcomeName(item.outcome()));
  csv.Field(item.from_status() == v1::ORDER_STATUS_UNSPECIFIED ? ""
                                                               : StatusName(item.from_status()));
  csv.Field(item.to_status() == v1::ORDER_STATUS_UNSPECIFIED ? "" : StatusName(item.to_status()));
  csv.Field(item.error_code());
  csv.Field(item.error_message());
  csv.Field(item.carrier());
  csv.Field(item.tracking_number());
  csv.Field(ExportTime(item.done_time(), zone));
  return csv.EndRow();
}

}  // namespace store::order
