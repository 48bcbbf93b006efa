// `storectl invoice ...`: invoices and credit notes (store.invoicing.v1).
#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/money.h"
#include "libs/grpcx/server.h"
#include "store/invoicing/v1/invoicing_service.grpc.pb.h"
#include "tools/storectl/invoice_commands.h"

namespace store::cli {
namespace {

namespace v1 = store::invoicing::v1;

constexpr char kInvoiceHelp[] = R"(storectl invoice: invoices and credit notes (store.invoicing.v1.InvoicingService)

usage: storectl [--json] invoice COMMAND [ARGS] [--addr HOST:PORT]

commands:
  list      [--order ID] [--customer-id ID] [--email E] [--status issued,cancelled]
            [--kind invoice|credit_note] [--from RFC3339] [--to RFC3339]
            [--page-size N] [--page-token T] [--all]
  get       ID
  issue     --order ORDER_ID          issue an order's invoice by hand (one per order)
  cancel    ID --reason TEXT
  render    ID [--format pdf|html] --output FILE   (- for stdout)
  export    [list filters] [--output FILE]         CSV of the filtered documents
  settings                            show the settings
  settings set [--mode off|on_payment|on_order_placed] [--scope every_customer|companies_only]
            [--seller-name N] [--seller-company C] [--seller-vat-id V] [--seller-email E]
            [--seller-address "LINE1|CITY|COUNTRY[|POSTAL]"] [--invoice-prefix P]
            [--credit-note-prefix P] [--payment-terms-days N] [--footer TEXT]

The address comes from --addr, else INVOICING_SERVICE_ADDR (environment or .dev/env).
)";

std::unique_ptr<v1::InvoicingService::Stub> Stub(const Args& args) {
  std::string addr = args.Get("addr", Setting("INVOICING_SERVICE_ADDR"));
  if (addr.empty()) addr = "127.0.0.1:50053";
  return v1::InvoicingService::NewStub(grpcx::MakeChannel(addr));
}

std::string Date(const google::protobuf::Timestamp& t) {
  return google::protobuf::util::TimeUtil::ToString(t).substr(0, 10);
}

void PrintLine(const v1::Invoice& inv) {
  std::printf("%-18s %-11s %-9s #%-7lld %s %14s  %-26s %s\n", inv.number().c_str(),
              inv.kind() == v1::DOCUMENT_KIND_CREDIT_NOTE ? "credit_note" : "invoice",
              inv.status() == v1::INVOICE_STATUS_CANCELLED ? "cancelled" : "issued",
              static_cast<long long>(inv.order_number()), Date(inv.issue_time()).c_str(),
              Money(inv.total()).c_str(), inv.buyer().name().c_str(), inv.id().c_str());
}

void PrintInvoice(const Global& g, const v1::Invoice& inv) {
  if (g.json) return PrintJson(inv);
  PrintLine(inv);
  for (const auto& l : inv.lines()) {
    std::printf("  %3d x %-30s %14s\n", l.quantity(), l.description().c_str(),
                Money(l.total()).c_str());
  }
  std::printf("  net %s  tax %s  total %s\n", Money(inv.net_total()).c_str(),
              Money(inv.tax_total()).c_str(), Money(inv.total()).c_str());
  if (!inv.credited_invoice_number().empty()) {
    std::printf("  credits %s: %s\n", inv.credited_invoice_number().c_str(), inv.reason().c_str());
  } else if (inv.status() == v1::INVOICE_STATUS_CANCELLED) {
    std::printf("  cancelled: %s\n", inv.reason().c_str());
  }
}

absl::Status FillFilter(const Args& args, v1::InvoiceFilter* f) {
  f->set_order_id(args.Get("order"));
  f->set_customer_id(args.Get("customer-id"));
  f->set_email(args.Get("email"));
  for (const auto& list : args.GetAll("status")) {
    for (absl::string_view name : absl::StrSplit(list, ',', absl::SkipEmpty())) {
      v1::InvoiceStatus s;
      if (!v1::InvoiceStatus_Parse(absl::StrCat("INVOICE_STATUS_", absl::AsciiStrToUpper(name)), &s)) {
        return absl::InvalidArgumentError(absl::StrCat("--status: '", name, "' is not issued or cancelled"));
      }
      f->add_statuses(s);
    }
  }
  if (args.Has("kind")) {
    v1::DocumentKind k;
    if (!v1::DocumentKind_Parse(absl::StrCat("DOCUMENT_KIND_", absl::AsciiStrToUpper(args.Get("kind"))), &k)) {
      return absl::InvalidArgumentError("--kind must be invoice or credit_note");
    }
    f->set_kind(k);
  }
  for (const auto& [flag, ts] :
       {std::pair<std::string, google::protobuf::Timestamp*>{"from", f->mutable_issue_time_from()},
        {"to", f->mutable_issue_time_to()}}) {
    if (args.Has(flag) && !google::protobuf::util::TimeUtil::FromString(args.Get(flag), ts)) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be RFC 3339"));
    }
  }
  if (!args.Has("from")) f->clear_issue_time_from();
  if (!args.Has("to")) f->clear_issue_time_to();
  return absl::OkStatus();
}

