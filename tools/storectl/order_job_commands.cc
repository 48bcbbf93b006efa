// `storectl order job ...`: bulk jobs (ORD-09, ORD-16) of the order service.
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/core/ids.h"
#include "libs/grpcx/server.h"
#include "store/order/v1/order_service.grpc.pb.h"
#include "tools/storectl/order_commands.h"

namespace store::cli {
namespace {

namespace v1 = store::order::v1;

constexpr char kJobHelp[] =
    R"(storectl order job: bulk jobs (store.order.v1.OrderService *OrderJob*)

usage: storectl [--json] order job COMMAND [ARGS] [--addr HOST:PORT]

commands:
  preview ACTION [ORDER_ID...] [the filters of order list] [--tracking-csv FILE] [--reason R]
            dry run: which orders would change (and to what), which would fail and why;
            nothing is changed
  create  ACTION [same as preview] [--request-id UUID] [--wait]
            submits the job (it runs in the service); --wait follows its progress
  get     JOB_ID
  list    [--page-size N] [--page-token T] [--all]
  items   JOB_ID [--outcome pending|changed|failed|conflict] [--all]
  results JOB_ID [--output FILE]     the per-order results as CSV
  undo    JOB_ID [--request-id UUID] [--wait]
            takes back a ship or complete job for the orders still as it left them

ACTION: mark_paid, ship, complete, cancel (--reason), reject (--reason).
A ship job takes its orders from --tracking-csv: a CSV with the columns
order_number, carrier, tracking_number (and optionally tracking_url); "-" reads stdin.
The other actions take ORDER_IDs, or every order matching the filters.
)";

void PrintJob(const v1::OrderJob& j) {
  std::printf("job %s  %-10s %-8s orders %d: changed %d, failed %d, conflicts %d, pending %d%s\n",
              j.id().c_str(), Label(j.action()).c_str(), Label(j.state()).c_str(), j.total_count(),
              j.changed_count(), j.failed_count(), j.conflict_count(), j.pending_count(),
              j.undo_of_job_id().empty()
                  ? ""
                  : absl::StrCat("  (undoes ", j.undo_of_job_id(), ")").c_str());
}

void PrintItem(const v1::OrderJobItem& i) {
  std::printf("#%-8lld %-9s %-22s -> %-22s %s %s\n", static_cast<long long>(i.order_number()),
              Label(i.outcome()).c_str(),
              i.from_status() == 0 ? "-" : Label(i.from_status()).c_str(),
              i.to_status() == 0 ? "-" : Label(i.to_status()).c_str(), i.error_code().c_str(),
              i.error_message().c_str());
}

absl::Status BuildRequest(const Args& args, v1::CreateOrderJobRequest* req) {
  const std::string action = args.Positional(2);
  req->set_action(FromLabel<v1::OrderJobAction>(action));
  if (action.empty() || req->action() == v1::ORDER_JOB_ACTION_UNSPECIFIED) {
    return absl::InvalidArgumentError("ACTION must be mark_paid, ship, complete, cancel or reject");
  }
  req->set_request_id(args.Get("request-id", NewUuid()));
  req->set_reason(args.Get("reason"));
  for (size_t i = 3; i < args.positionals().size(); ++i) req->add_order_ids(args.Positional(i));
  if (args.Has("tracking-csv")) {
    absl::StatusOr<std::string> csv = ReadFileFlag("tracking-csv", args.Get("tracking-csv"));
    if (!csv.ok()) return csv.status();
    req->set_shipments_csv(*csv);
  }
  v1::OrderFilter filter;
  if (absl::Status s = FillOrderFilter(args, &filter); !s.ok()) return s;
  if (filter.ByteSizeLong() > 0) *req->mutable_filter() = filter;
  return absl::OkStatus();
}

// Polls the job until it is done, printing its progress.
int Follow(const Global& g, v1::OrderService::Stub& stub, v1::OrderJob job) {
  int last = -1;
  while (job.state() != v1::ORDER_JOB_STATE_DONE) {
    if (!g.json && job.pending_count() != last) {
      std::fprintf(stderr, "  %d of %d done\n", job.total_count() - job.pending_count(),
                   job.total_count());
      last = job.pending_count();
    }
    absl::SleepFor(absl::Milliseconds(500));
    v1::GetOrderJobRequest get;
    get.set_job_id(job.id());
    grpc::Status s = stub.GetOrderJob(Context(g).get(), get, &job);
    if (!s.ok()) return Fail(s);
  }
  if (g.json) {
    PrintJson(job);
  } else {
    PrintJob(job);
  }
  return job.failed_count() + job.conflict_count() > 0 ? 3 : 0;
}

}  // namespace

