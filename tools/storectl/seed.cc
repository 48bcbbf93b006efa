// `storectl seed demo`: a small demo store, placed and moved through the
// lifecycle over gRPC like any client would: first the customers (groups,
// segments, ...; customer_seed.cc), then the orders, those of registered
// customers with their customer_id. Request ids, payment references and
// refund ids are derived from the order's index, so running it again
// changes nothing.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "libs/grpcx/server.h"
#include "store/order/v1/order_service.grpc.pb.h"
#include "tools/storectl/customer_commands.h"
#include "tools/storectl/order_commands.h"

namespace store::cli {
namespace {

namespace v1 = store::order::v1;

struct Product {
  const char* sku;
  const char* name;
  int64_t price;
  int tax_bp;
};

constexpr Product kCatalog[] = {
    {"MUG-BLUE", "Blue ceramic mug", 1250, 2000},    {"TEE-ORG-M", "Organic tee, M", 2400, 2000},
    {"TOTE-CNV", "Canvas tote bag", 1800, 2000},      {"CANDLE-FIG", "Fig candle", 2900, 2000},
    {"NOTE-A5", "A5 dotted notebook", 950, 0},        {"PEN-BRASS", "Brass pen", 3900, 2000},
    {"TEA-SENCHA", "Sencha tea 100 g", 1100, 500},    {"SOCK-WOOL", "Wool socks", 1500, 2000},
};

struct Person {
  const char* name;
  const char* email;
  const char* phone;
  const char* city;
  const char* country;
};

constexpr Person kPeople[] = {
    {"Ann Lee", "ann.lee@example.com", "+15551230001", "Springfield", "US"},
    {"Omar Haddad", "omar@example.com", "+96550001111", "Kuwait City", "KW"},
    {"Léa Dubois", "lea.dubois@example.fr", "+33612345678", "Lyon", "FR"},
    {"Иван Петров", "ivan@example.ru", "+79161234567", "Moscow", "RU"},
    {"Sofia Rossi", "sofia@example.it", "+393471234567", "Milano", "IT"},
    {"Kenji Sato", "kenji@example.jp", "+819012345678", "Osaka", "JP"},
    {"Maya Cohen", "maya@example.com", "+15551230002", "Portland", "US"},
};

// The demo orders span this many days up to today.
constexpr int kDemoDays = 180;

constexpr v1::OrderStatus kTargets[] = {
    v1::ORDER_STATUS_PENDING,   v1::ORDER_STATUS_AWAITING_VERIFICATION,
    v1::ORDER_STATUS_PROCESSING, v1::ORDER_STATUS_SHIPPED,
    v1::ORDER_STATUS_COMPLETED, v1::ORDER_STATUS_CANCELLED,
    v1::ORDER_STATUS_REJECTED,  v1::ORDER_STATUS_REFUNDED,
    v1::ORDER_STATUS_PARTIALLY_REFUNDED};

std::string DemoUuid(int kind, int i) {
  return absl::StrFormat("00000000-0000-4000-8%03d-%012d", kind, i);
}

// OK, or FAILED_PRECONDITION from a step done by an earlier run.
bool Settled(const grpc::Status& s) {
  return s.ok() || s.error_code() == grpc::StatusCode::FAILED_PRECONDITION;
}

}  // namespace

int SeedCommand(const Global& g, const std::vector<std::string>& argv) {
  auto parsed = Args::Parse(argv, {"help"});
  if (!parsed.ok()) return Fail(parsed.status());
  const Args& args = *parsed;
  if (args.Positional(0) != "demo" || args.Has("help")) {
    std::puts(
        "usage: storectl seed demo [--orders N] [--addr ORDER_HOST:PORT]\n"
        "                        [--customer-addr CUSTOMER_HOST:PORT]\n\n"
        "Loads a demo store: customer groups, custom fields, 20 registered customers\n"
        "(demo account demo@example.com / demo-password-1), a blacklist entry and\n"
        "segments; then N orders (default 63) spread over every status and the last\n"
        "six months (imported with their placement time), placed and\n"
        "moved through the lifecycle over gRPC, most by the registered customers, some\n"
        "by guests; two discount codes (WELCOME10, SAVE5) and a few open carts.\n"
        "Without a customer service address (CUSTOMER_SERVICE_ADDR) only\n"
        "guest orders are placed. Running it again changes nothing.");
    return args.Has("help") ? 0 : 2;
  }
  int count = 63;
  if (args.Has("orders") && !absl::SimpleAtoi(args.Get("orders"), &count)) {
    return Fail(absl::InvalidArgumentError("--orders must be a number"));
  }
  std::string addr = args.Get("addr", Setting("ORDER_SERVICE_ADDR"));
  if (addr.empty()) addr = "127.0.0.1:50051";
  // Customers first: the orders of registered customers carry their ids.
  std::map<std::string, std::string> customer_ids;  // email -> id
  if (const std::string customer_addr = CustomerAddress(args); customer_addr.empty()) {
    std::printf("demo customers skipped: no customer service address (CUSTOMER_SERVICE_ADDR or "
                "--customer-addr); every demo order is a guest order\n");
  } else {
    auto ids = SeedDemoCustomers(g, customer_addr);
    if (!ids.ok()) return Fail(ids.status());
    customer_ids = *std::move(ids);
  }
  auto stub = v1::OrderService::NewStub(grpcx::MakeChannel(addr));
  int per_status[10] = {};
  int registered = 0;
  for (int i = 0; i < count; ++i) {
    const Person& who = kPeople[i % std::size(kPeople)];
    const v1::OrderStatus target = kTargets[i % std::size(kTargets)];
    v1::PlaceOrderRequest req;
    req.set_request_id(DemoUuid(1, i));
    req.set_currency_code("USD");
    req.mutable_customer()->set_email(who.email);
    req.mutable_customer()->set_name(who.name);
    req.mutable_customer()->set_phone(who.phone);
    if (auto it = customer_ids.find(who.email); it != customer_ids.end()) {
      req.mutable_customer()->set_customer_id(it->second);
      ++registered;
    }
    for (int line = 0; line < 1 + i % 3; ++line) {
      const Product& p = kCatalog[(i * 3 + line * 5) % std::size(kCatalog)];
      auto* item = req.add_items();
      item->set_sku(p.sku);
      item->set_name(p.name);
      item->set_quantity(1 + (i + line) % 3);
      item->mutable_unit_price()->set_amount_minor(p.price);
      item->mutable_unit_price()->set_currency_code("USD");
      item->set_tax_rate_bp(p.tax_bp);
    }
    auto* a = req.mutable_shipping_address();
    a->set_name(who.name);
    a->set_line1(absl::StrFormat("%d Market Street", 10 + i));
    a->set_city(who.city);
    a->set_country_code(who.country);
    a->set_postal_code(absl::StrFormat("%05d", 10000 + i * 7));
    req.mutable_delivery_method()->set_code(i % 4 == 0 ? "express" : "standard");
    req.mutable_delivery_method()->mutable_fee()->set_amount_minor(i % 4 == 0 ? 1500 : 500);
    req.mutable_delivery_method()->mutable_fee()->set_currency_code("USD");
    req.set_payment_method(target == v1::ORDER_STATUS_AWAITING_VERIFICATION
                               ? v1::PAYMENT_METHOD_WIRE_TRANSFER
                               : (i % 5 == 0 ? v1::PAYMENT_METHOD_PAYPAL : v1::PAYMENT_METHOD_CARD));
    if (i % 6 == 0) {
      auto* d = req.add_discounts();
      d->set_code("WELCOME10");
      d->set_percent_bp(1000);
    }
    // Spread over the last six months (imported-order times), oldest first,
    // so the reports have months to show; the last order is from today.
    const absl::Time today =
        absl::FromCivil(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()), absl::UTCTimeZone());
    const int days_ago = count <= 1 ? 0 : (count - 1 - i) * kDemoDays / (count - 1);
    const absl::Time placed = std::min(
        absl::Now(), today - absl::Hours(24) * days_ago + absl::Minutes(480 + i * 37 % 600));
    *req.mutable_processed_time() =
        google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(placed));
    v1::Order order;
    grpc::Status s = stub->PlaceOrder(Context(g).get(), req, &order);
    if (!s.ok()) return Fail(s);

