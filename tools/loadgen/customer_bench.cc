// customer-bench: times CountSegmentMembers (a rule preview) against a
// customer-service, several calls on one warm channel, and prints one JSON
// line: each call's wall time in ms, the median, and the count. `tools/dev
// bench customers` compares the median with the same query run by psql
// (PERF-4); timing calls in one process keeps process start-up and
// connection set-up out of the figure, as psql's \timing does.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "libs/core/process.h"
#include "libs/grpcx/server.h"
#include "store/customer/v1/customer_service.grpc.pb.h"

namespace {

namespace v1 = store::customer::v1;

constexpr char kHelp[] = R"(usage: customer-bench --addr HOST:PORT --rule RULE [--runs N] [--warmup N]

Calls CountSegmentMembers with RULE N times (default 5) after N warm-up calls
(default 1) on one channel, as staff, and prints one JSON line:
  {"rule": ..., "count": C, "runs_ms": [...], "median_ms": M, "min_ms": m}
)";

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrFormat("\\u%04x", static_cast<int>(c));
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  store::InitProcess();
  std::string addr, rule;
  int runs = 5, warmup = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "customer-bench: %s needs a value\n%s", arg.c_str(), kHelp);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--addr") {
      addr = value();
    } else if (arg == "--rule") {
      rule = value();
    } else if (arg == "--runs") {
      if (!absl::SimpleAtoi(value(), &runs) || runs < 1) runs = -1;
    } else if (arg == "--warmup") {
      if (!absl::SimpleAtoi(value(), &warmup) || warmup < 0) runs = -1;
    } else if (arg == "-h" || arg == "--help") {
      std::fputs(kHelp, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "customer-bench: unknown argument %s\n%s", arg.c_str(), kHelp);
      return 2;
    }
  }
  if (addr.empty() || rule.empty() || runs < 1) {
    std::fputs(kHelp, stderr);
    return 2;
  }
  auto stub = v1::CustomerService::NewStub(store::grpcx::MakeChannel(addr));
  v1::CountSegmentMembersRequest req;
  req.set_rule(rule);
  std::vector<double> ms;
  int64_t count = -1;
  for (int i = 0; i < warmup + runs; ++i) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-actor", "staff:bench");
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::CountSegmentMembersResponse resp;
    const auto start = std::chrono::steady_clock::now();
    grpc::Status s = stub->CountSegmentMembers(&ctx, req, &resp);
    const double elapsed =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!s.ok()) {
      std::fprintf(stderr, "customer-bench: CountSegmentMembers: %s\n", s.error_message().c_str());
      return 1;
    }
    count = resp.count();
    if (i >= warmup) ms.push_back(elapsed);
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted.size() % 2 == 1
                            ? sorted[sorted.size() / 2]
                            : (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]) / 2;
  std::vector<std::string> parts;
  for (double v : ms) parts.push_back(absl::StrCat(v));
  std::printf("{\"rule\": %s, \"count\": %lld, \"runs_ms\": [%s], \"median_ms\": %s, \"min_ms\": %s}\n",
              JsonString(rule).c_str(), static_cast<long long>(count),
              absl::StrJoin(parts, ", ").c_str(), absl::StrCat(median).c_str(),
              absl::StrCat(sorted.front()).c_str());
  return 0;
}
