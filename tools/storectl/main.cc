// storectl: the operator's command line for the store backend.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/core/log.h"
#include "libs/core/process.h"
#include "libs/core/status.h"
#include "libs/events/consumer.h"
#include "libs/events/replay.h"
#include "libs/grpcx/server.h"
#include "tools/storectl/cli.h"
#include "tools/storectl/customer_commands.h"
#include "tools/storectl/invoice_commands.h"
#include "tools/storectl/newsletter_commands.h"
#include "tools/storectl/order_commands.h"
#include "tools/storectl/reporting_commands.h"
#include "tools/storectl/token_commands.h"

namespace store::cli {
namespace {

constexpr char kHelp[] = R"(storectl: operate the store backend

usage: storectl [--json] COMMAND ...

commands:
  customer ...         customers, groups, custom fields, segments, wallet, blacklist,
                       CSV import/export, privacy (storectl customer --help)
  blacklist ...        shortcut for `customer blacklist ...`
  privacy ...          shortcut for `customer privacy ...` (export, erase)
  erasure get ID       shortcut for `customer erasure get ID`
  order ...            place, list and manage orders (storectl order --help)
  cart ...             storefront carts: create, lines, checkout, list (storectl cart --help)
  code ...             discount codes: create, list, disable (storectl code --help)
  invoice ...          invoices, credit notes, documents, settings (storectl invoice --help)
  newsletter ...       subscribers, campaigns, suppression list, notices, mail log
                       (storectl newsletter --help)
  reporting ...        sales, products, customers, payments, newsletter and cohort
                       reports, drill-down, CSV, charts (storectl reporting --help)
  seed demo            load the demo store: customers, then orders (idempotent)
  health [SERVICE...] | --addr H:P
                       exit 0 when the services (customer, order, invoicing, newsletter, reporting; default:
                       every one whose address is set) or the server at H:P report
                       SERVING (gRPC health checking protocol); --service NAME asks
                       about one gRPC service of the server
  dlq redrive --topic TOPIC.CONSUMER.dlq [--max N] [--brokers B]
                       copy dead-lettered events back to their topic
  replay --group G --topic T (--from-beginning | --from-offset N | --from-time T)
                       reset a consumer group's offsets so its service reads the
                       events again (storectl replay --help)
  token issue --role admin|staff|marketing|storefront [--ttl 12h] [--subject NAME]
                       print a staff access token for the gateway
  webhook sign --body JSON
                       print the Store-Signature header for a payment webhook body

global options:
  --json               machine-readable output (proto3 JSON)
  --help               help for any command

Schema migrations are the services' own: each applies them at start
(MIGRATE_ON_START) or alone with `<name>-service --migrate-only` (DATABASE_URL).

Service addresses come from flags, the environment (CUSTOMER_SERVICE_ADDR, ORDER_SERVICE_ADDR,
KAFKA_BROKERS, ...) or .dev/env written by `tools/dev up`.
)";

constexpr char kMigrateMoved[] =
    "storectl migrate is gone: each service applies its own schema, at start\n"
    "(MIGRATE_ON_START) or alone with: DATABASE_URL=... <name>-service --migrate-only\n";

// The services storectl knows, in start order; the address of each is
// <NAME>_SERVICE_ADDR and its database <NAME>_DATABASE_URL.
const std::vector<std::string> kServices = {"customer", "order", "invoicing", "newsletter",
                                            "reporting"};

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

int Health(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {"help"});
  if (!args.ok()) return Fail(args.status());
  if (args->Has("help")) {
    std::puts(
        "usage: storectl health [SERVICE...] [--service NAME] [--timeout SECONDS]\n"
        "       storectl health --addr HOST:PORT [--service NAME] [--timeout SECONDS]\n"
        "SERVICE: customer, order, invoicing, newsletter or reporting, at <SERVICE>_SERVICE_ADDR\n"
        "(environment or "
        ".dev/env); without SERVICE and --addr, every service whose address is set.");
    return 0;
  }
  int timeout = 2;
  (void)absl::SimpleAtoi(args->Get("timeout", "2"), &timeout);
  auto check = [&](const std::string& addr) {
    return grpcx::CheckHealth(grpcx::MakeChannel(addr), args->Get("service"),
                              absl::Seconds(timeout));
  };
  if (args->Has("addr")) {
    absl::Status s = check(args->Get("addr"));
    std::printf("%s\n", s.ok() ? "SERVING" : std::string(s.message()).c_str());
    return s.ok() ? 0 : 1;
  }
  std::vector<std::string> names = args->positionals();
  const bool explicit_names = !names.empty();
  if (!explicit_names) names = kServices;
  int checked = 0;
  bool all_ok = true;
  for (const auto& name : names) {
    if (std::find(kServices.begin(), kServices.end(), name) == kServices.end()) {
      std::fprintf(stderr, "error: unknown service '%s' (known: %s)\n", name.c_str(),
                   absl::StrJoin(kServices, ", ").c_str());
      return 2;
    }
    const std::string addr = Setting(Upper(name) + "_SERVICE_ADDR");
    if (addr.empty()) {
      if (!explicit_names) continue;
      std::printf("%-10s %-22s address unknown (%s_SERVICE_ADDR)\n", name.c_str(), "-",
                  Upper(name).c_str());
      all_ok = false;
      continue;
    }
    ++checked;
    absl::Status s = check(addr);
    all_ok = all_ok && s.ok();
    std::printf("%-10s %-22s %s\n", name.c_str(), addr.c_str(),
                s.ok() ? "SERVING" : std::string(s.message()).c_str());
  }
  if (!explicit_names && checked == 0) {
    std::puts("no service address set (source .dev/env, or use --addr HOST:PORT)");
    return 2;
  }
  return all_ok ? 0 : 1;
}

