// `storectl cart ...` (store.order.v1.CartService) and `storectl code ...`
// (DiscountCodeService), and the carts and codes of `storectl seed demo`.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/ids.h"
#include "libs/core/money.h"
#include "libs/core/status.h"
#include "libs/grpcx/server.h"
#include "store/order/v1/cart_service.grpc.pb.h"
#include "tools/storectl/order_commands.h"

namespace store::cli {
namespace {

namespace v1 = store::order::v1;
using google::protobuf::util::TimeUtil;

constexpr char kCartHelp[] =
    R"(storectl cart: storefront carts (store.order.v1.CartService)

usage: storectl [--json] cart COMMAND [ARGS] [--addr HOST:PORT]

commands:
  create    [--email E] [--customer-id UUID] [--currency USD]
            [--item SKU:NAME:QTY:UNIT_PRICE_MINOR[:TAX_BP]]...
            [--address "NAME|LINE1|CITY|COUNTRY[|POSTAL]"] [--delivery CODE:FEE_MINOR[:TAX_BP]]
            [--code CODE] [--note TEXT] [--request-id UUID]
  get       ID
  list      [--customer-id UUID] [--email E] [--state open|converted] [--page-size N] [--all]
  add-line  ID --item SKU:NAME:QTY:UNIT_PRICE_MINOR[:TAX_BP]
  set-qty   ID LINE_ID QTY
  remove-line ID LINE_ID
  set       ID [--email E] [--address ...] [--delivery CODE:FEE_MINOR[:TAX_BP]] [--code CODE]
            [--note TEXT]           (--code "" removes the code)
  checkout  ID [--payment card|paypal|wire_transfer|cash_on_delivery|store_credit]
            [--request-id UUID]

The address comes from --addr, else ORDER_SERVICE_ADDR (environment or .dev/env).
Amounts are integer minor units. --json prints proto3 JSON.
)";

constexpr char kCodeHelp[] =
    R"(storectl code: discount codes (store.order.v1.DiscountCodeService)

usage: storectl [--json] code COMMAND [ARGS] [--addr HOST:PORT]

commands:
  create    CODE (--percent BP | --amount MINOR) [--description TEXT] [--min-subtotal MINOR]
            [--starts RFC3339] [--ends RFC3339] [--limit N] [--per-customer N]
            [--group GROUP_ID] [--disabled]
  get       ID
  list      [--all-states] [--page-size N] [--all]
  disable   ID
  enable    ID

BP: basis points (1000 = 10%). Amounts in the store currency's minor units.
)";

std::string Addr(const Args& args) {
  std::string addr = args.Get("addr", Setting("ORDER_SERVICE_ADDR"));
  return addr.empty() ? "127.0.0.1:50051" : addr;
}

absl::Status ParseLine(const std::string& spec, v1::CartLine* line) {
  v1::OrderItem item;
  STORE_RETURN_IF_ERROR(ParseItem(spec, &item));
  line->set_sku(item.sku());
  line->set_name(item.name());
  line->set_quantity(item.quantity());
  *line->mutable_unit_price() = item.unit_price();
  line->set_tax_rate_bp(item.tax_rate_bp());
  return absl::OkStatus();
}

absl::Status ParseDelivery(const std::string& spec, v1::DeliveryMethod* d) {
  std::vector<std::string> p = absl::StrSplit(spec, ':');
  int64_t fee = 0;
  int tax = 0;
  if (p.size() < 2 || p.size() > 3 || !absl::SimpleAtoi(p[1], &fee) ||
      (p.size() == 3 && !absl::SimpleAtoi(p[2], &tax))) {
    return absl::InvalidArgumentError(
        absl::StrCat("--delivery '", spec, "': expected CODE:FEE_MINOR[:TAX_BP]"));
  }
  d->set_code(p[0]);
  d->mutable_fee()->set_amount_minor(fee);
  d->set_tax_rate_bp(tax);
  return absl::OkStatus();
}

