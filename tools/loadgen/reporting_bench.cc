// reporting-bench: the client side of `tools/dev bench reporting`.
//
//   reporting-bench sales --addr HOST:PORT --from D --to D [--granularity month] [--runs N]
//     times GetSalesReport N times (default 5) after one warm-up call on one
//     channel; prints {"runs_ms": [...], "median_ms": M, "orders": O}.
//   reporting-bench produce --brokers B --orders N [--days D]
//     writes N orders' events to the order topic as the order service would
//     (OrderPlaced, then OrderPaid for every order; every tenth refunded),
//     placed over the last D days (default 365); prints {"events": E, "seconds": S}.
//   reporting-bench rebuild --addr HOST:PORT
//     starts a rebuild and waits for it; prints {"events": E, "seconds": S,
//     "state": ..., "equal_tables": T, "tables": N}.
#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/process.h"
#include "libs/events/envelope.h"
#include "libs/events/kafka.h"
#include "libs/grpcx/server.h"
#include "store/order/v1/events.pb.h"
#include "store/reporting/v1/reporting_service.grpc.pb.h"
#include "store/topics.h"

namespace {

namespace v1 = store::reporting::v1;
namespace ov1 = store::order::v1;
using google::protobuf::util::TimeUtil;

constexpr char kHelp[] = R"(usage:
  reporting-bench sales --addr HOST:PORT --from YYYY-MM-DD --to YYYY-MM-DD
                  [--granularity day|week|month] [--runs N]
  reporting-bench produce --brokers HOST:PORT --orders N [--days D]
  reporting-bench rebuild --addr HOST:PORT
)";

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

int Sales(const std::map<std::string, std::string>& flags) {
  auto stub = v1::ReportingService::NewStub(store::grpcx::MakeChannel(flags.at("addr")));
  v1::GetSalesReportRequest req;
  req.mutable_range()->set_start_date(flags.at("from"));
  req.mutable_range()->set_end_date(flags.at("to"));
  const std::string g = flags.count("granularity") ? flags.at("granularity") : "month";
  req.mutable_range()->set_granularity(g == "day"    ? v1::GRANULARITY_DAY
                                       : g == "week" ? v1::GRANULARITY_WEEK
                                                     : v1::GRANULARITY_MONTH);
  int runs = 5;
  if (flags.count("runs")) absl::SimpleAtoi(flags.at("runs"), &runs);
  std::vector<double> ms;
  int64_t orders = 0;
  for (int i = 0; i < runs + 1; ++i) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-actor", "staff:bench");
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    v1::SalesReport out;
    const auto start = std::chrono::steady_clock::now();
    grpc::Status s = stub->GetSalesReport(&ctx, req, &out);
    const double elapsed =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!s.ok()) {
      std::fprintf(stderr, "reporting-bench: GetSalesReport: %s\n", s.error_message().c_str());
      return 1;
    }
    orders = out.totals().orders();
    if (i > 0) ms.push_back(elapsed);
  }
  std::vector<std::string> parts;
  for (double v : ms) parts.push_back(absl::StrFormat("%.3f", v));
  std::printf("{\"runs_ms\": [%s], \"median_ms\": %.3f, \"orders\": %lld}\n",
              absl::StrJoin(parts, ", ").c_str(), Median(ms), static_cast<long long>(orders));
  return 0;
}

class Delivered : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& m) override {
    if (m.err() != RdKafka::ERR_NO_ERROR) ++failed;
  }
  int64_t failed = 0;
};