int Dlq(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {"help"});
  if (!args.ok()) return Fail(args.status());
  const std::string topic = args->Get("topic");
  const std::string brokers = args->Get("brokers", Setting("KAFKA_BROKERS"));
  if (args->Has("help") || args->Positional(0) != "redrive" || topic.empty() || brokers.empty()) {
    std::puts(
        "usage: storectl dlq redrive --topic TOPIC.CONSUMER.dlq [--max N] [--brokers B]\n"
        "Copies dead-lettered events back to their original topic (the dlq-original-topic\n"
        "header) and records progress, so a second run does not copy them again. Only\n"
        "what was dead-lettered when it began: an event that fails again lands in the\n"
        "dead-letter topic after them, for the next run.");
    return args->Has("help") ? 0 : 2;
  }
  int max = 1000000;
  (void)absl::SimpleAtoi(args->Get("max", "1000000"), &max);
  auto n = events::RedriveDeadLetters(brokers, topic, max, absl::Seconds(5));
  if (!n.ok()) return Fail(n.status());
  std::printf("re-drove %d event(s) from %s\n", *n, topic.c_str());
  return 0;
}

constexpr char kReplayHelp[] =
    R"(usage: storectl replay --group GROUP --topic TOPIC
                      (--from-beginning | --from-offset N | --from-time RFC3339)
                      [--wait SECONDS] [--follow SECONDS] [--brokers B]

Moves consumer group GROUP's committed offsets on every partition of TOPIC, so
the group's service reads those events again when it consumes next. Safe:
every consumer applies an event at most once (its inbox), so events applied
before are skipped and only the missing ones take effect. Use it after
restoring a service's database from a backup, or to re-read a range after a
bug fix. Groups are the services' consumer names (invoicing, customer-facts,
newsletter, reporting-orders, ...; `consumer_lag_messages` lists them).

The group coordinator accepts the reset only while the group has no live
members: stop the service's consumers first (scale it to 0), run this, start
them again.
  --wait SECONDS    while the group still has members, retry every 2 s for up
                    to SECONDS (e.g. while its pods terminate) instead of failing
  --follow SECONDS  after the reset, print progress every 2 s until the group has
                    caught up (its service must be running again) or SECONDS pass;
                    0 (the default) returns at once
Exit: 0 reset (and caught up when following), 1 an error, 3 group still has
members, 4 not caught up within --follow.
)";

void PrintOffsets(const std::vector<events::PartitionOffsets>& parts, bool reset) {
  std::printf("%-10s %12s %12s %12s %12s\n", "PARTITION", "COMMITTED", reset ? "RESET TO" : "HIGH",
              "LOW", reset ? "TO REPLAY" : "REMAINING");
  for (const events::PartitionOffsets& p : parts) {
    const std::string committed = p.committed >= 0 ? absl::StrCat(p.committed) : "-";
    if (reset) {
      std::printf("%-10d %12s %12lld %12lld %12lld\n", p.partition, committed.c_str(),
                  static_cast<long long>(p.reset_to), static_cast<long long>(p.low),
                  static_cast<long long>(p.high - p.reset_to));
    } else {
      std::printf("%-10d %12s %12lld %12lld %12lld\n", p.partition, committed.c_str(),
                  static_cast<long long>(p.high), static_cast<long long>(p.low),
                  static_cast<long long>(p.Remaining()));
    }
  }
}