void PrintCart(const Global& g, const v1::Cart& c) {
  if (g.json) return PrintJson(c);
  std::printf("cart %s  %s  %s%s\n", c.id().c_str(), v1::CartState_Name(c.state()).c_str(),
              c.email().empty() ? "(no email)" : c.email().c_str(),
              c.customer_id().empty() ? " (guest)" : (" customer " + c.customer_id()).c_str());
  for (const auto& l : c.lines()) {
    std::printf("  %3d x %-12s %-30s %14s  line %s\n", l.quantity(), l.sku().c_str(),
                l.name().c_str(), Money(l.total()).c_str(), l.id().c_str());
  }
  if (!c.discount_code().empty()) {
    std::printf("  code %s%s\n", c.discount_code().c_str(),
                c.discounts().empty() ? " (does not apply now)" : "");
  }
  const auto& t = c.totals();
  std::printf("  subtotal %s  discount %s  shipping %s  tax %s  total %s\n",
              Money(t.subtotal()).c_str(), Money(t.discount()).c_str(), Money(t.shipping()).c_str(),
              Money(t.tax()).c_str(), Money(t.total()).c_str());
  if (!c.order_id().empty()) std::printf("  order %s\n", c.order_id().c_str());
}

void PrintCode(const Global& g, const v1::DiscountCode& c) {
  if (g.json) return PrintJson(c);
  const std::string value = c.value_case() == v1::DiscountCode::kPercentBp
                                ? absl::StrFormat("%.2f%%", c.percent_bp() / 100.0)
                                : Money(c.amount());
  std::printf("%-16s %-10s used %d%s%s  %s  %s\n", c.code().c_str(), value.c_str(), c.times_used(),
              c.usage_limit() > 0 ? absl::StrCat("/", c.usage_limit()).c_str() : "",
              c.disabled() ? "  DISABLED" : "", c.description().c_str(), c.id().c_str());
}

absl::Status ParseTime(const Args& args, const std::string& flag, google::protobuf::Timestamp* t) {
  if (!args.Has(flag)) return absl::OkStatus();
  if (!TimeUtil::FromString(args.Get(flag), t)) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be an RFC 3339 time"));
  }
  return absl::OkStatus();
}

int Int(const Args& args, const std::string& flag, int64_t* out) {
  if (!args.Has(flag)) return 0;
  if (!absl::SimpleAtoi(args.Get(flag), out)) {
    std::fprintf(stderr, "error: --%s must be an integer\n", flag.c_str());
    return 2;
  }
  return 0;
}

}  // namespace

