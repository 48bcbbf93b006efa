#include "services/order/app/order_job_app.h"

#include <map>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "libs/core/paging.h"
#include "libs/core/status.h"
#include "libs/metrics/metrics.h"
#include "libs/pg/values.h"
#include "services/order/app/order_writes.h"
#include "services/order/domain/order_job.h"
#include "services/order/domain/order_rules.h"
#include "services/order/domain/order_state.h"
#include "services/order/store/order_store.h"

namespace store::order {
namespace {

prometheus::Family<prometheus::Counter>& JobItems() {
  static auto& f = prometheus::BuildCounter()
                       .Name("store_order_job_items_total")
                       .Help("Orders done by bulk jobs, by action and outcome.")
                       .Register(metrics::Registry());
  return f;
}

absl::Status CheckJobId(const std::string& id) {
  if (!IsUuid(id)) return InvalidField("job_id", "must be a job id (a UUID)");
  return absl::OkStatus();
}

JobItemRow NotFoundItem(std::string order_id, int64_t number) {
  JobItemRow row;
  row.item.set_order_id(std::move(order_id));
  row.item.set_order_number(number);
  row.item.set_outcome(v1::ORDER_JOB_ITEM_OUTCOME_FAILED);
  row.item.set_error_code("ORDER_NOT_FOUND");
  row.item.set_error_message(number > 0 ? absl::StrCat("no order has the number ", number)
                                        : "no order has this id");
  return row;
}

JobItemRow PendingItem(std::string order_id, int64_t number) {
  JobItemRow row;
  row.item.set_order_id(std::move(order_id));
  row.item.set_order_number(number);
  row.item.set_outcome(v1::ORDER_JOB_ITEM_OUTCOME_PENDING);
  return row;
}

// The job's items for a (validated) request: every order it names, in the
// order named; those that do not exist already FAILED.
absl::StatusOr<std::vector<JobItemRow>> ResolveItems(pqxx::transaction_base& tx,
                                                     const v1::CreateOrderJobRequest& request) {
  std::vector<JobItemRow> items;
  if (request.order_ids_size() > 0) {
    std::vector<std::string> ids;
    for (const std::string& id : request.order_ids()) ids.push_back(absl::AsciiStrToLower(id));
    std::map<std::string, int64_t> numbers;
    for (const auto& ref : OrderStore::FindRefs(tx, ids)) numbers[ref.id] = ref.number;
    for (const std::string& id : ids) {
      auto it = numbers.find(id);
      items.push_back(it == numbers.end() ? NotFoundItem(id, 0) : PendingItem(id, it->second));
    }
    return items;
  }
  if (request.has_filter()) {
    // Oldest first, the matches as they are now.
    const std::vector<v1::Order> orders = OrderStore::List(
        tx, request.filter(), v1::ORDER_SORT_FIELD_CREATE_TIME, true, std::nullopt, kMaxJobOrders);
    if (static_cast<int>(orders.size()) > kMaxJobOrders) {
      return InvalidField("filter", absl::StrCat("matches more than ", kMaxJobOrders,
                                                 " orders (a job's limit); narrow it"));
    }
    for (const v1::Order& o : orders) items.push_back(PendingItem(o.id(), o.number()));
    return items;
  }
  STORE_ASSIGN_OR_RETURN(std::vector<v1::OrderJobShipment> shipments, JobShipments(request));
  std::vector<std::string> ids;
  std::vector<int64_t> numbers;
  for (const auto& s : shipments) {
    if (s.order_id().empty()) {
      numbers.push_back(s.order_number());
    } else {
      ids.push_back(s.order_id());
    }
  }
  std::map<std::string, int64_t> number_of;
  std::map<int64_t, std::string> id_of;
  for (const auto& refs :
       {OrderStore::FindRefs(tx, ids), OrderStore::FindRefsByNumber(tx, numbers)}) {
    for (const auto& ref : refs) {
      number_of[ref.id] = ref.number;
      id_of[ref.number] = ref.id;
    }
  }
  std::map<std::string, int> seen;  // an order named by id and by number
  for (size_t i = 0; i < shipments.size(); ++i) {
    const v1::OrderJobShipment& s = shipments[i];
    JobItemRow row;
    if (s.order_id().empty()) {
      auto it = id_of.find(s.order_number());
      row = it == id_of.end() ? NotFoundItem("", s.order_number())
                              : PendingItem(it->second, s.order_number());
    } else {
      auto it = number_of.find(s.order_id());
      row = it == number_of.end() ? NotFoundItem(s.order_id(), 0)
                                  : PendingItem(s.order_id(), it->second);
    }
    if (!row.item.order_id().empty() && !seen.emplace(row.item.order_id(), i).second) {
      return InvalidField("shipments", absl::StrCat("order ", row.item.order_number(),
                                                    " is listed twice (by id and by number)"));
    }
    STORE_ASSIGN_OR_RETURN(v1::Shipment shipment, ShipmentOf(s));
    row.item.set_carrier(shipment.carrier());
    row.item.set_tracking_number(shipment.tracking_number());
    row.tracking_url = shipment.tracking_url();
    items.push_back(std::move(row));
  }
  return items;
}

std::map<std::string, v1::Order> ById(std::vector<v1::Order> orders) {
  std::map<std::string, v1::Order> out;
  for (v1::Order& o : orders) {
    std::string id = o.id();
    out.emplace(std::move(id), std::move(o));
  }
  return out;
}

JobStep StepFor(const JobRow& job, const std::optional<JobRow>& undone, const JobItemRow& row) {
  JobStep step;
  step.action = job.action;
  step.job_id = job.id;
  step.reason = job.reason;
  step.shipment.set_carrier(row.item.carrier());
  step.shipment.set_tracking_number(row.item.tracking_number());
  step.shipment.set_tracking_url(row.tracking_url);
  if (undone.has_value()) step.undone_action = undone->action;
  step.status_before = row.restore_status;
  step.version_after = row.expected_version;
  return step;
}

// Decides one item on `order` (nullptr: the order is gone): its outcome,
// statuses and error are set on `row`; the change when there is one.
std::optional<OrderChange> Decide(const JobStep& step, v1::Order* order, JobItemRow& row,
                                  absl::Time now) {
  v1::OrderJobItem& item = row.item;
  if (order == nullptr) {
    item.set_outcome(v1::ORDER_JOB_ITEM_OUTCOME_FAILED);
    item.set_error_code("ORDER_NOT_FOUND");
    item.set_error_message("no order has this id");
    return std::nullopt;
  }
  item.set_from_status(order->status());
  absl::StatusOr<OrderChange> change = ApplyJobStep(step, *order, NewUuid(), now);
  if (!change.ok()) {
    std::optional<common::v1::ErrorInfo> info = GetErrorInfo(change.status());
    const std::string code = info.has_value() ? info->reason() : "FAILED";
    item.set_outcome(code == kChangedSinceJob ? v1::ORDER_JOB_ITEM_OUTCOME_CONFLICT
                                              : v1::ORDER_JOB_ITEM_OUTCOME_FAILED);
    item.set_error_code(code);
    item.set_error_message(std::string(change.status().message()));
    item.set_to_status(v1::ORDER_STATUS_UNSPECIFIED);
    return std::nullopt;
  }
  item.set_outcome(v1::ORDER_JOB_ITEM_OUTCOME_CHANGED);
  item.set_to_status(order->status());
  return std::move(*change);
}

}  // namespace

absl::StatusOr<v1::OrderJob> OrderJobApp::Create(const v1::CreateOrderJobRequest& request,
                                                 const std::string& actor) {
  STORE_RETURN_IF_ERROR(ValidateJobRequest(request));
  v1::CreateOrderJobRequest fingerprinted = request;
  fingerprinted.clear_request_id();
  const std::string hash = Fingerprint(fingerprinted);
  const std::string request_id = absl::AsciiStrToLower(request.request_id());
  std::optional<v1::OrderJob> result;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    if (std::optional<JobRow> existing = OrderJobStore::FindByRequestId(tx, request_id)) {
      if (existing->request_hash != hash) {
        return MakeError(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED", "request_id",
                         "request_id was already used for a different job; use a new UUID for "
                         "a new job");
      }
      result = OrderJobStore::Get(tx, existing->id);
      return absl::OkStatus();
    }
    STORE_ASSIGN_OR_RETURN(std::vector<JobItemRow> items, ResolveItems(tx, request));
    if (items.empty()) {
      return InvalidField(request.has_filter() ? "filter" : "order_ids", "matches no order");
    }
    const absl::Time now = TruncateToMicros(clock_.Now());
    JobRow job;
    job.id = NewUuid();
    job.request_id = request_id;
    job.request_hash = hash;
    job.action = request.action();
    job.reason = request.reason();
    job.actor = actor;
    job.total = static_cast<int>(items.size());
    job.created_at = now;
    if (!OrderJobStore::InsertJob(tx, job)) {
      return absl::AbortedError("a job with this request_id was submitted at the same time; retry");
    }
    OrderJobStore::InsertItems(tx, job.id, items, now);
    OrderJobStore::FinishIfDone(tx, job.id, now);
    result = OrderJobStore::Get(tx, job.id);
    return absl::OkStatus();
  }));
  wake_();
  log::Info("order job submitted", {{"job_id", result->id()},
                                    {"action", JobActionName(result->action())},
                                    {"orders", absl::StrCat(result->total_count())},
                                    {"actor", actor}});
  return *result;
}