int Produce(const std::map<std::string, std::string>& flags) {
  int64_t orders = 0;
  int days = 365;
  if (!absl::SimpleAtoi(flags.at("orders"), &orders) || orders < 1) {
    std::fprintf(stderr, "reporting-bench: --orders must be a positive number\n");
    return 2;
  }
  if (flags.count("days")) absl::SimpleAtoi(flags.at("days"), &days);
  auto conf = store::events::MakeConf(store::events::ProducerProps(flags.at("brokers"), "bench"));
  if (!conf.ok()) {
    std::fprintf(stderr, "reporting-bench: %s\n", conf.status().ToString().c_str());
    return 1;
  }
  Delivered delivered;
  std::string err;
  (*conf)->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(&delivered), err);
  (*conf)->set("linger.ms", "20", err);
  (*conf)->set("queue.buffering.max.messages", "1000000", err);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf->get(), err));
  if (!producer) {
    std::fprintf(stderr, "reporting-bench: producer: %s\n", err.c_str());
    return 1;
  }
  const std::string topic = store::order::v1::kOrdersTopic;
  const absl::Time now = absl::Now();
  const char* kSkus[] = {"MUG", "TEE", "CAP", "BAG", "PEN", "CUP", "HAT", "SOX"};
  const ov1::PaymentMethod kMethods[] = {ov1::PAYMENT_METHOD_CARD, ov1::PAYMENT_METHOD_CARD,
                                         ov1::PAYMENT_METHOD_PAYPAL,
                                         ov1::PAYMENT_METHOD_WIRE_TRANSFER};
  int64_t events = 0;
  const auto start = std::chrono::steady_clock::now();
  auto send = [&](const google::protobuf::Message& event, const ov1::Order& o, absl::Time at) {
    const std::string bytes =
        store::events::MakeEnvelope(event, o.id(), o.version(), "order-service", at)
            .SerializeAsString();
    while (true) {
      RdKafka::ErrorCode code = producer->produce(
          topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
          const_cast<char*>(bytes.data()), bytes.size(), o.id().data(), o.id().size(), 0, nullptr);
      if (code == RdKafka::ERR__QUEUE_FULL) {
        producer->poll(50);
        continue;
      }
      if (code != RdKafka::ERR_NO_ERROR) ++delivered.failed;
      break;
    }
    ++events;
    producer->poll(0);
  };
  for (int64_t i = 0; i < orders; ++i) {
    ov1::Order o;
    o.set_id(absl::StrFormat("00000000-0000-4000-8000-%012d", i));
    o.set_number(100000 + i);
    o.set_version(1);
    o.set_status(ov1::ORDER_STATUS_PENDING);
    o.set_currency_code("USD");
    o.mutable_customer()->set_customer_id(
        absl::StrFormat("10000000-0000-4000-8000-%012d", i % (orders / 3 + 1)));
    o.set_payment_method(kMethods[i % 4]);
    o.mutable_delivery_method()->set_code(i % 4 == 0 ? "express" : "standard");
    o.mutable_shipping_address()->set_country_code(i % 5 == 0 ? "DE" : "US");
    int64_t subtotal = 0;
    for (int l = 0; l < 1 + i % 3; ++l) {
      ov1::OrderItem* item = o.add_items();
      item->set_sku(kSkus[(i + l) % 8]);
      item->set_name(item->sku());
      item->set_quantity(1 + (i + l) % 3);
      item->mutable_unit_price()->set_amount_minor(500 + 250 * ((i + l) % 7));
      subtotal += item->quantity() * item->unit_price().amount_minor();
    }
    auto* t = o.mutable_totals();
    t->mutable_subtotal()->set_amount_minor(subtotal);
    t->mutable_shipping()->set_amount_minor(500);
    t->mutable_tax()->set_amount_minor(subtotal / 5);
    t->mutable_total()->set_amount_minor(subtotal + 500 + subtotal / 5);
    const absl::Time placed = now - absl::Hours(24) * days * (orders - i) / orders;
    *o.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(placed));
    ov1::OrderPlaced placed_event;
    *placed_event.mutable_order() = o;
    send(placed_event, o, placed);

    o.set_version(2);
    o.set_status(ov1::ORDER_STATUS_PROCESSING);
    *t->mutable_paid() = t->total();
    ov1::OrderPaid paid;
    *paid.mutable_order() = o;
    paid.set_fully_paid(true);
    ov1::Payment* p = paid.mutable_payment();
    p->set_id(absl::StrFormat("20000000-0000-4000-8000-%012d", i));
    p->set_provider("stripe");
    *p->mutable_amount() = t->total();
    p->set_outcome(ov1::PAYMENT_OUTCOME_SUCCEEDED);
    *p->mutable_create_time() =
        TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(placed + absl::Minutes(2)));
    send(paid, o, placed + absl::Minutes(2));

    if (i % 10 == 0) {
      o.set_version(3);
      o.set_status(ov1::ORDER_STATUS_PARTIALLY_REFUNDED);
      t->mutable_refunded()->set_amount_minor(500);
      ov1::OrderRefunded refunded;
      *refunded.mutable_order() = o;
      ov1::Refund* r = refunded.mutable_refund();
      r->set_id(absl::StrFormat("30000000-0000-4000-8000-%012d", i));
      r->mutable_amount()->set_amount_minor(500);
      *r->mutable_create_time() =
          TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(placed + absl::Hours(30)));
      send(refunded, o, placed + absl::Hours(30));
    }
  }
  producer->flush(120000);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"events\": %lld, \"failed\": %lld, \"seconds\": %.3f}\n",
              static_cast<long long>(events), static_cast<long long>(delivered.failed), seconds);
  return delivered.failed == 0 ? 0 : 1;
}