int Settings(const Global& g, const Args& args, v1::InvoicingService::Stub& stub) {
  v1::InvoicingSettings settings;
  if (args.Positional(1) != "set") {
    grpc::Status s = stub.GetSettings(Context(g).get(), {}, &settings);
    if (!s.ok()) return Fail(s);
    PrintJson(settings);
    return 0;
  }
  v1::UpdateSettingsRequest req;
  auto* in = req.mutable_settings();
  auto* mask = req.mutable_update_mask();
  if (args.Has("mode")) {
    v1::IssueMode m;
    if (!v1::IssueMode_Parse(absl::StrCat("ISSUE_MODE_", absl::AsciiStrToUpper(args.Get("mode"))), &m)) {
      return Fail(absl::InvalidArgumentError("--mode must be off, on_payment or on_order_placed"));
    }
    in->set_mode(m);
    mask->add_paths("mode");
  }
  if (args.Has("scope")) {
    v1::IssueScope sc;
    if (!v1::IssueScope_Parse(absl::StrCat("ISSUE_SCOPE_", absl::AsciiStrToUpper(args.Get("scope"))), &sc)) {
      return Fail(absl::InvalidArgumentError("--scope must be every_customer or companies_only"));
    }
    in->set_scope(sc);
    mask->add_paths("scope");
  }
  const std::pair<const char*, std::string*> texts[] = {
      {"seller-name", in->mutable_seller()->mutable_name()},
      {"seller-company", in->mutable_seller()->mutable_company()},
      {"seller-vat-id", in->mutable_seller()->mutable_vat_id()},
      {"seller-email", in->mutable_seller()->mutable_email()},
      {"invoice-prefix", in->mutable_invoice_prefix()},
      {"credit-note-prefix", in->mutable_credit_note_prefix()},
      {"footer", in->mutable_footer()}};
  const char* paths[] = {"seller.name", "seller.company", "seller.vat_id", "seller.email",
                         "invoice_prefix", "credit_note_prefix", "footer"};
  for (size_t i = 0; i < std::size(texts); ++i) {
    if (args.Has(texts[i].first)) {
      *texts[i].second = args.Get(texts[i].first);
      mask->add_paths(paths[i]);
    }
  }
  if (args.Has("seller-address")) {
    std::vector<std::string> p = absl::StrSplit(args.Get("seller-address"), '|');
    if (p.size() < 3) return Fail(absl::InvalidArgumentError("--seller-address LINE1|CITY|COUNTRY[|POSTAL]"));
    auto* a = in->mutable_seller()->mutable_address();
    a->set_line1(p[0]);
    a->set_city(p[1]);
    a->set_country_code(p[2]);
    if (p.size() > 3) a->set_postal_code(p[3]);
    mask->add_paths("seller.address");
  }
  if (args.Has("payment-terms-days")) {
    int days = 0;
    if (!absl::SimpleAtoi(args.Get("payment-terms-days"), &days)) {
      return Fail(absl::InvalidArgumentError("--payment-terms-days must be a number"));
    }
    in->set_payment_terms_days(days);
    mask->add_paths("payment_terms_days");
  }
  if (mask->paths().empty()) {
    return Fail(absl::InvalidArgumentError("settings set: give at least one setting to change"));
  }
  grpc::Status s = stub.UpdateSettings(Context(g).get(), req, &settings);
  if (!s.ok()) return Fail(s);
  PrintJson(settings);
  return 0;
}

}  // namespace

