#include "tools/storectl/order_commands.h"

#include <cstdio>
#include <iostream>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/ids.h"
#include "libs/core/money.h"
#include "libs/grpcx/server.h"
#include "store/order/v1/order_service.grpc.pb.h"

namespace store::cli {
namespace {

namespace v1 = store::order::v1;

constexpr char kOrderHelp[] =
    R"(storectl order: place and manage orders (store.order.v1.OrderService)

usage: storectl [--json] order COMMAND [ARGS] [--addr HOST:PORT]

commands:
  place     --email E --name N [--phone P] [--customer-id UUID]
            --item SKU:NAME:QTY:UNIT_PRICE_MINOR[:TAX_BP]   (repeat for more lines)
            --currency USD --payment card|paypal|wire_transfer|cash_on_delivery|store_credit
            --delivery CODE:FEE_MINOR[:TAX_BP]
            --address "NAME|LINE1|CITY|COUNTRY[|POSTAL]" [--billing-address ...]
            [--discount-percent BP | --discount-amount MINOR] [--note TEXT] [--request-id UUID]
  get       ID
  list      [--status pending,processing,...] [--email E] [--customer-id UUID] [--number N]
            [--query TEXT] [--payment card,...] [--delivery standard,...]
            [--from RFC3339] [--to RFC3339] [--min-total MINOR] [--max-total MINOR]
            [--sort date|total] [--asc] [--page-size N] [--page-token T] [--all]
  export    [--layout orders|lines|products] [--output FILE] [the filters of list]
            CSV of the orders list matches: a row per order, per order line, or per sku
            (ordered products); to stdout without --output
  packing-slips  [ID...] [--format pdf|html] [--sort number|sku] [--prices] [--output FILE]
            [the filters of list, when no IDs]: one document, each order on its own page
  pick-list      [ID...] [--format pdf|html] [--output FILE] [the filters of list]
            units to pick per sku over the same batch
  count-unprocessed
  pay       ID --amount MINOR [--provider P] [--reference R]
            [--outcome succeeded|failed|pending_verification] [--failure-reason TEXT]
  ship      ID --carrier C --tracking NUMBER [--tracking-url URL]
  complete  ID
  cancel    ID --reason TEXT [--by-customer]
  reject    ID --reason TEXT
  refund    ID --reason TEXT [--amount MINOR] [--line SKU:QTY[:restock]]... [--shipping]
            [--request-id UUID]
  edit      ID [--quantity SKU:QTY]... [--add-item SKU:NAME:QTY:UNIT_PRICE_MINOR[:TAX_BP]]...
            [--remove SKU]... [--address "NAME|LINE1|CITY|COUNTRY[|POSTAL]"]
            [--discount-percent BP --discount-code C] [--remove-discount CODE] [--reason TEXT]
            [--preview] [--version N]
            before shipping: prints the new total and the balance; without --preview it
            previews, then commits on the previewed version (or on --version N)
  return    ID --line SKU:RECEIVED[:DAMAGED]... [--reason TEXT] [--request-id UUID]
            goods that came back: received units are restocked, damaged ones are not
  returns   ID
  note      ID --text TEXT [--customer]      (internal unless --customer)
  notes     ID
  history   ID
  payments  ID
  job       bulk jobs: storectl order job --help

The address comes from --addr, else ORDER_SERVICE_ADDR (environment or .dev/env).
Amounts are integer minor units (1250 = 12.50 USD). --json prints proto3 JSON.
)";

std::unique_ptr<v1::OrderService::Stub> Stub(const Args& args) { return OrderServiceStub(args); }

void PrintOrderLine(const v1::Order& o) {
  std::printf("#%-7lld %-22s %16s  %-28s %s  %s\n", static_cast<long long>(o.number()),
              Label(o.status()).c_str(), Money(o.totals().total()).c_str(),
              o.customer().email().c_str(), Time(o.create_time()).c_str(), o.id().c_str());
}

void PrintOrder(const Global& g, const v1::Order& o) {
  if (g.json) return PrintJson(o);
  std::printf("order #%lld  %s  (id %s)\n", static_cast<long long>(o.number()),
              Label(o.status()).c_str(), o.id().c_str());
  std::printf("  customer  %s <%s>%s%s\n", o.customer().name().c_str(),
              o.customer().email().c_str(), o.customer().guest() ? " (guest)" : "",
              o.customer().phone().empty() ? "" : (" " + o.customer().phone()).c_str());
  for (const auto& i : o.items()) {
    std::printf("  %3d x %-12s %-30s %14s\n", i.quantity(), i.sku().c_str(), i.name().c_str(),
                Money(i.total()).c_str());
  }
  const auto& t = o.totals();
  std::printf("  subtotal %s  discount %s  shipping %s  tax %s\n", Money(t.subtotal()).c_str(),
              Money(t.discount()).c_str(), Money(t.shipping()).c_str(), Money(t.tax()).c_str());
  std::printf("  total %s  paid %s  refunded %s\n", Money(t.total()).c_str(),
              Money(t.paid()).c_str(), Money(t.refunded()).c_str());
  if (o.has_shipment()) {
    std::printf("  shipped %s %s %s\n", o.shipment().carrier().c_str(),
                o.shipment().tracking_number().c_str(), o.shipment().tracking_url().c_str());
  }
}

}  // namespace

