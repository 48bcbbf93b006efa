// storectl: the operator's command line for the store backend.
#include <cctype>
#include <cstdio>
#include <map>
#include <cstdlib>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/core/log.h"
#include "libs/events/consumer.h"
#include "libs/events/migrations.h"
#include "libs/grpcx/server.h"
#include "libs/pg/migrate.h"
#include "services/order/migrations.h"
#include "tools/storectl/cli.h"
#include "tools/storectl/invoice_commands.h"
#include "tools/storectl/order_commands.h"
#include "services/invoicing/migrations.h"

namespace store::cli {
namespace {

constexpr char kHelp[] = R"(storectl: operate the store backend

usage: storectl [--json] COMMAND ...

commands:
  order ...            place, list and manage orders (storectl order --help)
  invoice ...          invoices, credit notes, documents, settings (storectl invoice --help)
  seed demo            load the demo store (idempotent)
  health --addr H:P    exit 0 when the service at H:P reports SERVING
                       (gRPC health checking protocol); --service NAME for one service
  migrate --service order|invoicing [--database-url URL]
                       apply a service's schema migrations (forward-only)
  dlq redrive --topic TOPIC.CONSUMER.dlq [--max N] [--brokers B]
                       copy dead-lettered events back to their topic

global options:
  --json               machine-readable output (proto3 JSON)
  --help               help for any command

Service addresses come from flags, the environment (ORDER_SERVICE_ADDR, KAFKA_BROKERS,
...) or .dev/env written by `tools/dev up`.
)";

int Health(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {"help"});
  if (!args.ok()) return Fail(args.status());
  if (args->Has("help") || !args->Has("addr")) {
    std::puts("usage: storectl health --addr HOST:PORT [--service NAME] [--timeout SECONDS]");
    return args->Has("help") ? 0 : 2;
  }
  int timeout = 2;
  (void)absl::SimpleAtoi(args->Get("timeout", "2"), &timeout);
  absl::Status s = grpcx::CheckHealth(grpcx::MakeChannel(args->Get("addr")),
                                      args->Get("service"), absl::Seconds(timeout));
  std::printf("%s\n", s.ok() ? "SERVING" : std::string(s.message()).c_str());
  return s.ok() ? 0 : 1;
}

int Migrate(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {"help"});
  if (!args.ok()) return Fail(args.status());
  const std::string service = args->Get("service");
  const std::map<std::string, const std::vector<pg::Migration>*> kServices = {
      {"order", &OrderMigrations()}, {"invoicing", &InvoicingMigrations()}};
  auto it = kServices.find(service);
  std::string url = args->Get("database-url");
  if (url.empty() && it != kServices.end()) {
    std::string var = service;
    for (char& c : var) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    url = Setting(var + "_DATABASE_URL");
  }
  if (args->Has("help") || it == kServices.end() || url.empty()) {
    std::puts("usage: storectl migrate --service order|invoicing [--database-url URL]\n"
              "(URL defaults to <SERVICE>_DATABASE_URL from the environment or .dev/env)");
    return args->Has("help") ? 0 : 2;
  }
  auto applied = pg::Migrate(url, {{"events", &EventsMigrations()}, {service, it->second}});
  if (!applied.ok()) return Fail(applied.status());
  std::printf("%zu migration(s) applied; schema up to date\n", applied->size());
  for (const auto& v : *applied) std::printf("  %s\n", v.c_str());
  return 0;
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
  if (cmd == "order") return OrderCommand(g, sub);
  if (cmd == "invoice") return InvoiceCommand(g, sub);
  if (cmd == "seed") return SeedCommand(g, sub);
  if (cmd == "health") return Health(sub);
  if (cmd == "migrate") return Migrate(sub);
  if (cmd == "dlq") return Dlq(sub);
  std::fprintf(stderr, "error: unknown command '%s'\n\n%s", cmd.c_str(), kHelp);
  return 2;
}