int Replay(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {"help", "from-beginning"});
  if (!args.ok()) return Fail(args.status());
  const std::string group = args->Get("group");
  const std::string topic = args->Get("topic");
  const std::string brokers = args->Get("brokers", Setting("KAFKA_BROKERS"));
  const int starts = (args->Has("from-beginning") ? 1 : 0) + (args->Has("from-offset") ? 1 : 0) +
                     (args->Has("from-time") ? 1 : 0);
  if (args->Has("help") || group.empty() || topic.empty() || starts != 1) {
    std::fputs(kReplayHelp, args->Has("help") ? stdout : stderr);
    if (!args->Has("help")) {
      std::fputs(starts > 1 ? "error: give one of --from-beginning, --from-offset, --from-time\n"
                            : "error: --group, --topic and where to start are required\n",
                 stderr);
    }
    return args->Has("help") ? 0 : 2;
  }
  if (brokers.empty()) {
    return Fail(absl::InvalidArgumentError("--brokers (or KAFKA_BROKERS) is required"));
  }
  events::ReplayFrom from;
  if (args->Has("from-offset")) {
    from.kind = events::ReplayFrom::Kind::kOffset;
    if (!absl::SimpleAtoi(args->Get("from-offset"), &from.offset) || from.offset < 0) {
      return Fail(absl::InvalidArgumentError("--from-offset must be a whole number >= 0"));
    }
  } else if (args->Has("from-time")) {
    from.kind = events::ReplayFrom::Kind::kTime;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, args->Get("from-time"), &from.time, &error)) {
      return Fail(absl::InvalidArgumentError(
          "--from-time must be an RFC 3339 time (2026-03-01T00:00:00Z): " + error));
    }
  }
  int wait_s = 0, follow_s = 0;
  if (!absl::SimpleAtoi(args->Get("wait", "0"), &wait_s) || wait_s < 0 ||
      !absl::SimpleAtoi(args->Get("follow", "0"), &follow_s) || follow_s < 0) {
    return Fail(absl::InvalidArgumentError("--wait and --follow take whole seconds >= 0"));
  }
  const absl::Time wait_until = absl::Now() + absl::Seconds(wait_s);
  absl::StatusOr<std::vector<events::PartitionOffsets>> reset;
  while (true) {
    reset = events::ResetGroupOffsets(brokers, group, topic, from, absl::Seconds(10));
    const auto info = reset.ok() ? std::nullopt : GetErrorInfo(reset.status());
    const bool busy = info.has_value() && info->reason() == "GROUP_HAS_MEMBERS";
    if (!busy) break;
    if (absl::Now() >= wait_until) {
      std::fprintf(stderr, "error: %s\n", std::string(reset.status().message()).c_str());
      return 3;
    }
    std::printf("group %s still has live members; waiting...\n", group.c_str());
    std::fflush(stdout);
    absl::SleepFor(absl::Seconds(2));
  }
  if (!reset.ok()) return Fail(reset.status());
  int64_t total = 0;
  for (const auto& p : *reset) total += p.high - p.reset_to;
  std::printf("reset group %s on %s: %lld event(s) to read again\n", group.c_str(), topic.c_str(),
              static_cast<long long>(total));
  PrintOffsets(*reset, /*reset=*/true);
  if (follow_s == 0) return 0;
  const absl::Time follow_until = absl::Now() + absl::Seconds(follow_s);
  while (true) {
    auto now = events::GroupOffsets(brokers, group, topic, absl::Seconds(10));
    if (!now.ok()) return Fail(now.status());
    int64_t remaining = 0;
    for (const auto& p : *now) remaining += p.Remaining();
    std::printf("replayed %lld of %lld, %lld to go\n", static_cast<long long>(total - remaining),
                static_cast<long long>(total), static_cast<long long>(remaining));
    std::fflush(stdout);
    if (remaining == 0) {
      std::printf("group %s has caught up on %s\n", group.c_str(), topic.c_str());
      return 0;
    }
    if (absl::Now() >= follow_until) {
      PrintOffsets(*now, /*reset=*/false);
      std::fprintf(stderr, "not caught up after %d s (is its service running?)\n", follow_s);
      return 4;
    }
    absl::SleepFor(absl::Seconds(2));
  }
}

}  // namespace
}  // namespace store::cli

int main(int argc, char** argv) {
  store::InitProcess();
  using namespace store::cli;
  store::log::Init("storectl", store::log::Level::kWarning, /*json=*/false);
  std::vector<std::string> rest;
  Global g;
  const char* user = std::getenv("USER");
  g.actor = absl::StrCat("cli:", user != nullptr ? user : "operator");
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (rest.empty() && a == "--json") {
      g.json = true;
    } else {
      rest.push_back(a);
    }
  }
  if (rest.empty() || rest[0] == "--help" || rest[0] == "help" || rest[0] == "-h") {
    std::fputs(kHelp, stdout);
    return rest.empty() ? 2 : 0;
  }
  const std::string cmd = rest[0];
  std::vector<std::string> sub(rest.begin() + 1, rest.end());
  if (cmd == "customer") return CustomerCommand(g, sub);
  if (cmd == "blacklist" || cmd == "privacy" || cmd == "erasure") {
    sub.insert(sub.begin(), cmd);
    return CustomerCommand(g, sub);
  }
  if (cmd == "order") return OrderCommand(g, sub);
  if (cmd == "cart") return CartCommand(g, sub);
  if (cmd == "code") return CodeCommand(g, sub);
  if (cmd == "invoice") return InvoiceCommand(g, sub);
  if (cmd == "reporting") return ReportingCommand(g, sub);
  if (cmd == "newsletter") return NewsletterCommand(g, sub);
  if (cmd == "seed") return SeedCommand(g, sub);
  if (cmd == "health") return Health(sub);
  if (cmd == "migrate") {
    std::fputs(kMigrateMoved, stderr);
    return 2;
  }
  if (cmd == "dlq") return Dlq(sub);
  if (cmd == "replay") return Replay(sub);
  if (cmd == "token") return TokenCommand(sub);
  if (cmd == "webhook") return WebhookCommand(sub);
  std::fprintf(stderr, "error: unknown command '%s'\n\n%s", cmd.c_str(), kHelp);
  return 2;
}