absl::Status ParseItem(const std::string& spec, v1::OrderItem* item) {
  std::vector<std::string> p = absl::StrSplit(spec, ':');
  int qty = 0;
  int64_t price = 0;
  int tax = 0;
  if (p.size() < 4 || p.size() > 5 || !absl::SimpleAtoi(p[2], &qty) ||
      !absl::SimpleAtoi(p[3], &price) || (p.size() == 5 && !absl::SimpleAtoi(p[4], &tax))) {
    return absl::InvalidArgumentError(
        absl::StrCat("--item '", spec, "': expected SKU:NAME:QTY:UNIT_PRICE_MINOR[:TAX_BP]"));
  }
  item->set_sku(p[0]);
  item->set_name(p[1]);
  item->set_quantity(qty);
  item->mutable_unit_price()->set_amount_minor(price);
  item->set_tax_rate_bp(tax);
  return absl::OkStatus();
}

absl::Status ParseAddress(const std::string& spec, common::v1::Address* a) {
  std::vector<std::string> p = absl::StrSplit(spec, '|');
  if (p.size() < 4 || p.size() > 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("address '", spec, "': expected NAME|LINE1|CITY|COUNTRY[|POSTAL]"));
  }
  a->set_name(p[0]);
  a->set_line1(p[1]);
  a->set_city(p[2]);
  a->set_country_code(p[3]);
  if (p.size() == 5) a->set_postal_code(p[4]);
  return absl::OkStatus();
}

namespace {

template <typename Enum>
bool ParseEnum(const std::string& prefix, const std::string& name,
               bool (*parse)(const std::string&, Enum*), Enum* out) {
  return parse(prefix + absl::AsciiStrToUpper(name), out);
}

absl::StatusOr<int64_t> Int(const Args& args, const std::string& flag) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(args.Get(flag), &v)) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be an integer"));
  }
  return v;
}