int OrderJobCommand(const Global& g, const Args& args) {
  const std::string cmd = args.Positional(1);
  if (cmd.empty() || cmd == "help" || args.Has("help")) {
    std::fputs(kJobHelp, stdout);
    return cmd.empty() && !args.Has("help") ? 2 : 0;
  }
  auto stub = OrderServiceStub(args);
  const std::string id = args.Positional(2);
  if (cmd == "preview" || cmd == "create") {
    v1::CreateOrderJobRequest req;
    if (absl::Status s = BuildRequest(args, &req); !s.ok()) return Fail(s);
    if (cmd == "preview") {
      v1::PreviewOrderJobResponse resp;
      grpc::Status s = stub->PreviewOrderJob(Context(g, 120).get(), req, &resp);
      if (!s.ok()) return Fail(s);
      if (g.json) return PrintJson(resp), 0;
      for (const auto& item : resp.items()) PrintItem(item);
      std::printf("%d orders: %d would change, %d would fail\n", resp.total_count(),
                  resp.change_count(), resp.fail_count());
      return 0;
    }
    v1::OrderJob job;
    grpc::Status s = stub->CreateOrderJob(Context(g, 120).get(), req, &job);
    if (!s.ok()) return Fail(s);
    if (args.Has("wait")) return Follow(g, *stub, job);
    if (g.json) return PrintJson(job), 0;
    PrintJob(job);
    return 0;
  }
  if (cmd == "list") {
    v1::ListOrderJobsRequest req;
    req.set_page_token(args.Get("page-token"));
    v1::ListOrderJobsResponse all;
    grpc::Status s = FetchPages(
        g, args.Has("all"), req, &all,
        [&](auto* ctx, const auto& r, auto* out) { return stub->ListOrderJobs(ctx, r, out); });
    if (!s.ok()) return Fail(s);
    if (g.json) return PrintJson(all), 0;
    for (const auto& j : all.jobs()) PrintJob(j);
    return 0;
  }
  if (id.empty()) {
    std::fprintf(stderr, "error: storectl order job %s needs a JOB_ID\n", cmd.c_str());
    return 2;
  }
  if (cmd == "get") {
    v1::GetOrderJobRequest req;
    req.set_job_id(id);
    v1::OrderJob job;
    grpc::Status s = stub->GetOrderJob(Context(g).get(), req, &job);
    if (!s.ok()) return Fail(s);
    if (g.json) return PrintJson(job), 0;
    PrintJob(job);
    return 0;
  }
  if (cmd == "items") {
    v1::ListOrderJobItemsRequest req;
    req.set_job_id(id);
    if (args.Has("outcome")) {
      req.set_outcome(FromLabel<v1::OrderJobItemOutcome>(args.Get("outcome")));
      if (req.outcome() == v1::ORDER_JOB_ITEM_OUTCOME_UNSPECIFIED) {
        return Fail(
            absl::InvalidArgumentError("--outcome must be pending, changed, failed or conflict"));
      }
    }
    v1::ListOrderJobItemsResponse all;
    grpc::Status s = FetchPages(
        g, args.Has("all"), req, &all,
        [&](auto* ctx, const auto& r, auto* out) { return stub->ListOrderJobItems(ctx, r, out); });
    if (!s.ok()) return Fail(s);
    if (g.json) return PrintJson(all), 0;
    for (const auto& item : all.items()) PrintItem(item);
    return 0;
  }
  if (cmd == "results") {
    v1::ExportOrderJobItemsRequest req;
    req.set_job_id(id);
    auto ctx = Context(g, 600);
    auto reader = stub->ExportOrderJobItems(ctx.get(), req);
    return Download<v1::DocumentChunk>(reader, args.Get("output"));
  }
  if (cmd == "undo") {
    v1::UndoOrderJobRequest req;
    req.set_job_id(id);
    req.set_request_id(args.Get("request-id", NewUuid()));
    v1::OrderJob job;
    grpc::Status s = stub->UndoOrderJob(Context(g, 120).get(), req, &job);
    if (!s.ok()) return Fail(s);
    if (args.Has("wait")) return Follow(g, *stub, job);
    if (g.json) return PrintJson(job), 0;
    PrintJob(job);
    return 0;
  }
  std::fprintf(stderr, "error: unknown command 'order job %s' (see storectl order job --help)\n",
               cmd.c_str());
  return 2;
}

}  // namespace store::cli