int CartCommand(const Global& g, const std::vector<std::string>& argv) {
  auto parsed = Args::Parse(argv, {"all", "help"});
  if (!parsed.ok()) return Fail(parsed.status());
  const Args& args = *parsed;
  const std::string cmd = args.Positional(0);
  const std::string id = args.Positional(1);
  if (cmd.empty() || args.Has("help")) {
    std::fputs(kCartHelp, stdout);
    return cmd.empty() && !args.Has("help") ? 2 : 0;
  }
  auto stub = v1::CartService::NewStub(grpcx::MakeChannel(Addr(args)));
  v1::Cart cart;
  auto reply = [&](const grpc::Status& s) {
    if (!s.ok()) return Fail(s);
    PrintCart(g, cart);
    return 0;
  };
  if (cmd == "create") {
    v1::CreateCartRequest req;
    req.set_request_id(args.Get("request-id", NewUuid()));
    v1::Cart* c = req.mutable_cart();
    c->set_currency_code(args.Get("currency"));
    c->set_customer_id(args.Get("customer-id"));
    c->set_email(args.Get("email"));
    for (const auto& spec : args.GetAll("item")) {
      if (absl::Status s = ParseLine(spec, c->add_lines()); !s.ok()) return Fail(s);
    }
    if (args.Has("address")) {
      if (absl::Status s = ParseAddress(args.Get("address"), c->mutable_shipping_address());
          !s.ok()) {
        return Fail(s);
      }
    }
    if (args.Has("delivery")) {
      if (absl::Status s = ParseDelivery(args.Get("delivery"), c->mutable_delivery_method());
          !s.ok()) {
        return Fail(s);
      }
    }
    c->set_discount_code(args.Get("code"));
    c->set_note(args.Get("note"));
    return reply(stub->CreateCart(Context(g).get(), req, &cart));
  }
  if (cmd == "list") {
    v1::ListCartsRequest req;
    req.mutable_filter()->set_customer_id(args.Get("customer-id"));
    req.mutable_filter()->set_email(args.Get("email"));
    if (args.Has("state")) {
      v1::CartState state;
      if (!v1::CartState_Parse("CART_STATE_" + absl::AsciiStrToUpper(args.Get("state")), &state)) {
        return Fail(absl::InvalidArgumentError("--state must be open or converted"));
      }
      req.mutable_filter()->add_states(state);
    }
    int64_t size = 0;
    if (int rc = Int(args, "page-size", &size); rc != 0) return rc;
    req.set_page_size(static_cast<int>(size));
    v1::ListCartsResponse all;
    if (grpc::Status s = FetchPages(
            g, args.Has("all"), req, &all,
            [&](auto* ctx, const auto& r, auto* out) { return stub->ListCarts(ctx, r, out); });
        !s.ok()) {
      return Fail(s);
    }
    if (g.json) return PrintJson(all), 0;
    for (const auto& c : all.carts()) {
      std::printf("%s  %-20s %3d lines %14s  %-28s %s\n", c.id().c_str(),
                  v1::CartState_Name(c.state()).c_str(), c.lines_size(),
                  Money(c.totals().total()).c_str(), c.email().c_str(),
                  TimeUtil::ToString(c.update_time()).substr(0, 19).c_str());
    }
    if (!all.next_page_token().empty()) std::puts("(more: --all)");
    return 0;
  }
  if (id.empty()) {
    std::fprintf(stderr, "error: storectl cart %s needs a cart ID\n", cmd.c_str());
    return 2;
  }
  if (cmd == "get") {
    v1::GetCartRequest req;
    req.set_id(id);
    return reply(stub->GetCart(Context(g).get(), req, &cart));
  }
  if (cmd == "add-line") {
    v1::AddCartLineRequest req;
    req.set_cart_id(id);
    if (absl::Status s = ParseLine(args.Get("item"), req.mutable_line()); !s.ok()) return Fail(s);
    return reply(stub->AddCartLine(Context(g).get(), req, &cart));
  }
  if (cmd == "set-qty") {
    v1::UpdateCartLineRequest req;
    req.set_cart_id(id);
    req.mutable_line()->set_id(args.Positional(2));
    int quantity = 0;
    if (!absl::SimpleAtoi(args.Positional(3), &quantity)) {
      return Fail(absl::InvalidArgumentError("usage: storectl cart set-qty ID LINE_ID QTY"));
    }
    req.mutable_line()->set_quantity(quantity);
    req.mutable_update_mask()->add_paths("quantity");
    return reply(stub->UpdateCartLine(Context(g).get(), req, &cart));
  }
  if (cmd == "remove-line") {
    v1::RemoveCartLineRequest req;
    req.set_cart_id(id);
    req.set_line_id(args.Positional(2));
    return reply(stub->RemoveCartLine(Context(g).get(), req, &cart));
  }
  if (cmd == "set") {
    v1::UpdateCartRequest req;
    v1::Cart* c = req.mutable_cart();
    c->set_id(id);
    auto* mask = req.mutable_update_mask();
    if (args.Has("email")) {
      c->set_email(args.Get("email"));
      mask->add_paths("email");
    }
    if (args.Has("address")) {
      if (absl::Status s = ParseAddress(args.Get("address"), c->mutable_shipping_address());
          !s.ok()) {
        return Fail(s);
      }
      mask->add_paths("shipping_address");
    }
    if (args.Has("delivery")) {
      if (absl::Status s = ParseDelivery(args.Get("delivery"), c->mutable_delivery_method());
          !s.ok()) {
        return Fail(s);
      }
      mask->add_paths("delivery_method");
    }
    if (args.Has("code")) {
      c->set_discount_code(args.Get("code"));
      mask->add_paths("discount_code");
    }
    if (args.Has("note")) {
      c->set_note(args.Get("note"));
      mask->add_paths("note");
    }
    return reply(stub->UpdateCart(Context(g).get(), req, &cart));
  }
  if (cmd == "checkout") {
    v1::CheckoutCartRequest req;
    req.set_cart_id(id);
    req.set_request_id(args.Get("request-id", NewUuid()));
    v1::PaymentMethod method = v1::PAYMENT_METHOD_CARD;
    if (args.Has("payment") &&
        !v1::PaymentMethod_Parse("PAYMENT_METHOD_" + absl::AsciiStrToUpper(args.Get("payment")),
                                 &method)) {
      return Fail(absl::InvalidArgumentError(
          "--payment must be card, paypal, wire_transfer, cash_on_delivery or store_credit"));
    }
    req.set_payment_method(method);
    v1::Order order;
    grpc::Status s = stub->CheckoutCart(Context(g).get(), req, &order);
    if (!s.ok()) return Fail(s);
    if (g.json) return PrintJson(order), 0;
    std::printf("order #%lld placed from cart %s: %s (id %s)\n",
                static_cast<long long>(order.number()), id.c_str(),
                Money(order.totals().total()).c_str(), order.id().c_str());
    return 0;
  }
  std::fprintf(stderr, "error: unknown command 'cart %s' (see storectl cart --help)\n",
               cmd.c_str());
  return 2;
}

