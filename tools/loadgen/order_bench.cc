// order-bench: data and load for `tools/dev bench exports` (PERF-5) and
// `tools/dev bench bulk` (ORD-09).
//
//   order-bench copy-rows --orders N --items PATH [--status processing]
//     prints N orders of one year as rows for
//     `\copy orders (id, number, request_id, request_hash, status,
//      customer_id, customer_email, currency_code, payment_method,
//      delivery_method, total_minor, search_text, body, version, created_at,
//      updated_at) FROM STDIN` (PostgreSQL's text format; `body` is the
//     serialized store.order.v1.Order, as the order service stores it), and
//     their lines for `\copy order_items (order_id, line_no, sku, name,
//     quantity, unit_price_minor, total_minor)` to the file --items PATH.
//     --status gives every order that status (default: a mix of five).
//
//   order-bench ship-rpc --addr HOST:PORT --first I --count N --clients C
//     ships the copy-rows orders I .. I+N-1 with one ShipOrder call each,
//     from C clients at once; prints "seconds orders errors".
//
//   order-bench ship-job --addr HOST:PORT --first I --count N
//     ships the same orders with one bulk job (CreateOrderJob with a
//     tracking CSV by order number), polling GetOrderJob every 10 ms until it
//     is done; prints "seconds changed failed".
//
//   order-bench same-request --addr TARGET --clients C
//     (REL-6, PERF-9) C clients, each on its own connection, place the same
//     order with one request_id at once; prints "distinct_order_ids ok errors".
//
//   order-bench fanout-place --addr HOST:PORT --invoicing HOST:PORT --count N
//     (PERF-3) makes the invoicing service issue an invoice for every placed
//     order, then places N orders (each buyer fanout+i@example.com), pays
//     every second one; prints "<order id> reject|ship" per order.
//
//   order-bench fanout-act --addr HOST:PORT --orders FILE --rate R
//     rejects or ships (carrier ups) each order of FILE (fanout-place's
//     output), R per second evenly spaced; prints "seconds done errors".
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/ids.h"
#include "libs/core/process.h"
#include "libs/grpcx/server.h"
#include "store/invoicing/v1/invoicing_service.grpc.pb.h"
#include "store/order/v1/order.pb.h"
#include "store/order/v1/order_service.grpc.pb.h"

namespace {

namespace ov1 = store::order::v1;
using google::protobuf::util::TimeUtil;

constexpr char kHelp[] = R"(usage: order-bench copy-rows --orders N --items PATH [--status S]
       order-bench ship-rpc --addr HOST:PORT --first I --count N --clients C
       order-bench ship-job --addr HOST:PORT --first I --count N
       order-bench same-request --addr TARGET --clients C
       order-bench fanout-place --addr HOST:PORT --invoicing HOST:PORT --count N
       order-bench fanout-act --addr HOST:PORT --orders FILE --rate R
  copy-rows: N orders of one year as COPY text rows for the orders table
  (stdout) and their lines for order_items (PATH). ship-rpc / ship-job: ship
  the copy-rows orders I .. I+N-1 one call at a time from C clients, or with
  one bulk job. fanout-place / fanout-act: orders to reject and to ship, and
  the rejecting and shipping at a steady rate (tools/dev bench fanout).
)";

// The id, number and tracking number copy-rows gives order i.
std::string OrderId(int64_t i) { return absl::StrFormat("00000000-0000-4000-8000-%012d", i); }
int64_t OrderNumber(int64_t i) { return 10001 + i; }
std::string Tracking(int64_t i) { return absl::StrFormat("1Z%016d", i); }

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("x-actor", "bench:bulk");
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return ctx;
}