int Place(const Global& g, const Args& args) {
  v1::PlaceOrderRequest req;
  req.set_request_id(args.Get("request-id", NewUuid()));
  req.set_currency_code(args.Get("currency", "USD"));
  req.mutable_customer()->set_customer_id(args.Get("customer-id"));
  req.mutable_customer()->set_email(args.Get("email"));
  req.mutable_customer()->set_name(args.Get("name"));
  req.mutable_customer()->set_phone(args.Get("phone"));
  for (const auto& spec : args.GetAll("item")) {
    if (absl::Status s = ParseItem(spec, req.add_items()); !s.ok()) return Fail(s);
  }
  for (auto& item : *req.mutable_items()) {
    item.mutable_unit_price()->set_currency_code(req.currency_code());
  }
  if (args.Has("address")) {
    if (absl::Status s = ParseAddress(args.Get("address"), req.mutable_shipping_address());
        !s.ok()) {
      return Fail(s);
    }
  }
  if (args.Has("billing-address")) {
    if (absl::Status s = ParseAddress(args.Get("billing-address"), req.mutable_billing_address());
        !s.ok()) {
      return Fail(s);
    }
  }
  std::vector<std::string> d = absl::StrSplit(args.Get("delivery", "standard:0"), ':');
  req.mutable_delivery_method()->set_code(d[0]);
  int64_t fee = 0;
  int fee_tax = 0;
  if (d.size() > 1 && !absl::SimpleAtoi(d[1], &fee))
    return Fail(absl::InvalidArgumentError("--delivery CODE:FEE_MINOR[:TAX_BP]"));
  if (d.size() > 2 && !absl::SimpleAtoi(d[2], &fee_tax))
    return Fail(absl::InvalidArgumentError("--delivery CODE:FEE_MINOR[:TAX_BP]"));
  req.mutable_delivery_method()->mutable_fee()->set_amount_minor(fee);
  req.mutable_delivery_method()->mutable_fee()->set_currency_code(req.currency_code());
  req.mutable_delivery_method()->set_tax_rate_bp(fee_tax);
  v1::PaymentMethod pm = v1::PAYMENT_METHOD_UNSPECIFIED;
  if (!ParseEnum<v1::PaymentMethod>("PAYMENT_METHOD_", args.Get("payment", "card"),
                                    v1::PaymentMethod_Parse, &pm)) {
    return Fail(absl::InvalidArgumentError(
        "--payment must be card, paypal, wire_transfer, cash_on_delivery or store_credit"));
  }
  req.set_payment_method(pm);
  if (args.Has("discount-percent")) {
    auto v = Int(args, "discount-percent");
    if (!v.ok()) return Fail(v.status());
    req.add_discounts()->set_percent_bp(static_cast<int>(*v));
  }
  if (args.Has("discount-amount")) {
    auto v = Int(args, "discount-amount");
    if (!v.ok()) return Fail(v.status());
    auto* m = req.add_discounts()->mutable_amount();
    m->set_amount_minor(*v);
    m->set_currency_code(req.currency_code());
  }
  req.set_customer_note(args.Get("note"));
  v1::Order resp;
  grpc::Status s = Stub(args)->PlaceOrder(Context(g).get(), req, &resp);
  if (!s.ok()) return Fail(s);
  PrintOrder(g, resp);
  return 0;
}

}  // namespace

std::unique_ptr<v1::OrderService::Stub> OrderServiceStub(const Args& args) {
  std::string addr = args.Get("addr", Setting("ORDER_SERVICE_ADDR"));
  if (addr.empty()) addr = "127.0.0.1:50051";
  return v1::OrderService::NewStub(grpcx::MakeChannel(addr));
}