int CodeCommand(const Global& g, const std::vector<std::string>& argv) {
  auto parsed = Args::Parse(argv, {"all", "all-states", "disabled", "help"});
  if (!parsed.ok()) return Fail(parsed.status());
  const Args& args = *parsed;
  const std::string cmd = args.Positional(0);
  const std::string arg = args.Positional(1);
  if (cmd.empty() || args.Has("help")) {
    std::fputs(kCodeHelp, stdout);
    return cmd.empty() && !args.Has("help") ? 2 : 0;
  }
  auto stub = v1::DiscountCodeService::NewStub(grpcx::MakeChannel(Addr(args)));
  v1::DiscountCode code;
  auto reply = [&](const grpc::Status& s) {
    if (!s.ok()) return Fail(s);
    PrintCode(g, code);
    return 0;
  };
  if (cmd == "list") {
    v1::ListDiscountCodesRequest req;
    req.set_include_disabled(args.Has("all-states"));
    int64_t size = 0;
    if (int rc = Int(args, "page-size", &size); rc != 0) return rc;
    req.set_page_size(static_cast<int>(size));
    v1::ListDiscountCodesResponse all;
    if (grpc::Status s = FetchPages(g, args.Has("all"), req, &all,
                                    [&](auto* ctx, const auto& r, auto* out) {
                                      return stub->ListDiscountCodes(ctx, r, out);
                                    });
        !s.ok()) {
      return Fail(s);
    }
    if (g.json) return PrintJson(all), 0;
    for (const auto& c : all.discount_codes()) PrintCode(g, c);
    if (!all.next_page_token().empty()) std::puts("(more: --all)");
    return 0;
  }
  if (arg.empty()) {
    std::fprintf(stderr, "error: storectl code %s needs a %s\n", cmd.c_str(),
                 cmd == "create" ? "CODE" : "code ID");
    return 2;
  }
  if (cmd == "create") {
    v1::CreateDiscountCodeRequest req;
    v1::DiscountCode* c = req.mutable_discount_code();
    c->set_code(arg);
    c->set_description(args.Get("description"));
    int64_t v = 0;
    if (args.Has("percent")) {
      if (int rc = Int(args, "percent", &v); rc != 0) return rc;
      c->set_percent_bp(static_cast<int32_t>(v));
    } else if (args.Has("amount")) {
      if (int rc = Int(args, "amount", &v); rc != 0) return rc;
      c->mutable_amount()->set_amount_minor(v);
    }
    if (args.Has("min-subtotal")) {
      if (int rc = Int(args, "min-subtotal", &v); rc != 0) return rc;
      c->mutable_minimum_subtotal()->set_amount_minor(v);
    }
    if (int rc = Int(args, "limit", &v); rc != 0) return rc;
    c->set_usage_limit(static_cast<int32_t>(v));
    v = 0;
    if (int rc = Int(args, "per-customer", &v); rc != 0) return rc;
    c->set_usage_limit_per_customer(static_cast<int32_t>(v));
    c->set_customer_group_id(args.Get("group"));
    c->set_disabled(args.Has("disabled"));
    if (absl::Status s = ParseTime(args, "starts", c->mutable_start_time()); !s.ok())
      return Fail(s);
    if (absl::Status s = ParseTime(args, "ends", c->mutable_end_time()); !s.ok()) return Fail(s);
    if (!args.Has("starts")) c->clear_start_time();
    if (!args.Has("ends")) c->clear_end_time();
    return reply(stub->CreateDiscountCode(Context(g).get(), req, &code));
  }
  if (cmd == "get") {
    v1::GetDiscountCodeRequest req;
    req.set_id(arg);
    return reply(stub->GetDiscountCode(Context(g).get(), req, &code));
  }
  if (cmd == "disable" || cmd == "enable") {
    v1::UpdateDiscountCodeRequest req;
    req.mutable_discount_code()->set_id(arg);
    req.mutable_discount_code()->set_disabled(cmd == "disable");
    req.mutable_update_mask()->add_paths("disabled");
    return reply(stub->UpdateDiscountCode(Context(g).get(), req, &code));
  }
  std::fprintf(stderr, "error: unknown command 'code %s' (see storectl code --help)\n",
               cmd.c_str());
  return 2;
}