int ShipRpc(const std::string& addr, int64_t first, int64_t count, int clients) {
  std::atomic<int64_t> next{first};
  std::atomic<int64_t> errors{0};
  std::vector<std::thread> threads;
  const absl::Time t0 = absl::Now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      auto stub = ov1::OrderService::NewStub(store::grpcx::MakeChannel(addr));
      for (int64_t i = next++; i < first + count; i = next++) {
        ov1::ShipOrderRequest req;
        req.set_order_id(OrderId(i));
        req.set_carrier("ups");
        req.set_tracking_number(Tracking(i));
        ov1::Order out;
        if (!stub->ShipOrder(Ctx().get(), req, &out).ok()) ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  std::printf("%.3f %lld %lld\n", absl::ToDoubleSeconds(absl::Now() - t0),
              static_cast<long long>(count - errors), static_cast<long long>(errors.load()));
  return errors == 0 ? 0 : 1;
}

int ShipJob(const std::string& addr, int64_t first, int64_t count) {
  auto stub = ov1::OrderService::NewStub(store::grpcx::MakeChannel(addr));
  ov1::CreateOrderJobRequest req;
  req.set_request_id(store::NewUuid());
  req.set_action(ov1::ORDER_JOB_ACTION_SHIP);
  std::string csv = "order_number,carrier,tracking_number\n";
  for (int64_t i = first; i < first + count; ++i) {
    absl::StrAppend(&csv, OrderNumber(i), ",ups,", Tracking(i), "\n");
  }
  req.set_shipments_csv(csv);
  ov1::OrderJob job;
  const absl::Time t0 = absl::Now();
  grpc::Status s = stub->CreateOrderJob(Ctx().get(), req, &job);
  if (!s.ok()) {
    std::fprintf(stderr, "order-bench: CreateOrderJob: %s\n", s.error_message().c_str());
    return 1;
  }
  while (job.state() != ov1::ORDER_JOB_STATE_DONE) {
    absl::SleepFor(absl::Milliseconds(10));
    ov1::GetOrderJobRequest get;
    get.set_job_id(job.id());
    s = stub->GetOrderJob(Ctx().get(), get, &job);
    if (!s.ok()) {
      std::fprintf(stderr, "order-bench: GetOrderJob: %s\n", s.error_message().c_str());
      return 1;
    }
  }
  std::printf("%.3f %d %d\n", absl::ToDoubleSeconds(absl::Now() - t0), job.changed_count(),
              job.failed_count());
  return job.failed_count() == 0 ? 0 : 1;
}

std::string Hex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out = "\\\\x";
  out.reserve(3 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string Ts(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", t, absl::UTCTimeZone());
}

int CopyRows(int64_t orders, const std::string& items_path, ov1::OrderStatus status) {
  std::ofstream items(items_path);
  if (!items) {
    std::fprintf(stderr, "order-bench: cannot write %s\n", items_path.c_str());
    return 1;
  }
  const char* kSkus[] = {"MUG", "TEE", "CAP", "BAG", "PEN", "CUP", "HAT", "SOX"};
  const char* kNames[] = {"Ann Lee", "Bob Stone", "Cleo Park", "Dara Singh", "Eli Novak"};
  const ov1::OrderStatus kStatuses[] = {ov1::ORDER_STATUS_COMPLETED, ov1::ORDER_STATUS_COMPLETED,
                                        ov1::ORDER_STATUS_SHIPPED, ov1::ORDER_STATUS_PROCESSING,
                                        ov1::ORDER_STATUS_CANCELLED};
  const absl::Time start = absl::FromCivil(absl::CivilDay(2025, 1, 1), absl::UTCTimeZone());
  std::string line;
  for (int64_t i = 0; i < orders; ++i) {
    ov1::Order o;
    o.set_id(OrderId(i));
    o.set_number(OrderNumber(i));
    o.set_status(status != ov1::ORDER_STATUS_UNSPECIFIED ? status : kStatuses[i % 5]);
    o.set_currency_code("USD");
    o.set_version(3);
    auto* c = o.mutable_customer();
    c->set_email(absl::StrFormat("buyer%07d@example.com", i % 300000));
    c->set_name(kNames[i % 5]);
    c->set_phone(absl::StrFormat("+1555%07d", i % 300000));
    c->set_guest(i % 3 == 0);
    if (!c->guest())
      c->set_customer_id(absl::StrFormat("10000000-0000-4000-8000-%012d", i % 300000));
    auto* a = o.mutable_shipping_address();
    a->set_name(c->name());
    a->set_line1(absl::StrCat(1 + i % 200, " Main St"));
    a->set_city(i % 4 == 0 ? "Berlin" : "Springfield");
    a->set_postal_code(absl::StrFormat("%05d", i % 99999));
    a->set_country_code(i % 4 == 0 ? "DE" : "US");
    *o.mutable_billing_address() = *a;
    o.set_payment_method(i % 3 == 0 ? ov1::PAYMENT_METHOD_PAYPAL : ov1::PAYMENT_METHOD_CARD);
    o.mutable_delivery_method()->set_code(i % 4 == 0 ? "express" : "standard");
    o.mutable_delivery_method()->set_name(i % 4 == 0 ? "Express" : "Standard");
    o.mutable_delivery_method()->mutable_fee()->set_amount_minor(500);
    int64_t subtotal = 0;
    for (int l = 0; l < 1 + i % 3; ++l) {
      ov1::OrderItem* item = o.add_items();
      item->set_sku(kSkus[(i + l) % 8]);
      item->set_name(absl::StrCat("Product ", item->sku()));
      item->set_quantity(1 + (i + l) % 3);
      item->mutable_unit_price()->set_amount_minor(500 + 250 * ((i + l) % 7));
      item->mutable_subtotal()->set_amount_minor(item->quantity() *
                                                 item->unit_price().amount_minor());
      item->mutable_total()->set_amount_minor(item->subtotal().amount_minor());
      subtotal += item->subtotal().amount_minor();
      absl::StrAppend(&line, o.id(), "\t", l + 1, "\t", item->sku(), "\t", item->name(), "\t",
                      item->quantity(), "\t", item->unit_price().amount_minor(), "\t",
                      item->total().amount_minor(), "\n");
    }
    items << line;
    line.clear();
    auto* t = o.mutable_totals();
    t->mutable_subtotal()->set_amount_minor(subtotal);
    t->mutable_shipping()->set_amount_minor(500);
    t->mutable_total()->set_amount_minor(subtotal + 500);
    if (o.status() != ov1::ORDER_STATUS_CANCELLED) *t->mutable_paid() = t->total();
    const absl::Time placed = start + absl::Seconds(31536 * i / (orders / 1000 + 1));
    *o.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(placed));
    *o.mutable_update_time() = o.create_time();
    if (o.status() == ov1::ORDER_STATUS_SHIPPED || o.status() == ov1::ORDER_STATUS_COMPLETED) {
      o.mutable_shipment()->set_carrier("ups");
      o.mutable_shipment()->set_tracking_number(Tracking(i));
      *o.mutable_shipment()->mutable_shipped_at() = o.create_time();
    }
    const std::string body = o.SerializeAsString();
    absl::StrAppend(&line, o.id(), "\t", o.number(), "\t",
                    absl::StrFormat("20000000-0000-4000-8000-%012d", i), "\tbench\t",
                    static_cast<int>(o.status()), "\t",
                    c->customer_id().empty() ? "\\N" : c->customer_id(), "\t", c->email(), "\t",
                    "USD\t", static_cast<int>(o.payment_method()), "\t", o.delivery_method().code(),
                    "\t", t->total().amount_minor(), "\t",
                    absl::StrCat("#", o.number(), " ", c->email(), " ", c->name()), "\t", Hex(body),
                    "\t3\t", Ts(placed), "\t", Ts(placed), "\n");
    std::fwrite(line.data(), 1, line.size(), stdout);
    line.clear();
  }
  return std::fflush(stdout) == 0 && items.good() ? 0 : 1;
}

}  // namespace