absl::StatusOr<v1::PreviewOrderJobResponse> OrderJobApp::Preview(
    const v1::CreateOrderJobRequest& request) {
  STORE_RETURN_IF_ERROR(ValidateJobRequest(request));
  v1::PreviewOrderJobResponse resp;
  STORE_RETURN_IF_ERROR(pool_.InTransaction(
      pg::Isolation::kRepeatableRead, [&](pqxx::transaction_base& tx) -> absl::Status {
        resp.Clear();
        STORE_ASSIGN_OR_RETURN(std::vector<JobItemRow> items, ResolveItems(tx, request));
        JobRow job;
        job.action = request.action();
        job.reason = request.reason();
        job.id = "preview";
        const absl::Time now = TruncateToMicros(clock_.Now());
        constexpr size_t kChunk = 1000;
        for (size_t start = 0; start < items.size(); start += kChunk) {
          const size_t end = std::min(items.size(), start + kChunk);
          std::vector<std::string> ids;
          for (size_t i = start; i < end; ++i) {
            if (items[i].item.outcome() == v1::ORDER_JOB_ITEM_OUTCOME_PENDING) {
              ids.push_back(items[i].item.order_id());
            }
          }
          std::map<std::string, v1::Order> orders = ById(OrderStore::LoadMany(tx, ids, false));
          for (size_t i = start; i < end; ++i) {
            JobItemRow& row = items[i];
            if (row.item.outcome() == v1::ORDER_JOB_ITEM_OUTCOME_PENDING) {
              auto it = orders.find(row.item.order_id());
              Decide(StepFor(job, std::nullopt, row), it == orders.end() ? nullptr : &it->second,
                     row, now);
            }
            if (row.item.outcome() == v1::ORDER_JOB_ITEM_OUTCOME_CHANGED) {
              resp.set_change_count(resp.change_count() + 1);
            } else {
              resp.set_fail_count(resp.fail_count() + 1);
            }
            *resp.add_items() = std::move(row.item);
          }
        }
        resp.set_total_count(static_cast<int>(items.size()));
        return absl::OkStatus();
      }));
  return resp;
}

