// order-bench: data for `tools/dev bench exports` (PERF-5).
//
//   order-bench copy-rows --orders N
//     prints N orders of one year as rows for
//     `\copy orders (id, number, request_id, request_hash, status,
//      customer_id, customer_email, currency_code, payment_method,
//      delivery_method, total_minor, search_text, body, version, created_at,
//      updated_at) FROM STDIN` (PostgreSQL's text format; `body` is the
//     serialized store.order.v1.Order, as the order service stores it), and
//     their lines for `\copy order_items (order_id, line_no, sku, name,
//     quantity, unit_price_minor, total_minor)` to the file --items PATH.
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "store/order/v1/order.pb.h"

namespace {

namespace ov1 = store::order::v1;
using google::protobuf::util::TimeUtil;

constexpr char kHelp[] = R"(usage: order-bench copy-rows --orders N --items PATH
  N orders of one year as COPY text rows for the orders table (stdout) and
  their lines for order_items (PATH); see tools/dev bench exports.
)";

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

int CopyRows(int64_t orders, const std::string& items_path) {
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
    o.set_id(absl::StrFormat("00000000-0000-4000-8000-%012d", i));
    o.set_number(10001 + i);
    o.set_status(kStatuses[i % 5]);
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
      o.mutable_shipment()->set_tracking_number(absl::StrFormat("1Z%016d", i));
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

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help") {
    std::fputs(kHelp, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::map<std::string, std::string> flags;
  for (int i = 2; i + 1 < argc; i += 2) flags[argv[i]] = argv[i + 1];
  int64_t orders = 0;
  if (std::string(argv[1]) != "copy-rows" || !flags.count("--items") ||
      !absl::SimpleAtoi(flags["--orders"], &orders) || orders < 1) {
    std::fputs(kHelp, stderr);
    return 2;
  }
  return CopyRows(orders, flags["--items"]);
}