int SeedDemoCarts(const Global& g, const std::string& order_addr,
                  const std::vector<std::pair<std::string, std::string>>& customer_ids) {
  auto codes = v1::DiscountCodeService::NewStub(grpcx::MakeChannel(order_addr));
  struct DemoCode {
    const char* code;
    const char* description;
    int32_t percent_bp;
    int64_t amount;
    int64_t minimum;
    int32_t per_customer;
  };
  constexpr DemoCode kCodes[] = {
      {"WELCOME10", "10% off your first order", 1000, 0, 0, 1},
      {"SAVE5", "5.00 off orders of 50.00 or more", 0, 500, 5000, 0},
  };
  int created = 0;
  for (const DemoCode& d : kCodes) {
    v1::CreateDiscountCodeRequest req;
    v1::DiscountCode* c = req.mutable_discount_code();
    c->set_code(d.code);
    c->set_description(d.description);
    if (d.percent_bp > 0) {
      c->set_percent_bp(d.percent_bp);
    } else {
      c->mutable_amount()->set_amount_minor(d.amount);
    }
    if (d.minimum > 0) c->mutable_minimum_subtotal()->set_amount_minor(d.minimum);
    c->set_usage_limit_per_customer(d.per_customer);
    v1::DiscountCode out;
    grpc::Status s = codes->CreateDiscountCode(Context(g).get(), req, &out);
    if (s.ok()) {
      ++created;
    } else if (s.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
      return Fail(s);
    }
  }
  // Open carts: two guests and, when there are customers, two of theirs.
  struct DemoCart {
    const char* email;
    int customer;  // index into customer_ids, or -1 for a guest
    const char* items[2];
    const char* code;
  };
  const DemoCart kCarts[] = {
      {"guest.shopper@example.com", -1, {"MUG-BLUE:Blue ceramic mug:2:1250:2000", nullptr}, ""},
      {"window.shopper@example.com",
       -1,
       {"CANDLE-FIG:Fig candle:1:2900:2000", "TEA-SENCHA:Sencha tea 100 g:3:1100:500"},
       "SAVE5"},
      {"", 0, {"PEN-BRASS:Brass pen:1:3900:2000", nullptr}, "WELCOME10"},
      {"", 1, {"SOCK-WOOL:Wool socks:2:1500:2000", "NOTE-A5:A5 dotted notebook:1:950:0"}, ""},
  };
  auto carts = v1::CartService::NewStub(grpcx::MakeChannel(order_addr));
  int placed = 0;
  for (size_t i = 0; i < std::size(kCarts); ++i) {
    const DemoCart& d = kCarts[i];
    if (d.customer >= static_cast<int>(customer_ids.size())) continue;
    v1::CreateCartRequest req;
    req.set_request_id(absl::StrFormat("00000000-0000-4000-8003-%012d", i));
    v1::Cart* c = req.mutable_cart();
    if (d.customer >= 0) {
      c->set_customer_id(customer_ids[d.customer].first);
      c->set_email(customer_ids[d.customer].second);
    } else {
      c->set_email(d.email);
    }
    for (const char* spec : d.items) {
      if (spec == nullptr) continue;
      if (absl::Status s = ParseLine(spec, c->add_lines()); !s.ok()) return Fail(s);
    }
    c->set_discount_code(d.code);
    v1::Cart out;
    grpc::Status s = carts->CreateCart(Context(g).get(), req, &out);
    if (!s.ok()) return Fail(s);
    ++placed;
  }
  std::printf(
      "demo discount codes: %d new (WELCOME10, SAVE5); demo carts: %d open (tools/dev backdates "
      "two, which the next sweep finds abandoned)\n",
      created, placed);
  return 0;
}

}  // namespace store::cli