absl::Status FillOrderFilter(const Args& args, v1::OrderFilter* f) {
  for (const auto& list : args.GetAll("status")) {
    for (absl::string_view name : absl::StrSplit(list, ',', absl::SkipEmpty())) {
      auto s = FromLabel<v1::OrderStatus>(name);
      if (s == v1::ORDER_STATUS_UNSPECIFIED) {
        return absl::InvalidArgumentError(absl::StrCat("--status: unknown status '", name, "'"));
      }
      f->add_statuses(s);
    }
  }
  f->set_email(args.Get("email"));
  f->set_customer_id(args.Get("customer-id"));
  f->set_query(args.Get("query"));
  if (args.Has("number")) {
    auto n = Int(args, "number");
    if (!n.ok()) return n.status();
    f->set_number(*n);
  }
  for (const auto& list : args.GetAll("payment")) {
    for (absl::string_view name : absl::StrSplit(list, ',', absl::SkipEmpty())) {
      v1::PaymentMethod pm;
      if (!ParseEnum<v1::PaymentMethod>("PAYMENT_METHOD_", std::string(name),
                                        v1::PaymentMethod_Parse, &pm)) {
        return absl::InvalidArgumentError(absl::StrCat("--payment: unknown method '", name, "'"));
      }
      f->add_payment_methods(pm);
    }
  }
  for (const auto& list : args.GetAll("delivery")) {
    for (absl::string_view code : absl::StrSplit(list, ',', absl::SkipEmpty())) {
      f->add_delivery_methods(std::string(code));
    }
  }
  for (const auto& [flag, field] :
       {std::pair<std::string, google::protobuf::Timestamp*>{"from", f->mutable_create_time_from()},
        {"to", f->mutable_create_time_to()}}) {
    if (!args.Has(flag)) continue;
    if (!google::protobuf::util::TimeUtil::FromString(args.Get(flag), field)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, " must be RFC 3339, e.g. 2026-01-31T00:00:00Z"));
    }
  }
  if (!args.Has("from")) f->clear_create_time_from();
  if (!args.Has("to")) f->clear_create_time_to();
  if (args.Has("min-total")) {
    auto v = Int(args, "min-total");
    if (!v.ok()) return v.status();
    f->mutable_total()->set_min_minor(*v);
  }
  if (args.Has("max-total")) {
    auto v = Int(args, "max-total");
    if (!v.ok()) return v.status();
    f->mutable_total()->set_max_minor(*v);
  }
  return absl::OkStatus();
}