    auto pay = [&](v1::PaymentOutcome outcome) {
      v1::RecordPaymentRequest p;
      p.set_order_id(order.id());
      p.set_provider(outcome == v1::PAYMENT_OUTCOME_PENDING_VERIFICATION ? "bank" : "stripe");
      p.set_reference(absl::StrFormat("demo-%d", i));
      p.mutable_amount()->set_amount_minor(order.totals().total().amount_minor());
      p.mutable_amount()->set_currency_code("USD");
      p.set_outcome(outcome);
      v1::RecordPaymentResponse r;
      return stub->RecordPayment(Context(g).get(), p, &r);
    };
    auto ship = [&] {
      v1::ShipOrderRequest r;
      r.set_order_id(order.id());
      r.set_carrier(i % 2 == 0 ? "ups" : "dhl");
      r.set_tracking_number(absl::StrFormat("1Z%010d", 4000000 + i));
      v1::Order o;
      return stub->ShipOrder(Context(g).get(), r, &o);
    };
    v1::Order out;
    std::vector<grpc::Status> steps;
    switch (target) {
      case v1::ORDER_STATUS_AWAITING_VERIFICATION:
        steps.push_back(pay(v1::PAYMENT_OUTCOME_PENDING_VERIFICATION));
        break;
      case v1::ORDER_STATUS_PROCESSING:
        steps.push_back(pay(v1::PAYMENT_OUTCOME_SUCCEEDED));
        break;
      case v1::ORDER_STATUS_SHIPPED:
      case v1::ORDER_STATUS_COMPLETED:
      case v1::ORDER_STATUS_PARTIALLY_REFUNDED:
        steps.push_back(pay(v1::PAYMENT_OUTCOME_SUCCEEDED));
        steps.push_back(ship());
        if (target == v1::ORDER_STATUS_COMPLETED) {
          v1::CompleteOrderRequest r;
          r.set_order_id(order.id());
          steps.push_back(stub->CompleteOrder(Context(g).get(), r, &out));
        }
        if (target == v1::ORDER_STATUS_PARTIALLY_REFUNDED) {
          v1::RefundOrderRequest r;
          r.set_order_id(order.id());
          r.set_request_id(DemoUuid(2, i));
          r.set_reason("One item arrived damaged");
          auto* line = r.add_lines();
          line->set_sku(order.items(0).sku());
          line->set_quantity(1);
          v1::RefundOrderResponse rr;
          steps.push_back(stub->RefundOrder(Context(g).get(), r, &rr));
        }
        break;
      case v1::ORDER_STATUS_REFUNDED: {
        steps.push_back(pay(v1::PAYMENT_OUTCOME_SUCCEEDED));
        v1::RefundOrderRequest r;
        r.set_order_id(order.id());
        r.set_request_id(DemoUuid(2, i));
        r.set_reason("Customer changed their mind");
        r.mutable_amount()->set_amount_minor(order.totals().total().amount_minor());
        r.mutable_amount()->set_currency_code("USD");
        v1::RefundOrderResponse rr;
        steps.push_back(stub->RefundOrder(Context(g).get(), r, &rr));
        break;
      }
      case v1::ORDER_STATUS_CANCELLED: {
        v1::CancelOrderRequest r;
        r.set_order_id(order.id());
        r.set_reason("Customer asked to cancel");
        r.set_initiator(v1::CANCEL_INITIATOR_CUSTOMER);
        steps.push_back(stub->CancelOrder(Context(g).get(), r, &out));
        break;
      }
      case v1::ORDER_STATUS_REJECTED: {
        v1::RejectOrderRequest r;
        r.set_order_id(order.id());
        r.set_reason("Shipping address could not be verified");
        steps.push_back(stub->RejectOrder(Context(g).get(), r, &out));
        break;
      }
      default:
        break;
    }
    for (const grpc::Status& st : steps) {
      if (!Settled(st)) return Fail(st);
    }
    ++per_status[target];
  }
  std::printf("demo store: %d orders (%d by registered customers, %d by guests)\n", count,
              registered, count - registered);
  for (v1::OrderStatus s : kTargets) {
    std::printf("  %-22s %d\n", Label(s).c_str(), per_status[s]);
  }
  // Then the storefront's side: two discount codes and a few open carts.
  std::vector<std::pair<std::string, std::string>> shoppers;
  for (const Person& who : kPeople) {
    if (auto it = customer_ids.find(who.email); it != customer_ids.end()) {
      shoppers.emplace_back(it->second, who.email);
    }
  }
  return SeedDemoCarts(g, addr, shoppers);
}

}  // namespace store::cli
