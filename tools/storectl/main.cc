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
#include "libs/core/log.h"
#include "libs/events/consumer.h"
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
    std::puts("usage: storectl dlq redrive --topic TOPIC.CONSUMER.dlq [--max N] [--brokers B]\n"
              "Copies dead-lettered events back to their original topic (the dlq-original-topic\n"
              "header) and records progress, so a second run does not copy them again.");
    return args->Has("help") ? 0 : 2;
  }
  int max = 1000000;
  (void)absl::SimpleAtoi(args->Get("max", "1000000"), &max);
  auto n = events::RedriveDeadLetters(brokers, topic, max, absl::Seconds(5));
  if (!n.ok()) return Fail(n.status());
  std::printf("re-drove %d event(s) from %s\n", *n, topic.c_str());
  return 0;
}

}  // namespace
}  // namespace store::cli

int main(int argc, char** argv) {
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
  if (cmd == "token") return TokenCommand(sub);
  if (cmd == "webhook") return WebhookCommand(sub);
  std::fprintf(stderr, "error: unknown command '%s'\n\n%s", cmd.c_str(), kHelp);
  return 2;
}