absl::StatusOr<v1::OrderJob> OrderJobApp::Get(const std::string& job_id) {
  STORE_RETURN_IF_ERROR(CheckJobId(job_id));
  std::optional<v1::OrderJob> job;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
    job = OrderJobStore::Get(tx, job_id);
    return absl::OkStatus();
  }));
  if (!job.has_value()) return NotFound("order job", job_id);
  return *job;
}

absl::StatusOr<v1::ListOrderJobsResponse> OrderJobApp::List(
    const v1::ListOrderJobsRequest& request) {
  STORE_ASSIGN_OR_RETURN(const int size, PageSize(request.page_size()));
  const std::string binding = "order_jobs";
  std::optional<KeysetCursor> after;
  if (!request.page_token().empty()) {
    STORE_ASSIGN_OR_RETURN(after, DecodePageToken(request.page_token(), binding));
  }
  std::vector<v1::OrderJob> jobs;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
    jobs = OrderJobStore::List(tx, after, size);
    return absl::OkStatus();
  }));
  v1::ListOrderJobsResponse resp;
  const bool more = static_cast<int>(jobs.size()) > size;
  if (more) jobs.resize(size);
  for (auto& j : jobs) *resp.add_jobs() = std::move(j);
  if (more) {
    const v1::OrderJob& last = resp.jobs(resp.jobs_size() - 1);
    resp.set_next_page_token(TokenAfterRow(last.create_time(), last.id(), binding));
  }
  return resp;
}