int Rebuild(const std::map<std::string, std::string>& flags) {
  auto stub = v1::ReportingService::NewStub(store::grpcx::MakeChannel(flags.at("addr")));
  v1::Rebuild r;
  const auto start = std::chrono::steady_clock::now();
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-actor", "staff:bench");
    grpc::Status s = stub->StartRebuild(&ctx, v1::StartRebuildRequest(), &r);
    if (!s.ok()) {
      std::fprintf(stderr, "reporting-bench: StartRebuild: %s\n", s.error_message().c_str());
      return 1;
    }
  }
  while (r.state() == v1::REBUILD_STATE_REPLAYING || r.state() == v1::REBUILD_STATE_CATCHING_UP) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    grpc::ClientContext ctx;
    v1::GetRebuildRequest get;
    get.set_id(r.id());
    grpc::Status s = stub->GetRebuild(&ctx, get, &r);
    if (!s.ok()) {
      std::fprintf(stderr, "reporting-bench: GetRebuild: %s\n", s.error_message().c_str());
      return 1;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int equal = 0;
  for (const auto& t : r.comparison()) equal += t.equal() ? 1 : 0;
  // The replay (start to swap) and the catch-up after the swap.
  auto between = [](const google::protobuf::Timestamp& a, const google::protobuf::Timestamp& b) {
    return static_cast<double>(TimeUtil::TimestampToMicroseconds(b) -
                               TimeUtil::TimestampToMicroseconds(a)) /
           1e6;
  };
  std::printf(
      "{\"events\": %lld, \"seconds\": %.3f, \"replay_seconds\": %.3f, "
      "\"catch_up_seconds\": %.3f, \"state\": \"%s\", \"equal_tables\": %d, "
      "\"tables\": %d}\n",
      static_cast<long long>(r.events_applied()), seconds, between(r.start_time(), r.switch_time()),
      between(r.switch_time(), r.finish_time()), v1::RebuildState_Name(r.state()).c_str(), equal,
      r.comparison_size());
  return r.state() == v1::REBUILD_STATE_DONE ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  store::InitProcess();
  if (argc < 2 || std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help") {
    std::fputs(kHelp, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string mode = argv[1];
  std::map<std::string, std::string> flags;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0) break;
    flags[key.substr(2)] = argv[i + 1];
  }
  auto need = [&](std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
      if (!flags.count(k)) {
        std::fprintf(stderr, "reporting-bench %s: --%s is required\n%s", mode.c_str(), k, kHelp);
        std::exit(2);
      }
    }
  };
  if (mode == "sales") {
    need({"addr", "from", "to"});
    return Sales(flags);
  }
  if (mode == "produce") {
    need({"brokers", "orders"});
    return Produce(flags);
  }
  if (mode == "rebuild") {
    need({"addr"});
    return Rebuild(flags);
  }
  std::fprintf(stderr, "reporting-bench: unknown mode %s\n%s", mode.c_str(), kHelp);
  return 2;
}