namespace {

int List(const Global& g, const Args& args) {
  v1::ListOrdersRequest req;
  if (absl::Status s = FillOrderFilter(args, req.mutable_filter()); !s.ok()) return Fail(s);
  if (args.Get("sort") == "total") req.set_sort_field(v1::ORDER_SORT_FIELD_TOTAL);
  req.set_sort_direction(args.Has("asc") ? common::v1::SORT_DIRECTION_ASC
                                         : common::v1::SORT_DIRECTION_DESC);
  if (args.Has("page-size")) {
    auto v = Int(args, "page-size");
    if (!v.ok()) return Fail(v.status());
    req.set_page_size(static_cast<int>(*v));
  }
  req.set_page_token(args.Get("page-token"));
  auto stub = Stub(args);
  v1::ListOrdersResponse all;
  if (grpc::Status s = FetchPages(
          g, args.Has("all"), req, &all,
          [&](auto* ctx, const auto& r, auto* out) { return stub->ListOrders(ctx, r, out); });
      !s.ok()) {
    return Fail(s);
  }
  if (g.json) {
    PrintJson(all);
  } else {
    for (const auto& o : all.orders()) PrintOrderLine(o);
    if (!all.next_page_token().empty()) {
      std::printf("(more: --page-token %s, or --all)\n", all.next_page_token().c_str());
    }
  }
  return 0;
}

int Export(const Global& g, const Args& args) {
  v1::ExportOrdersRequest req;
  if (absl::Status s = FillOrderFilter(args, req.mutable_filter()); !s.ok()) return Fail(s);
  const std::string layout = args.Get("layout", "orders");
  if (layout == "orders") {
    req.set_layout(v1::ORDER_EXPORT_LAYOUT_ORDERS);
  } else if (layout == "lines") {
    req.set_layout(v1::ORDER_EXPORT_LAYOUT_LINES);
  } else if (layout == "products") {
    req.set_layout(v1::ORDER_EXPORT_LAYOUT_PRODUCTS);
  } else {
    return Fail(absl::InvalidArgumentError("--layout must be orders, lines or products"));
  }
  auto stub = Stub(args);
  auto ctx = Context(g, 3600);
  auto reader = stub->ExportOrders(ctx.get(), req);
  return Download<v1::DocumentChunk>(reader, args.Get("output"));
}

int Packing(const Global& g, const Args& args, bool pick_list) {
  v1::RenderPackingSlipsRequest req;
  for (int i = 1; !args.Positional(i).empty(); ++i) req.add_order_ids(args.Positional(i));
  if (req.order_ids().empty()) {
    if (absl::Status s = FillOrderFilter(args, req.mutable_filter()); !s.ok()) return Fail(s);
  }
  const std::string format = args.Get("format", "pdf");
  if (format != "pdf" && format != "html") {
    return Fail(absl::InvalidArgumentError("--format must be pdf or html"));
  }
  req.set_format(format == "html" ? v1::DOCUMENT_FORMAT_HTML : v1::DOCUMENT_FORMAT_PDF);
  const std::string sort = args.Get("sort", "number");
  if (sort != "number" && sort != "sku") {
    return Fail(absl::InvalidArgumentError("--sort must be number or sku"));
  }
  req.set_sort(sort == "sku" ? v1::PACKING_SLIP_SORT_SKU : v1::PACKING_SLIP_SORT_ORDER_NUMBER);
  req.set_show_prices(args.Has("prices"));
  auto stub = Stub(args);
  auto ctx = Context(g, 600);
  auto reader =
      pick_list ? stub->RenderPickList(ctx.get(), req) : stub->RenderPackingSlips(ctx.get(), req);
  return Download<v1::DocumentChunk>(reader, args.Get("output"));
}

int Pay(const Global& g, const Args& args, const std::string& id) {
  v1::RecordPaymentRequest req;
  req.set_order_id(id);
  auto stub = Stub(args);
  if (!args.Has("amount")) {
    // Default: what is still due.
    v1::GetOrderRequest get;
    get.set_id(id);
    v1::Order o;
    grpc::Status s = stub->GetOrder(Context(g).get(), get, &o);
    if (!s.ok()) return Fail(s);
    req.mutable_amount()->set_amount_minor(o.totals().total().amount_minor() -
                                           o.totals().paid().amount_minor());
  } else {
    auto v = Int(args, "amount");
    if (!v.ok()) return Fail(v.status());
    req.mutable_amount()->set_amount_minor(*v);
  }
  req.set_provider(args.Get("provider", "manual"));
  req.set_reference(args.Get("reference", NewUuid()));
  v1::PaymentOutcome outcome;
  if (!ParseEnum<v1::PaymentOutcome>("PAYMENT_OUTCOME_", args.Get("outcome", "succeeded"),
                                     v1::PaymentOutcome_Parse, &outcome)) {
    return Fail(
        absl::InvalidArgumentError("--outcome must be succeeded, failed or pending_verification"));
  }
  req.set_outcome(outcome);
  req.set_failure_reason(args.Get("failure-reason"));
  v1::RecordPaymentResponse resp;
  grpc::Status s = stub->RecordPayment(Context(g).get(), req, &resp);
  if (!s.ok()) return Fail(s);
  if (g.json) {
    PrintJson(resp);
  } else {
    PrintOrder(g, resp.order());
  }
  return 0;
}

int Edit(const Global& g, const Args& args, const std::string& id) {
  v1::EditOrderRequest req;
  req.set_order_id(id);
  req.set_reason(args.Get("reason"));
  for (const auto& spec : args.GetAll("quantity")) {
    std::vector<std::string> p = absl::StrSplit(spec, ':');
    int qty = 0;
    if (p.size() != 2 || !absl::SimpleAtoi(p[1], &qty)) {
      return Fail(absl::InvalidArgumentError("--quantity SKU:QTY"));
    }
    auto* c = req.add_changes()->mutable_set_quantity();
    c->set_sku(p[0]);
    c->set_quantity(qty);
  }
  for (const auto& spec : args.GetAll("add-item")) {
    if (absl::Status s = ParseItem(spec, req.add_changes()->mutable_add_item()); !s.ok()) {
      return Fail(s);
    }
  }
  for (const auto& sku : args.GetAll("remove")) req.add_changes()->set_remove_sku(sku);
  if (args.Has("address")) {
    if (absl::Status s = ParseAddress(args.Get("address"),
                                      req.add_changes()->mutable_shipping_address());
        !s.ok()) {
      return Fail(s);
    }
  }
  if (args.Has("discount-percent")) {
    auto bp = Int(args, "discount-percent");
    if (!bp.ok()) return Fail(bp.status());
    auto* d = req.add_changes()->mutable_add_discount();
    d->set_code(args.Get("discount-code"));
    d->set_percent_bp(static_cast<int32_t>(*bp));
  }
  for (const auto& code : args.GetAll("remove-discount")) {
    req.add_changes()->set_remove_discount_code(code);
  }
  auto stub = Stub(args);
  v1::OrderEditResult result;
  auto print = [&](const char* what) {
    if (g.json) return PrintJson(result);
    std::printf("%s order #%lld (version %lld): total %s -> %s; amount due %s, refundable %s\n",
                what, static_cast<long long>(result.order().number()),
                static_cast<long long>(result.base_version()),
                Money(result.previous_total()).c_str(),
                Money(result.order().totals().total()).c_str(), Money(result.amount_due()).c_str(),
                Money(result.refundable()).c_str());
  };
  if (args.Has("version")) {
    auto v = Int(args, "version");
    if (!v.ok()) return Fail(v.status());
    req.set_expected_version(*v);
  } else {
    grpc::Status s = stub->PreviewOrderEdit(Context(g).get(), req, &result);
    if (!s.ok()) return Fail(s);
    if (args.Has("preview")) return print("preview of"), 0;
    req.set_expected_version(result.base_version());
  }
  grpc::Status s = stub->EditOrder(Context(g).get(), req, &result);
  if (!s.ok()) return Fail(s);
  print("edited");
  return 0;
}

int Refund(const Global& g, const Args& args, const std::string& id) {
  v1::RefundOrderRequest req;
  req.set_order_id(id);
  req.set_request_id(args.Get("request-id", NewUuid()));
  req.set_reason(args.Get("reason"));
  req.set_include_shipping(args.Has("shipping"));
  if (args.Has("amount")) {
    auto v = Int(args, "amount");
    if (!v.ok()) return Fail(v.status());
    req.mutable_amount()->set_amount_minor(*v);
  }
  for (const auto& spec : args.GetAll("line")) {
    std::vector<std::string> p = absl::StrSplit(spec, ':');
    int qty = 0;
    if (p.size() < 2 || !absl::SimpleAtoi(p[1], &qty)) {
      return Fail(absl::InvalidArgumentError("--line SKU:QTY[:restock]"));
    }
    auto* line = req.add_lines();
    line->set_sku(p[0]);
    line->set_quantity(qty);
    line->set_restock(p.size() > 2 && p[2] == "restock");
  }
  v1::RefundOrderResponse resp;
  grpc::Status s = Stub(args)->RefundOrder(Context(g).get(), req, &resp);
  if (!s.ok()) return Fail(s);
  if (g.json) {
    PrintJson(resp);
  } else {
    std::printf("refunded %s\n", Money(resp.refund().amount()).c_str());
    PrintOrder(g, resp.order());
  }
  return 0;
}

}  // namespace