absl::StatusOr<v1::ListOrderJobItemsResponse> OrderJobApp::ListItems(
    const v1::ListOrderJobItemsRequest& request) {
  STORE_RETURN_IF_ERROR(CheckJobId(request.job_id()));
  if (!v1::OrderJobItemOutcome_IsValid(request.outcome())) {
    return InvalidField("outcome", "must be PENDING, CHANGED, FAILED or CONFLICT");
  }
  const int size = request.page_size() == 0 ? 100 : request.page_size();
  if (size < 0 || size > kMaxPageSize) {
    return InvalidField("page_size", absl::StrCat("must be 0..", kMaxPageSize));
  }
  const std::string binding = absl::StrCat(request.job_id(), "|", request.outcome());
  int after = -1;
  if (!request.page_token().empty()) {
    STORE_ASSIGN_OR_RETURN(KeysetCursor c, DecodePageToken(request.page_token(), binding));
    after = static_cast<int>(c.sort_value);
  }
  v1::ListOrderJobItemsResponse resp;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    if (!OrderJobStore::Load(tx, request.job_id(), false)) {
      return NotFound("order job", request.job_id());
    }
    std::vector<JobItemRow> rows =
        OrderJobStore::ListItems(tx, request.job_id(), request.outcome(), after, size);
    const bool more = static_cast<int>(rows.size()) > size;
    if (more) rows.resize(size);
    for (auto& r : rows) *resp.add_items() = std::move(r.item);
    if (more) {
      KeysetCursor c;
      c.sort_value = rows.back().position;
      c.id = request.job_id();
      resp.set_next_page_token(EncodePageToken(c, binding));
    }
    return absl::OkStatus();
  }));
  return resp;
}

std::string OrderJobApp::ExportFileName(const std::string& job_id) {
  return absl::StrCat("order-job-", job_id.substr(0, 8), "-results.csv");
}

absl::Status OrderJobApp::ExportItems(const std::string& job_id, const CsvStream::Sink& sink) {
  STORE_RETURN_IF_ERROR(CheckJobId(job_id));
  STORE_RETURN_IF_ERROR(Get(job_id).status());
  CsvStream csv(sink);
  STORE_RETURN_IF_ERROR(csv.Row(JobItemsHeader()));
  constexpr int kPage = 2000;
  int after = -1;
  for (;;) {
    std::vector<JobItemRow> rows;
    STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
      rows = OrderJobStore::ListItems(tx, job_id, v1::ORDER_JOB_ITEM_OUTCOME_UNSPECIFIED, after,
                                      kPage);
      return absl::OkStatus();
    }));
    const bool more = static_cast<int>(rows.size()) > kPage;
    if (more) rows.resize(kPage);
    for (const JobItemRow& r : rows) {
      STORE_RETURN_IF_ERROR(WriteJobItemRow(r.item, options_.zone, csv));
    }
    if (!more) break;
    after = rows.back().position;
  }
  return csv.Flush();
}