int InvoiceCommand(const Global& g, const std::vector<std::string>& argv) {
  auto parsed = Args::Parse(argv, {"all", "help"});
  if (!parsed.ok()) return Fail(parsed.status());
  const Args& args = *parsed;
  const std::string cmd = args.Positional(0);
  if (cmd.empty() || cmd == "help" || args.Has("help")) {
    std::fputs(kInvoiceHelp, stdout);
    return cmd.empty() && !args.Has("help") ? 2 : 0;
  }
  auto stub = Stub(args);
  if (cmd == "list") {
    v1::ListInvoicesRequest req;
    if (absl::Status s = FillFilter(args, req.mutable_filter()); !s.ok()) return Fail(s);
    if (args.Has("page-size")) {
      int n = 0;
      if (!absl::SimpleAtoi(args.Get("page-size"), &n)) return Fail(absl::InvalidArgumentError("--page-size"));
      req.set_page_size(n);
    }
    req.set_page_token(args.Get("page-token"));
    v1::ListInvoicesResponse all;
    do {
      v1::ListInvoicesResponse page;
      grpc::Status s = stub->ListInvoices(Context(g).get(), req, &page);
      if (!s.ok()) return Fail(s);
      for (const auto& inv : page.invoices()) *all.add_invoices() = inv;
      *all.mutable_totals() = page.totals();
      all.set_next_page_token(page.next_page_token());
      req.set_page_token(page.next_page_token());
    } while (args.Has("all") && !req.page_token().empty());
    if (g.json) return PrintJson(all), 0;
    for (const auto& inv : all.invoices()) PrintLine(inv);
    for (const auto& t : all.totals()) {
      std::printf("total %s: %lld document(s), net %s, tax %s, total %s\n", t.currency_code().c_str(),
                  static_cast<long long>(t.count()), Money(t.net_total()).c_str(),
                  Money(t.tax_total()).c_str(), Money(t.total()).c_str());
    }
    if (!all.next_page_token().empty()) {
      std::printf("(more: --page-token %s, or --all)\n", all.next_page_token().c_str());
    }
    return 0;
  }
  if (cmd == "settings") return Settings(g, args, *stub);
  if (cmd == "export") {
    v1::ExportInvoicesRequest req;
    if (absl::Status s = FillFilter(args, req.mutable_filter()); !s.ok()) return Fail(s);
    auto ctx = Context(g, 600);
    auto reader = stub->ExportInvoices(ctx.get(), req);
    return Download<v1::DocumentChunk>(reader, args.Get("output", "-"));
  }
  v1::Invoice inv;
  if (cmd == "issue") {
    v1::IssueInvoiceRequest req;
    req.set_order_id(args.Get("order"));
    grpc::Status s = stub->IssueInvoice(Context(g).get(), req, &inv);
    if (!s.ok()) return Fail(s);
    PrintInvoice(g, inv);
    return 0;
  }
  const std::string id = args.Positional(1);
  if (id.empty()) {
    std::fprintf(stderr, "error: storectl invoice %s needs an invoice ID\n", cmd.c_str());
    return 2;
  }
  if (cmd == "get") {
    v1::GetInvoiceRequest req;
    req.set_id(id);
    grpc::Status s = stub->GetInvoice(Context(g).get(), req, &inv);
    if (!s.ok()) return Fail(s);
    PrintInvoice(g, inv);
    return 0;
  }
  if (cmd == "cancel") {
    v1::CancelInvoiceRequest req;
    req.set_id(id);
    req.set_reason(args.Get("reason"));
    grpc::Status s = stub->CancelInvoice(Context(g).get(), req, &inv);
    if (!s.ok()) return Fail(s);
    PrintInvoice(g, inv);
    return 0;
  }
  if (cmd == "render") {
    v1::RenderInvoiceRequest req;
    req.set_id(id);
    const std::string format = args.Get("format", "pdf");
    if (format != "pdf" && format != "html") return Fail(absl::InvalidArgumentError("--format pdf|html"));
    req.set_format(format == "html" ? v1::DOCUMENT_FORMAT_HTML : v1::DOCUMENT_FORMAT_PDF);
    if (!args.Has("output")) return Fail(absl::InvalidArgumentError("render needs --output FILE (or -)"));
    auto ctx = Context(g, 60);
    auto reader = stub->RenderInvoice(ctx.get(), req);
    return Download<v1::DocumentChunk>(reader, args.Get("output"));
  }
  std::fprintf(stderr, "error: unknown command 'invoice %s' (see storectl invoice --help)\n", cmd.c_str());
  return 2;
}

}  // namespace store::cli