int SameRequest(const std::string& target, int clients) {
  ov1::PlaceOrderRequest req;
  req.set_request_id(store::NewUuid());
  req.set_currency_code("USD");
  req.mutable_customer()->set_email("same@example.com");
  req.mutable_customer()->set_name("Same Request");
  auto* item = req.add_items();
  item->set_sku("ONE-1");
  item->set_name("One thing");
  item->set_quantity(1);
  item->mutable_unit_price()->set_amount_minor(1000);
  auto* a = req.mutable_shipping_address();
  a->set_name("Same Request");
  a->set_line1("1 Once Street");
  a->set_city("Portland");
  a->set_postal_code("97201");
  a->set_country_code("US");
  req.mutable_delivery_method()->set_code("standard");
  req.set_payment_method(ov1::PAYMENT_METHOD_CARD);
  std::vector<std::string> ids(clients);
  std::atomic<int> errors{0};
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto channel = store::grpcx::MakeChannel(target, /*own_connections=*/true);
      channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
      auto stub = ov1::OrderService::NewStub(channel);
      ++ready;
      while (ready < clients) std::this_thread::yield();  // all at once
      // A correct client retries ABORTED ("concurrent request, retry").
      for (int attempt = 0; attempt < 50; ++attempt) {
        ov1::Order o;
        const grpc::Status s = stub->PlaceOrder(Ctx().get(), req, &o);
        if (s.ok()) {
          ids[c] = o.id();
          return;
        }
        if (s.error_code() != grpc::StatusCode::ABORTED) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      ++errors;
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct;
  for (const std::string& id : ids) {
    if (!id.empty()) distinct.insert(id);
  }
  std::printf("%zu %d %d\n", distinct.size(), clients - errors.load(), errors.load());
  return distinct.size() == 1 && errors == 0 ? 0 : 1;
}

int FanoutPlace(const std::string& addr, const std::string& invoicing_addr, int64_t count) {
  {
    auto inv =
        store::invoicing::v1::InvoicingService::NewStub(store::grpcx::MakeChannel(invoicing_addr));
    store::invoicing::v1::UpdateSettingsRequest req;
    req.mutable_settings()->set_mode(store::invoicing::v1::ISSUE_MODE_ON_ORDER_PLACED);
    req.mutable_update_mask()->add_paths("mode");
    store::invoicing::v1::InvoicingSettings out;
    grpc::Status s = inv->UpdateSettings(Ctx().get(), req, &out);
    if (!s.ok()) {
      std::fprintf(stderr, "order-bench: invoicing UpdateSettings: %s\n",
                   s.error_message().c_str());
      return 1;
    }
  }
  std::vector<std::string> lines(count);
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> errors{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < 8; ++c) {
    threads.emplace_back([&] {
      auto stub = ov1::OrderService::NewStub(store::grpcx::MakeChannel(addr));
      for (int64_t i = next++; i < count; i = next++) {
        ov1::PlaceOrderRequest req;
        req.set_request_id(store::NewUuid());
        req.set_currency_code("USD");
        req.mutable_customer()->set_email(absl::StrCat("fanout+", i, "@example.com"));
        req.mutable_customer()->set_name("Fan Out");
        auto* item = req.add_items();
        item->set_sku("FAN-1");
        item->set_name("Desk fan");
        item->set_quantity(1);
        item->mutable_unit_price()->set_amount_minor(2990);
        auto* a = req.mutable_shipping_address();
        a->set_name("Fan Out");
        a->set_line1("1 Breeze Way");
        a->set_city("Portland");
        a->set_postal_code("97201");
        a->set_country_code("US");
        req.mutable_delivery_method()->set_code("standard");
        req.set_payment_method(ov1::PAYMENT_METHOD_CARD);
        ov1::Order o;
        if (!stub->PlaceOrder(Ctx().get(), req, &o).ok()) {
          ++errors;
          continue;
        }
        const bool ship = i % 2 == 1;
        if (ship) {  // only a paid order ships
          ov1::RecordPaymentRequest p;
          p.set_order_id(o.id());
          p.set_provider("bench");
          p.set_reference(o.id());
          *p.mutable_amount() = o.totals().total();
          p.set_outcome(ov1::PAYMENT_OUTCOME_SUCCEEDED);
          ov1::RecordPaymentResponse pr;
          if (!stub->RecordPayment(Ctx().get(), p, &pr).ok()) ++errors;
        }
        lines[i] = absl::StrCat(o.id(), ship ? " ship" : " reject");
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const std::string& l : lines) {
    if (!l.empty()) std::printf("%s\n", l.c_str());
  }
  if (errors > 0)
    std::fprintf(stderr, "order-bench: %lld calls failed\n", static_cast<long long>(errors.load()));
  return errors == 0 ? 0 : 1;
}

int FanoutAct(const std::string& addr, const std::string& file, double rate) {
  std::vector<std::pair<std::string, bool>> orders;  // id, ship
  std::ifstream in(file);
  for (std::string id, kind; in >> id >> kind;) orders.emplace_back(id, kind == "ship");
  auto stub = ov1::OrderService::NewStub(store::grpcx::MakeChannel(addr));
  const absl::Time t0 = absl::Now();
  const absl::Duration interval = absl::Seconds(1.0 / rate);
  int64_t errors = 0;
  for (size_t i = 0; i < orders.size(); ++i) {
    absl::SleepFor(t0 + interval * static_cast<double>(i) - absl::Now());
    ov1::Order out;
    grpc::Status s;
    if (orders[i].second) {
      ov1::ShipOrderRequest req;
      req.set_order_id(orders[i].first);
      req.set_carrier("ups");
      req.set_tracking_number(Tracking(static_cast<int64_t>(i)));
      s = stub->ShipOrder(Ctx().get(), req, &out);
    } else {
      ov1::RejectOrderRequest req;
      req.set_order_id(orders[i].first);
      req.set_reason("out of stock");
      s = stub->RejectOrder(Ctx().get(), req, &out);
    }
    if (!s.ok()) {
      ++errors;
      std::fprintf(stderr, "order-bench: %s: %s\n", orders[i].first.c_str(),
                   s.error_message().c_str());
    }
  }
  std::printf("%.3f %lld %lld\n", absl::ToDoubleSeconds(absl::Now() - t0),
              static_cast<long long>(orders.size() - errors), static_cast<long long>(errors));
  return errors == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  store::InitProcess();
  if (argc < 2 || std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help") {
    std::fputs(kHelp, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::map<std::string, std::string> flags;
  for (int i = 2; i + 1 < argc; i += 2) flags[argv[i]] = argv[i + 1];
  const std::string mode = argv[1];
  auto number = [&](const char* flag, int64_t* out) {
    return flags.count(flag) && absl::SimpleAtoi(flags[flag], out) && *out >= 0;
  };
  int64_t orders = 0, first = 0, count = 0, clients = 0;
  if (mode == "copy-rows" && flags.count("--items") && number("--orders", &orders) && orders > 0) {
    ov1::OrderStatus status = ov1::ORDER_STATUS_UNSPECIFIED;
    if (flags.count("--status") &&
        !ov1::OrderStatus_Parse("ORDER_STATUS_" + absl::AsciiStrToUpper(flags["--status"]),
                                &status)) {
      std::fprintf(stderr, "order-bench: unknown --status %s\n", flags["--status"].c_str());
      return 2;
    }
    return CopyRows(orders, flags["--items"], status);
  }
  if (mode == "ship-rpc" && flags.count("--addr") && number("--first", &first) &&
      number("--count", &count) && number("--clients", &clients) && clients > 0) {
    return ShipRpc(flags["--addr"], first, count, static_cast<int>(clients));
  }
  if (mode == "ship-job" && flags.count("--addr") && number("--first", &first) &&
      number("--count", &count)) {
    return ShipJob(flags["--addr"], first, count);
  }
  if (mode == "fanout-place" && flags.count("--addr") && flags.count("--invoicing") &&
      number("--count", &count) && count > 0) {
    return FanoutPlace(flags["--addr"], flags["--invoicing"], count);
  }
  if (mode == "same-request" && flags.count("--addr") && number("--clients", &clients) &&
      clients > 0) {
    return SameRequest(flags["--addr"], static_cast<int>(clients));
  }
  double rate = 0;
  if (mode == "fanout-act" && flags.count("--addr") && flags.count("--orders") &&
      flags.count("--rate") && absl::SimpleAtod(flags["--rate"], &rate) && rate > 0) {
    return FanoutAct(flags["--addr"], flags["--orders"], rate);
  }
  std::fputs(kHelp, stderr);
  return 2;
}