absl::StatusOr<v1::OrderJob> OrderJobApp::Undo(const v1::UndoOrderJobRequest& request,
                                               const std::string& actor) {
  STORE_RETURN_IF_ERROR(CheckJobId(request.job_id()));
  if (!IsUuid(request.request_id())) {
    return InvalidField("request_id",
                        "must be a UUID chosen by the caller (it makes retries safe)");
  }
  const std::string job_id = absl::AsciiStrToLower(request.job_id());
  const std::string request_id = absl::AsciiStrToLower(request.request_id());
  const std::string hash = absl::StrCat("undo:", job_id);
  std::optional<v1::OrderJob> result;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    if (std::optional<JobRow> existing = OrderJobStore::FindByRequestId(tx, request_id)) {
      if (existing->request_hash != hash) {
        return MakeError(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED", "request_id",
                         "request_id was already used for another request");
      }
      result = OrderJobStore::Get(tx, existing->id);
      return absl::OkStatus();
    }
    std::optional<JobRow> job = OrderJobStore::Load(tx, job_id, /*for_update=*/true);
    if (!job.has_value()) return NotFound("order job", job_id);
    if (!IsUndoable(job->action)) {
      return Precondition(
          "JOB_NOT_UNDOABLE",
          job->action == v1::ORDER_JOB_ACTION_UNDO
              ? std::string("an undo cannot be undone")
              : absl::StrCat("a ", JobActionName(job->action),
                             " job cannot be undone: payments, cancellations and rejections "
                             "went out to the customer and the invoicing (refund, or place the "
                             "order again)"),
          {{"action", JobActionName(job->action)}});
    }
    const std::optional<v1::OrderJob> view = OrderJobStore::Get(tx, job_id);
    if (view->state() != v1::ORDER_JOB_STATE_DONE) {
      return Precondition("JOB_RUNNING", "the job is still running; undo it once it is done");
    }
    if (!view->undone_by_job_id().empty()) {
      return Precondition("JOB_ALREADY_UNDONE",
                          absl::StrCat("the job was undone by job ", view->undone_by_job_id()),
                          {{"undone_by_job_id", view->undone_by_job_id()}});
    }
    std::vector<JobItemRow> changed =
        OrderJobStore::ListItems(tx, job_id, v1::ORDER_JOB_ITEM_OUTCOME_CHANGED, -1, kMaxJobOrders);
    if (changed.empty()) {
      return Precondition("NOTHING_TO_UNDO", "the job changed no order");
    }
    std::vector<JobItemRow> items;
    for (const JobItemRow& done : changed) {
      JobItemRow row = PendingItem(done.item.order_id(), done.item.order_number());
      row.item.set_carrier(done.item.carrier());
      row.item.set_tracking_number(done.item.tracking_number());
      row.expected_version = done.version_after;
      row.restore_status = done.item.from_status();
      items.push_back(std::move(row));
    }
    const absl::Time now = TruncateToMicros(clock_.Now());
    JobRow undo;
    undo.id = NewUuid();
    undo.request_id = request_id;
    undo.request_hash = hash;
    undo.action = v1::ORDER_JOB_ACTION_UNDO;
    undo.undo_of = job_id;
    undo.actor = actor;
    undo.total = static_cast<int>(items.size());
    undo.created_at = now;
    if (!OrderJobStore::InsertJob(tx, undo)) {
      return absl::AbortedError("the job is being undone by another request; retry");
    }
    OrderJobStore::InsertItems(tx, undo.id, items, now);
    result = OrderJobStore::Get(tx, undo.id);
    return absl::OkStatus();
  }));
  wake_();
  log::Info("order job undo submitted",
            {{"job_id", result->id()}, {"undo_of", job_id}, {"actor", actor}});
  return *result;
}