int OrderCommand(const Global& g, const std::vector<std::string>& argv) {
  auto parsed = Args::Parse(
      argv, {"asc", "all", "shipping", "by-customer", "customer", "prices", "wait", "preview", "help"});
  if (!parsed.ok()) return Fail(parsed.status());
  const Args& args = *parsed;
  const std::string cmd = args.Positional(0);
  const std::string id = args.Positional(1);
  if (cmd.empty() || cmd == "help" || args.Has("help")) {
    std::fputs(kOrderHelp, stdout);
    return cmd.empty() && !args.Has("help") ? 2 : 0;
  }
  auto stub = Stub(args);
  auto need_id = [&]() {
    if (id.empty())
      std::fprintf(stderr, "error: storectl order %s needs an order ID\n", cmd.c_str());
    return !id.empty();
  };
  auto order_reply = [&](const grpc::Status& s, const v1::Order& o) {
    if (!s.ok()) return Fail(s);
    PrintOrder(g, o);
    return 0;
  };
  if (cmd == "place") return Place(g, args);
  if (cmd == "list") return List(g, args);
  if (cmd == "export") return Export(g, args);
  if (cmd == "job") return OrderJobCommand(g, args);
  if (cmd == "packing-slips") return Packing(g, args, /*pick_list=*/false);
  if (cmd == "pick-list") return Packing(g, args, /*pick_list=*/true);
  if (cmd == "count-unprocessed") {
    v1::CountUnprocessedOrdersResponse resp;
    grpc::Status s = stub->CountUnprocessedOrders(Context(g).get(), {}, &resp);
    if (!s.ok()) return Fail(s);
    if (g.json) {
      PrintJson(resp);
    } else {
      std::printf("%lld\n", static_cast<long long>(resp.count()));
    }
    return 0;
  }
  if (!need_id()) return 2;
  v1::Order order;
  if (cmd == "get") {
    v1::GetOrderRequest req;
    req.set_id(id);
    return order_reply(stub->GetOrder(Context(g).get(), req, &order), order);
  }
  if (cmd == "pay") return Pay(g, args, id);
  if (cmd == "refund") return Refund(g, args, id);
  if (cmd == "edit") return Edit(g, args, id);
  if (cmd == "ship") {
    v1::ShipOrderRequest req;
    req.set_order_id(id);
    req.set_carrier(args.Get("carrier"));
    req.set_tracking_number(args.Get("tracking"));
    req.set_tracking_url(args.Get("tracking-url"));
    return order_reply(stub->ShipOrder(Context(g).get(), req, &order), order);
  }
  if (cmd == "complete") {
    v1::CompleteOrderRequest req;
    req.set_order_id(id);
    return order_reply(stub->CompleteOrder(Context(g).get(), req, &order), order);
  }
  if (cmd == "cancel") {
    v1::CancelOrderRequest req;
    req.set_order_id(id);
    req.set_reason(args.Get("reason"));
    req.set_initiator(args.Has("by-customer") ? v1::CANCEL_INITIATOR_CUSTOMER
                                              : v1::CANCEL_INITIATOR_STORE);
    return order_reply(stub->CancelOrder(Context(g).get(), req, &order), order);
  }
  if (cmd == "reject") {
    v1::RejectOrderRequest req;
    req.set_order_id(id);
    req.set_reason(args.Get("reason"));
    return order_reply(stub->RejectOrder(Context(g).get(), req, &order), order);
  }
  if (cmd == "note") {
    v1::AddOrderNoteRequest req;
    req.set_order_id(id);
    req.set_text(args.Get("text"));
    req.set_visibility(args.Has("customer") ? v1::NOTE_VISIBILITY_CUSTOMER
                                            : v1::NOTE_VISIBILITY_INTERNAL);
    v1::OrderNote note;
    grpc::Status s = stub->AddOrderNote(Context(g).get(), req, &note);
    if (!s.ok()) return Fail(s);
    if (g.json) {
      PrintJson(note);
    } else {
      std::printf("note %s added\n", note.id().c_str());
    }
    return 0;
  }
  if (cmd == "notes") {
    v1::ListOrderNotesRequest req;
    req.set_order_id(id);
    v1::ListOrderNotesResponse resp;
    grpc::Status s = stub->ListOrderNotes(Context(g).get(), req, &resp);
    if (!s.ok()) return Fail(s);
    if (g.json) return PrintJson(resp), 0;
    for (const auto& n : resp.notes()) {
      std::printf("%s  %-8s %-16s %s\n", Time(n.create_time()).c_str(),
                  n.visibility() == v1::NOTE_VISIBILITY_CUSTOMER ? "customer" : "internal",
                  n.author().c_str(), n.text().c_str());
    }
    return 0;
  }
  if (cmd == "history") {
    v1::ListOrderHistoryRequest req;
    req.set_order_id(id);
    v1::ListOrderHistoryResponse resp;
    grpc::Status s = stub->ListOrderHistory(Context(g).get(), req, &resp);
    if (!s.ok()) return Fail(s);
    if (g.json) return PrintJson(resp), 0;
    for (const auto& e : resp.entries()) {
      std::printf("%s  %-22s -> %-22s %-22s %-16s %s\n", Time(e.create_time()).c_str(),
                  e.from_status() == 0 ? "-" : Label(e.from_status()).c_str(),
                  Label(e.to_status()).c_str(), e.action().c_str(), e.actor().c_str(),
                  e.reason().c_str());
    }
    return 0;
  }
  if (cmd == "return") {
    v1::RecordReturnRequest req;
    req.set_order_id(id);
    req.set_request_id(args.Get("request-id", NewUuid()));
    req.set_reason(args.Get("reason"));
    for (const auto& spec : args.GetAll("line")) {
      std::vector<std::string> p = absl::StrSplit(spec, ':');
      int received = 0, damaged = 0;
      if (p.size() < 2 || p.size() > 3 || !absl::SimpleAtoi(p[1], &received) ||
          (p.size() == 3 && !absl::SimpleAtoi(p[2], &damaged))) {
        return Fail(absl::InvalidArgumentError("--line SKU:RECEIVED[:DAMAGED]"));
      }
      auto* line = req.add_lines();
      line->set_sku(p[0]);
      line->set_quantity_received(received);
      line->set_quantity_damaged(damaged);
    }
    v1::RecordReturnResponse resp;
    grpc::Status s = stub->RecordReturn(Context(g).get(), req, &resp);
    if (!s.ok()) return Fail(s);
    if (g.json) return PrintJson(resp), 0;
    std::printf("return %s recorded on order %lld\n", resp.return_().id().c_str(),
                static_cast<long long>(resp.order().number()));
    return 0;
  }
  if (cmd == "returns") {
    v1::ListOrderReturnsRequest req;
    req.set_order_id(id);
    v1::ListOrderReturnsResponse resp;
    grpc::Status s = stub->ListOrderReturns(Context(g).get(), req, &resp);
    if (!s.ok()) return Fail(s);
    if (g.json) return PrintJson(resp), 0;
    for (const auto& r : resp.returns()) {
      for (const auto& l : r.lines()) {
        std::printf("return %s  %-20s received %d  damaged %d  %s\n", Time(r.create_time()).c_str(),
                    l.sku().c_str(), l.quantity_received(), l.quantity_damaged(),
                    r.reason().c_str());
      }
    }
    return 0;
  }
  if (cmd == "payments") {
    v1::ListOrderPaymentsRequest req;
    req.set_order_id(id);
    v1::ListOrderPaymentsResponse resp;
    grpc::Status s = stub->ListOrderPayments(Context(g).get(), req, &resp);
    if (!s.ok()) return Fail(s);
    if (g.json) return PrintJson(resp), 0;
    for (const auto& p : resp.payments()) {
      std::printf("payment %s  %-10s %-24s %14s  %s\n", Time(p.create_time()).c_str(),
                  p.provider().c_str(), p.reference().c_str(), Money(p.amount()).c_str(),
                  v1::PaymentOutcome_Name(p.outcome()).c_str());
    }
    for (const auto& r : resp.refunds()) {
      std::printf("refund  %s  %14s  %s\n", Time(r.create_time()).c_str(),
                  Money(r.amount()).c_str(), r.reason().c_str());
    }
    return 0;
  }
  std::fprintf(stderr, "error: unknown command 'order %s' (see storectl order --help)\n",
               cmd.c_str());
  return 2;
}

}  // namespace store::cli