absl::StatusOr<int> OrderJobApp::RunBatch(const JobRow& job, const std::optional<JobRow>& undone,
                                          int limit) {
  int done = 0;
  std::map<v1::OrderJobItemOutcome, int> outcomes;
  absl::Status status = pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    done = 0;
    outcomes.clear();
    const absl::Time now = TruncateToMicros(clock_.Now());
    std::vector<JobItemRow> items = OrderJobStore::ClaimPending(tx, job.id, limit);
    if (items.empty()) {
      OrderJobStore::FinishIfDone(tx, job.id, now);
      return absl::OkStatus();
    }
    std::vector<std::string> ids;
    for (const JobItemRow& row : items) ids.push_back(row.item.order_id());
    std::map<std::string, v1::Order> orders =
        ById(OrderStore::LoadMany(tx, ids, /*for_update=*/true));
    ChangeBatch batch(job.actor, job.id, now);
    for (JobItemRow& row : items) {
      auto it = orders.find(row.item.order_id());
      v1::Order* order = it == orders.end() ? nullptr : &it->second;
      std::optional<OrderChange> change = Decide(StepFor(job, undone, row), order, row, now);
      if (change.has_value()) {
        batch.Add(*order, row.item.from_status(), *change);
        row.version_after = order->version();
      }
      ++outcomes[row.item.outcome()];
    }
    batch.Write(tx);
    OrderJobStore::SaveOutcomes(tx, job.id, items, now);
    OrderJobStore::FinishIfDone(tx, job.id, now);
    done = static_cast<int>(items.size());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  for (const auto& [key, n] : outcomes) {
    JobItems()
        .Add({{"action", JobActionName(job.action)}, {"outcome", JobOutcomeName(key)}})
        .Increment(n);
  }
  return done;
}

absl::Status OrderJobApp::RunOneByOne(const JobRow& job, const std::optional<JobRow>& undone,
                                      int count) {
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<int> one = RunBatch(job, undone, 1);
    if (one.ok()) {
      if (*one == 0) return absl::OkStatus();
      continue;
    }
    if (one.status().code() == absl::StatusCode::kUnavailable) return one.status();
    // This order cannot be written: it fails alone, with the reason.
    const absl::Status cause = one.status();
    STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
      std::vector<JobItemRow> items = OrderJobStore::ClaimPending(tx, job.id, 1);
      const absl::Time now = TruncateToMicros(clock_.Now());
      for (JobItemRow& row : items) {
        row.item.set_outcome(v1::ORDER_JOB_ITEM_OUTCOME_FAILED);
        row.item.set_error_code("INTERNAL");
        row.item.set_error_message(std::string(cause.message()));
        log::Error(
            "order job item failed",
            {{"job_id", job.id}, {"order_id", row.item.order_id()}, {"error", cause.ToString()}});
      }
      OrderJobStore::SaveOutcomes(tx, job.id, items, now);
      OrderJobStore::FinishIfDone(tx, job.id, now);
      return absl::OkStatus();
    }));
  }
  return absl::OkStatus();
}

absl::Status OrderJobApp::RunPending() {
  const absl::Time deadline = absl::Now() + options_.run_budget;
  std::vector<JobRow> jobs;
  std::map<std::string, JobRow> undone_jobs;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
    jobs = OrderJobStore::Unfinished(tx);
    for (const JobRow& job : jobs) {
      if (job.undo_of.empty()) continue;
      if (std::optional<JobRow> undone = OrderJobStore::Load(tx, job.undo_of, false)) {
        undone_jobs[job.id] = *undone;
      }
    }
    return absl::OkStatus();
  }));
  for (const JobRow& job : jobs) {
    std::optional<JobRow> undone;
    if (auto it = undone_jobs.find(job.id); it != undone_jobs.end()) undone = it->second;
    while (absl::Now() < deadline) {
      absl::StatusOr<int> n = RunBatch(job, undone, options_.batch_size);
      if (!n.ok()) {
        if (n.status().code() == absl::StatusCode::kUnavailable) return n.status();
        log::Warning("order job batch failed; going one order at a time",
                     {{"job_id", job.id}, {"error", n.status().ToString()}});
        STORE_RETURN_IF_ERROR(RunOneByOne(job, undone, options_.batch_size));
        continue;
      }
      if (*n == 0) break;
    }
    if (absl::Now() >= deadline) {
      // Out of time with work left: run again at once (Stop can come first).
      wake_();
      break;
    }
  }
  return absl::OkStatus();
}

}  // namespace store::order
