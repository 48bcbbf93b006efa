// `storectl customer ...`: customers, their addresses, notes and consents,
// groups, custom fields, segments, wallet, blacklist, CSV import and export,
// privacy export and erasure, settings (store.customer.v1.CustomerService).
#include "tools/storectl/customer_commands.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/csv.h"
#include "libs/core/ids.h"
#include "libs/core/money.h"
#include "libs/grpcx/server.h"
#include "libs/grpcx/status.h"
#include "store/customer/v1/customer_service.grpc.pb.h"

namespace store::cli {
namespace {

namespace v1 = store::customer::v1;
using google::protobuf::Timestamp;
using google::protobuf::util::TimeUtil;

constexpr char kCustomerHelp[] =
    R"(storectl customer: customers and what belongs to them (store.customer.v1.CustomerService)

usage: storectl [--json] customer COMMAND [ARGS] [--customer-addr HOST:PORT]

customers:
  create    --email E --name N [--phone P] [--country CC] [--group GROUP] [--tax-exempt]
            [--blocked] [--accepts-marketing] [--password-stdin] [--send-welcome]
            [--field KEY=VALUE]... [--address "NAME|LINE1|CITY|COUNTRY[|POSTAL]"]...
            [--request-id UUID]
  get       ID
  list      [--text T] [--group GROUP] [--country CC] [--accepts-marketing true|false]
            [--guest true|false] [--blocked true|false] [--tax-exempt true|false]
            [--state pending_approval|active|inactive] [--segment SEGMENT]
            [--min-orders N] [--max-orders N] [--min-spent MINOR] [--max-spent MINOR]
            [--created-from RFC3339] [--created-to RFC3339]
            [--last-order-from RFC3339] [--last-order-to RFC3339]
            [--sort created|name|spent|orders|last-order] [--asc | --desc]
            [--page-size N] [--page-token T] [--all]
  update    ID [--email E] [--name N] [--phone P] [--country CC] [--group GROUP]
            [--blocked true|false] [--tax-exempt true|false]
            [--state active|inactive] [--field KEY=VALUE]... [--field KEY=]
            [--expected-version N]              changes only the fields given
  delete    ID...
  approve   ID
  address   add ID --line1 L [--line2 L] [--name N] [--company C] --city C [--region R]
            --postal-code P --country CC [--phone P] [--default-shipping] [--default-billing]
  address   delete ID ADDRESS_ID
  note      add ID TEXT
  notes     ID
  consent   ID --channel email|sms (--grant | --withdraw) [--source S] [--level single|confirmed]
            [--wording-version V] [--ip IP]
  consents  ID

groups, custom fields, segments:
  group     create NAME [--discount-bp N] | list | assign GROUP CUSTOMER_ID...
            | update GROUP [--name N] [--discount-bp N] | delete GROUP
  field     define KEY --type text|number|date|choice [--choices a,b] [--label L]
            [--max-length N] | list | delete KEY
  segment   create NAME --rule RULE [--description D] | list | get SEGMENT
            | update SEGMENT [--name N] [--rule RULE] [--description D] | delete SEGMENT
            | count (--rule RULE | SEGMENT)
            | members SEGMENT [--page-size N] [--page-token T] [--all]

wallet and blacklist:
  wallet    ID [--page-size N] [--page-token T]     balance and entries, newest first
  wallet    credit ID --amount MINOR [--currency CUR] --reason R
            [--expires RFC3339 | --expires-in 30d] [--key K] [--notify]
  wallet    debit ID --amount MINOR [--currency CUR] --reason R --key K [--notify]
  blacklist add [--phone P] [--email E] --reason R | list [--text T] [--all] | remove ID

import, export, privacy, settings:
  import    FILE [--no-update] [--report REPORT.csv]
            CSV (name,email,password + optional phone,country,group,tax_exempt,
            accepts_marketing; FILE - is stdin) streamed in 64 KiB chunks; prints a summary
            and the rejected rows; --report writes every row's result as CSV
  export    [list filters] [--output FILE]        CSV of the filtered customers (to stdout)
  privacy   export ID                             everything held about a customer (JSON)
  privacy   erase ID --reason R                   anonymise everywhere; prints the record
  erasure   get ERASURE_ID                        proof of erasure, each service's step
  settings  [get] | set [--require-approval true|false] [--default-group GROUP]

`blacklist`, `privacy` and `erasure` also work without `customer` (storectl blacklist list).
GROUP and SEGMENT are an id or a name. Amounts are integer minor units (5000 = 50.00 USD);
--currency defaults to STORE_CURRENCY, else USD. Range bounds (--min-/--max-) are inclusive.
Switches take an optional true|false (--blocked false). The address comes from
--customer-addr (or --addr), else CUSTOMER_SERVICE_ADDR (environment or .dev/env).
--json prints proto3 JSON.
)";

// Switches: "--x" alone is true; "--x true|false" and "--x=false" also work.
// clang-format off
const std::vector<std::string> kSwitches = {
    "help", "all", "asc", "desc", "password-stdin", "accepts-marketing", "guest", "blocked",
    "tax-exempt", "grant", "withdraw", "default-shipping", "default-billing", "send-welcome",
    "notify", "no-update", "require-approval"};
// clang-format on

const std::vector<std::string> kKnownFlags = {
    // switches
    "help", "all", "asc", "desc", "password-stdin", "accepts-marketing", "guest", "blocked",
    "tax-exempt", "grant", "withdraw", "default-shipping", "default-billing", "send-welcome",
    "notify", "no-update", "require-approval",
    // values
    "addr", "customer-addr", "email", "name", "phone", "country", "group", "field", "address",
    "request-id", "text", "state", "segment", "min-orders", "max-orders", "min-spent", "max-spent",
    "created-from", "created-to", "last-order-from", "last-order-to", "sort", "page-size",
    "page-token", "expected-version", "line1", "line2", "company", "city", "region", "postal-code",
    "vat-id", "channel", "source", "level", "wording-version", "ip", "discount-bp", "type",
    "choices", "label", "max-length", "rule", "description", "amount", "currency", "reason",
    "expires", "expires-in", "key", "report", "output", "default-group"};

// Joins "--switch true|false" into "--switch=true|false" so the value is not
// taken for a positional argument.
std::vector<std::string> JoinSwitchValues(const std::vector<std::string>& argv) {
  std::vector<std::string> out;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    bool is_switch = false;
    for (const auto& s : kSwitches) is_switch = is_switch || a == "--" + s;
    if (is_switch && i + 1 < argv.size() && (argv[i + 1] == "true" || argv[i + 1] == "false")) {
      out.push_back(absl::StrCat(a, "=", argv[++i]));
    } else {
      out.push_back(a);
    }
  }
  return out;
}

absl::StatusOr<bool> Switch(const Args& args, const std::string& flag) {
  const std::string v = absl::AsciiStrToLower(args.Get(flag, "true"));
  if (v == "true" || v == "yes" || v == "1") return true;
  if (v == "false" || v == "no" || v == "0") return false;
  return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be true or false"));
}

absl::StatusOr<int64_t> Int(const Args& args, const std::string& flag) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(args.Get(flag), &v)) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be an integer"));
  }
  return v;
}

absl::Status ParseTime(const Args& args, const std::string& flag, Timestamp* out) {
  if (!TimeUtil::FromString(args.Get(flag), out)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " must be RFC 3339, e.g. 2026-01-31T00:00:00Z"));
  }
  return absl::OkStatus();
}

// "30d", "12h", "2w", "90m", "45s".
absl::StatusOr<absl::Duration> ParseSpan(absl::string_view text) {
  int64_t n = 0;
  if (text.size() >= 2 && absl::SimpleAtoi(text.substr(0, text.size() - 1), &n) && n > 0) {
    switch (text.back()) {
      case 's':
        return absl::Seconds(n);
      case 'm':
        return absl::Minutes(n);
      case 'h':
        return absl::Hours(n);
      case 'd':
        return absl::Hours(24 * n);
      case 'w':
        return absl::Hours(24 * 7 * n);
      default:
        break;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", text, "' is not a duration like 30d, 12h, 2w, 90m or 45s"));
}

absl::Status ParseAddress(const std::string& spec, common::v1::Address* a) {
  std::vector<std::string> p = absl::StrSplit(spec, '|');
  if (p.size() < 4 || p.size() > 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("--address '", spec, "': expected NAME|LINE1|CITY|COUNTRY[|POSTAL]"));
  }
  a->set_name(p[0]);
  a->set_line1(p[1]);
  a->set_city(p[2]);
  a->set_country_code(absl::AsciiStrToUpper(p[3]));
  if (p.size() == 5) a->set_postal_code(p[4]);
  return absl::OkStatus();
}

// --field KEY=VALUE into `fields`; "KEY=" sends an empty value, which unsets
// the field (UpdateCustomer merges custom_fields key by key).
absl::Status ApplyFields(const Args& args,
                         google::protobuf::Map<std::string, std::string>* fields) {
  for (const auto& spec : args.GetAll("field")) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--field '", spec, "': expected KEY=VALUE (KEY= removes the value)"));
    }
    (*fields)[spec.substr(0, eq)] = spec.substr(eq + 1);
  }
  return absl::OkStatus();
}

// Reads a password from stdin (one line; without echo on a terminal).
absl::StatusOr<std::string> ReadPassword() {
  const bool tty = isatty(STDIN_FILENO) != 0;
  termios saved{};
  if (tty) {
    std::fputs("password: ", stderr);
    std::fflush(stderr);
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::fputs("\n", stderr);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return absl::InvalidArgumentError("--password-stdin: no password on stdin");
  return line;
}

std::string Percent(int bp) { return absl::StrFormat("%d.%02d%%", bp / 100, bp % 100); }

// --state: pending_approval (or pending), active, inactive.
bool ParseState(std::string name, v1::AccountState* out) {
  if (name == "pending") name = "pending_approval";
  return v1::AccountState_Parse(absl::StrCat("ACCOUNT_STATE_", absl::AsciiStrToUpper(name)), out) &&
         *out != v1::ACCOUNT_STATE_UNSPECIFIED;
}

template <typename Enum>
bool ParseEnum(absl::string_view prefix, const std::string& name,
               bool (*parse)(const std::string&, Enum*), Enum* out) {
  return parse(absl::StrCat(prefix, absl::AsciiStrToUpper(name)), out) &&
         static_cast<int>(*out) != 0;
}

// One command invocation: its options and the stub.
struct Env {
  const Global& g;
  const Args& args;
  v1::CustomerService::Stub& stub;
  std::unique_ptr<grpc::ClientContext> Ctx(int timeout_seconds = 30) const {
    return Context(g, timeout_seconds);
  }
  std::string P(size_t i) const { return args.Positional(i); }
};

// Group names by id (empty when they cannot be listed).
std::map<std::string, std::string> GroupNames(const Env& e) {
  std::map<std::string, std::string> names;
  v1::ListGroupsResponse resp;
  if (e.stub.ListGroups(e.Ctx().get(), {}, &resp).ok()) {
    for (const auto& gr : resp.groups()) names[gr.id()] = gr.name();
  }
  return names;
}

// A group given by id or by name (case-insensitive); "" stays "" (the default).
absl::StatusOr<std::string> ResolveGroup(const Env& e, const std::string& ref) {
  if (ref.empty() || IsUuid(ref)) return ref;
  v1::ListGroupsResponse resp;
  grpc::Status s = e.stub.ListGroups(e.Ctx().get(), {}, &resp);
  if (!s.ok()) return grpcx::FromGrpcStatus(s);
  for (const auto& gr : resp.groups()) {
    if (absl::EqualsIgnoreCase(gr.name(), ref)) return gr.id();
  }
  return absl::NotFoundError(absl::StrCat("no customer group named '", ref, "' (group list)"));
}

absl::StatusOr<std::string> ResolveSegment(const Env& e, const std::string& ref) {
  if (ref.empty()) return absl::InvalidArgumentError("a segment id or name is required");
  if (IsUuid(ref)) return ref;
  v1::ListSegmentsResponse resp;
  grpc::Status s = e.stub.ListSegments(e.Ctx().get(), {}, &resp);
  if (!s.ok()) return grpcx::FromGrpcStatus(s);
  for (const auto& seg : resp.segments()) {
    if (absl::EqualsIgnoreCase(seg.name(), ref)) return seg.id();
  }
  return absl::NotFoundError(absl::StrCat("no segment named '", ref, "' (segment list)"));
}

// ---- printing --------------------------------------------------------------

std::string Flags(const v1::Customer& c) {
  std::vector<std::string> f;
  f.push_back(c.guest() ? "guest" : "registered");
  if (c.state() == v1::ACCOUNT_STATE_PENDING_APPROVAL) f.push_back("pending");
  if (c.state() == v1::ACCOUNT_STATE_INACTIVE) f.push_back("inactive");
  if (c.blocked()) f.push_back("blocked");
  if (c.tax_exempt()) f.push_back("tax-exempt");
  if (c.email_marketing().granted()) f.push_back("email-marketing");
  if (c.sms_marketing().granted()) f.push_back("sms-marketing");
  return absl::StrJoin(f, ",");
}

void PrintCustomerLine(const v1::Customer& c, const std::map<std::string, std::string>& groups) {
  auto group = groups.find(c.group_id());
  std::printf("%-36s  %-24s %-32s %-10s %4lld %14s  %s\n", c.id().c_str(), c.name().c_str(),
              c.email().c_str(),
              group != groups.end()
                  ? group->second.c_str()
                  : (c.group_id().empty() ? "-" : c.group_id().substr(0, 8).c_str()),
              static_cast<long long>(c.facts().orders_count()),
              Money(c.facts().total_spent()).c_str(), Flags(c).c_str());
}

std::string ConsentText(const v1::ConsentState& s) {
  if (s.update_time().seconds() == 0) return "-";
  return absl::StrCat(s.granted() ? "granted" : "withdrawn",
                      s.granted() ? absl::StrCat(" (", Label(s.level()), ")") : "", ", source ",
                      s.source(), ", ", Time(s.update_time()));
}

std::string AddressText(const common::v1::Address& a) {
  std::vector<std::string> parts;
  for (const std::string* p : {&a.name(), &a.company(), &a.line1(), &a.line2(), &a.city(),
                               &a.region(), &a.postal_code(), &a.country_code(), &a.phone()}) {
    if (!p->empty()) parts.push_back(*p);
  }
  return absl::StrJoin(parts, ", ");
}

void PrintCustomer(const Env& e, const v1::Customer& c) {
  if (e.g.json) return PrintJson(c);
  const auto groups = GroupNames(e);
  auto group = groups.find(c.group_id());
  std::printf("customer %s <%s>  (id %s, version %lld)\n", c.name().c_str(), c.email().c_str(),
              c.id().c_str(), static_cast<long long>(c.version()));
  std::printf("  %s, state %s%s%s\n", Flags(c).c_str(), Label(c.state()).c_str(),
              c.has_account() ? ", can sign in" : "", c.email_verified() ? ", email verified" : "");
  std::printf("  phone %s  country %s  group %s\n", c.phone().empty() ? "-" : c.phone().c_str(),
              c.country_code().empty() ? "-" : c.country_code().c_str(),
              group != groups.end() ? group->second.c_str()
                                    : (c.group_id().empty() ? "-" : c.group_id().c_str()));
  std::printf("  orders %lld  spent %s  first %s  last %s\n",
              static_cast<long long>(c.facts().orders_count()),
              Money(c.facts().total_spent()).c_str(), Time(c.facts().first_order_time()).c_str(),
              Time(c.facts().last_order_time()).c_str());
  std::printf("  wallet %s\n", Money(c.wallet_balance()).c_str());
  std::printf("  email marketing %s\n", ConsentText(c.email_marketing()).c_str());
  std::printf("  sms marketing   %s\n", ConsentText(c.sms_marketing()).c_str());
  if (!c.custom_fields().empty()) {
    std::map<std::string, std::string> sorted(c.custom_fields().begin(), c.custom_fields().end());
    std::printf("  custom %s\n", absl::StrJoin(sorted, "  ", absl::PairFormatter("=")).c_str());
  }
  for (const auto& a : c.addresses()) {
    std::printf("  address %s  %s%s%s\n", a.id().c_str(), AddressText(a.address()).c_str(),
                a.default_shipping() ? "  [default shipping]" : "",
                a.default_billing() ? "  [default billing]" : "");
  }
  std::printf("  created %s  updated %s\n", Time(c.create_time()).c_str(),
              Time(c.update_time()).c_str());
}

void PrintSegmentLine(const v1::Segment& s) {
  std::printf("%-36s  %-24s %6lld  %s\n", s.id().c_str(), s.name().c_str(),
              static_cast<long long>(s.member_count()), s.rule().c_str());
}

void PrintWalletEntry(const v1::WalletEntry& w) {
  std::printf(
      "%s  %-8s %14s  balance %14s  %-18s %s%s%s\n", Time(w.create_time()).c_str(),
      Label(w.kind()).c_str(), Money(w.amount()).c_str(), Money(w.balance_after()).c_str(),
      w.actor().c_str(), w.reason().c_str(),
      w.has_expire_time() ? absl::StrCat("  (expires ", Time(w.expire_time()), ")").c_str() : "",
      w.idempotency_key().empty() ? "" : ("  key " + w.idempotency_key()).c_str());
}

void PrintBlacklistEntry(const v1::BlacklistEntry& b) {
  std::printf("%-36s  %-16s %-28s %-14s %s  %s\n", b.id().c_str(),
              b.phone().empty() ? "-" : b.phone().c_str(),
              b.email().empty() ? "-" : b.email().c_str(), b.created_by().c_str(),
              Time(b.create_time()).c_str(), b.reason().c_str());
}

void PrintConsentRecord(const v1::ConsentRecord& r) {
  std::printf("%s  %-5s %-9s %-16s %-12s %-18s %s%s\n", Time(r.create_time()).c_str(),
              Label(r.channel()).c_str(), r.granted() ? "granted" : "withdrawn",
              r.granted() ? Label(r.level()).c_str() : "-", r.source().c_str(), r.actor().c_str(),
              r.wording_version().c_str(), r.ip().empty() ? "" : ("  ip " + r.ip()).c_str());
}

void PrintErasure(const Env& e, const v1::ErasureRecord& r) {
  if (e.g.json) return PrintJson(r);
  std::printf("erasure %s of customer %s\n", r.id().c_str(), r.customer_id().c_str());
  std::printf("  requested %s by %s: %s\n", Time(r.request_time()).c_str(),
              r.requested_by().c_str(), r.reason().c_str());
  std::printf("  email sha256 %s\n  phone sha256 %s\n",
              r.email_sha256().empty() ? "-" : r.email_sha256().c_str(),
              r.phone_sha256().empty() ? "-" : r.phone_sha256().c_str());
  if (r.steps().empty()) std::printf("  no step reported yet\n");
  for (const auto& s : r.steps()) {
    std::printf("  step %-18s %s  %lld record(s)  %s\n", s.service().c_str(),
                Time(s.complete_time()).c_str(), static_cast<long long>(s.records()),
                s.summary().c_str());
  }
}

// ---- customers ---------------------------------------------------------------

int Create(const Env& e) {
  const Args& a = e.args;
  v1::CreateCustomerRequest req;
  req.set_request_id(a.Get("request-id", NewUuid()));
  v1::Customer* c = req.mutable_customer();
  c->set_email(a.Get("email"));
  c->set_name(a.Get("name"));
  c->set_phone(a.Get("phone"));
  c->set_country_code(absl::AsciiStrToUpper(a.Get("country")));
  if (a.Has("group")) {
    auto id = ResolveGroup(e, a.Get("group"));
    if (!id.ok()) return Fail(id.status());
    c->set_group_id(*id);
  }
  for (const auto& [flag, setter] : {std::pair<const char*, void (v1::Customer::*)(bool)>{
                                         "tax-exempt", &v1::Customer::set_tax_exempt},
                                     {"blocked", &v1::Customer::set_blocked}}) {
    if (!a.Has(flag)) continue;
    auto v = Switch(a, flag);
    if (!v.ok()) return Fail(v.status());
    (c->*setter)(*v);
  }
  if (absl::Status s = ApplyFields(a, c->mutable_custom_fields()); !s.ok()) return Fail(s);
  for (const auto& spec : a.GetAll("address")) {
    if (absl::Status s = ParseAddress(spec, req.add_addresses()); !s.ok()) return Fail(s);
  }
  for (const auto& [flag, setter] :
       {std::pair<const char*, void (v1::CreateCustomerRequest::*)(bool)>{
            "accepts-marketing", &v1::CreateCustomerRequest::set_accepts_marketing},
        {"send-welcome", &v1::CreateCustomerRequest::set_send_welcome}}) {
    if (!a.Has(flag)) continue;
    auto v = Switch(a, flag);
    if (!v.ok()) return Fail(v.status());
    (req.*setter)(*v);
  }
  if (a.Has("password-stdin")) {
    auto pw = ReadPassword();
    if (!pw.ok()) return Fail(pw.status());
    req.set_password(*pw);
  }
  v1::Customer out;
  grpc::Status s = e.stub.CreateCustomer(e.Ctx().get(), req, &out);
  if (!s.ok()) return Fail(s);
  PrintCustomer(e, out);
  return 0;
}

absl::Status FillFilter(const Env& e, v1::CustomerFilter* f) {
  const Args& a = e.args;
  f->set_text(a.Get("text"));
  f->set_country_code(absl::AsciiStrToUpper(a.Get("country")));
  if (a.Has("group")) {
    auto id = ResolveGroup(e, a.Get("group"));
    if (!id.ok()) return id.status();
    f->set_group_id(*id);
  }
  if (a.Has("segment")) {
    auto id = ResolveSegment(e, a.Get("segment"));
    if (!id.ok()) return id.status();
    f->set_segment_id(*id);
  }
  for (const auto& [flag, setter] :
       {std::pair<const char*, void (v1::CustomerFilter::*)(bool)>{
            "accepts-marketing", &v1::CustomerFilter::set_accepts_marketing},
        {"guest", &v1::CustomerFilter::set_guest},
        {"blocked", &v1::CustomerFilter::set_blocked},
        {"tax-exempt", &v1::CustomerFilter::set_tax_exempt}}) {
    if (!a.Has(flag)) continue;
    auto v = Switch(a, flag);
    if (!v.ok()) return v.status();
    (f->*setter)(*v);
  }
  if (a.Has("state")) {
    v1::AccountState st;
    if (!ParseState(a.Get("state"), &st)) {
      return absl::InvalidArgumentError("--state must be pending_approval, active or inactive");
    }
    f->set_state(st);
  }
  // The filter's ranges are [min, max); the flags' bounds are inclusive.
  if (a.Has("min-orders")) {
    auto v = Int(a, "min-orders");
    if (!v.ok()) return v.status();
    f->set_orders_count_min(*v);
  }
  if (a.Has("max-orders")) {
    auto v = Int(a, "max-orders");
    if (!v.ok()) return v.status();
    f->set_orders_count_max(*v + 1);
  }
  if (a.Has("min-spent")) {
    auto v = Int(a, "min-spent");
    if (!v.ok()) return v.status();
    f->mutable_total_spent()->set_min_minor(*v);
  }
  if (a.Has("max-spent")) {
    auto v = Int(a, "max-spent");
    if (!v.ok()) return v.status();
    f->mutable_total_spent()->set_max_minor(*v + 1);
  }
  for (const auto& [flag, field] :
       {std::pair<const char*, Timestamp* (v1::CustomerFilter::*)()>{
            "created-from", &v1::CustomerFilter::mutable_create_time_from},
        {"created-to", &v1::CustomerFilter::mutable_create_time_to},
        {"last-order-from", &v1::CustomerFilter::mutable_last_order_time_from},
        {"last-order-to", &v1::CustomerFilter::mutable_last_order_time_to}}) {
    if (!a.Has(flag)) continue;
    if (absl::Status s = ParseTime(a, flag, (f->*field)()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// --page-size and --page-token into a list request.
template <typename Request>
absl::Status PageOptions(const Args& a, Request* req) {
  if (a.Has("page-size")) {
    auto v = Int(a, "page-size");
    if (!v.ok()) return v.status();
    req->set_page_size(static_cast<int32_t>(*v));
  }
  req->set_page_token(a.Get("page-token"));
  return absl::OkStatus();
}

// Fetches a page of customers (every page with --all) through `call` and
// prints them, or the JSON of the whole response.
template <typename Response, typename Request, typename Call>
int PrintCustomerPages(const Env& e, Request& req, const Call& call) {
  Response all;
  if (grpc::Status s = FetchPages(e.g, e.args.Has("all"), req, &all, call); !s.ok()) {
    return Fail(s);
  }
  if (e.g.json) return PrintJson(all), 0;
  const auto groups = GroupNames(e);
  for (const auto& c : all.customers()) PrintCustomerLine(c, groups);
  if (!all.next_page_token().empty()) {
    std::printf("(more: --page-token %s, or --all)\n", all.next_page_token().c_str());
  }
  return 0;
}

int List(const Env& e) {
  const Args& a = e.args;
  v1::ListCustomersRequest req;
  if (absl::Status s = FillFilter(e, req.mutable_filter()); !s.ok()) return Fail(s);
  if (a.Has("sort")) {
    const std::map<std::string, v1::CustomerSortField> kSorts = {
        {"created", v1::CUSTOMER_SORT_FIELD_CREATE_TIME},
        {"name", v1::CUSTOMER_SORT_FIELD_NAME},
        {"spent", v1::CUSTOMER_SORT_FIELD_TOTAL_SPENT},
        {"orders", v1::CUSTOMER_SORT_FIELD_ORDERS_COUNT},
        {"last-order", v1::CUSTOMER_SORT_FIELD_LAST_ORDER_TIME}};
    auto it = kSorts.find(a.Get("sort"));
    if (it == kSorts.end()) {
      return Fail(
          absl::InvalidArgumentError("--sort must be created, name, spent, orders or last-order"));
    }
    req.set_sort_field(it->second);
  }
  if (a.Has("desc")) req.set_sort_direction(common::v1::SORT_DIRECTION_DESC);
  if (a.Has("asc")) req.set_sort_direction(common::v1::SORT_DIRECTION_ASC);
  if (absl::Status s = PageOptions(a, &req); !s.ok()) {
    return Fail(s);
  }
  return PrintCustomerPages<v1::ListCustomersResponse>(
      e, req, [&](grpc::ClientContext* ctx, const auto& r, auto* out) {
        return e.stub.ListCustomers(ctx, r, out);
      });
}

int Update(const Env& e, const std::string& id) {
  const Args& a = e.args;
  v1::UpdateCustomerRequest req;
  v1::Customer* c = req.mutable_customer();
  c->set_id(id);
  auto* mask = req.mutable_update_mask();
  for (const auto& [flag, path, setter] :
       {std::tuple<const char*, const char*, void (v1::Customer::*)(const std::string&)>{
            "email", "email", &v1::Customer::set_email},
        {"name", "name", &v1::Customer::set_name},
        {"phone", "phone", &v1::Customer::set_phone}}) {
    if (!a.Has(flag)) continue;
    (c->*setter)(a.Get(flag));
    mask->add_paths(path);
  }
  if (a.Has("country")) {
    c->set_country_code(absl::AsciiStrToUpper(a.Get("country")));
    mask->add_paths("country_code");
  }
  if (a.Has("group")) {
    auto gid = ResolveGroup(e, a.Get("group"));
    if (!gid.ok()) return Fail(gid.status());
    c->set_group_id(*gid);
    mask->add_paths("group_id");
  }
  for (const auto& [flag, path, setter] :
       {std::tuple<const char*, const char*, void (v1::Customer::*)(bool)>{
            "blocked", "blocked", &v1::Customer::set_blocked},
        {"tax-exempt", "tax_exempt", &v1::Customer::set_tax_exempt}}) {
    if (!a.Has(flag)) continue;
    auto v = Switch(a, flag);
    if (!v.ok()) return Fail(v.status());
    (c->*setter)(*v);
    mask->add_paths(path);
  }
  if (a.Has("state")) {
    v1::AccountState st;
    if (!ParseState(a.Get("state"), &st)) {
      return Fail(
          absl::InvalidArgumentError("--state must be pending_approval, active or inactive"));
    }
    c->set_state(st);
    mask->add_paths("state");
  }
  if (a.Has("expected-version")) {
    auto v = Int(a, "expected-version");
    if (!v.ok()) return Fail(v.status());
    req.set_expected_version(*v);
  }
  if (a.Has("field")) {
    // Merged key by key; an empty value unsets that field.
    if (absl::Status st = ApplyFields(a, c->mutable_custom_fields()); !st.ok()) return Fail(st);
    mask->add_paths("custom_fields");
  }
  if (mask->paths().empty()) {
    return Fail(
        absl::InvalidArgumentError("update: give at least one field to change (see --help)"));
  }
  v1::Customer out;
  grpc::Status s = e.stub.UpdateCustomer(e.Ctx().get(), req, &out);
  if (!s.ok()) return Fail(s);
  PrintCustomer(e, out);
  return 0;
}

int Delete(const Env& e) {
  std::vector<std::string> ids(e.args.positionals().begin() + 1, e.args.positionals().end());
  if (ids.empty()) return Fail(absl::InvalidArgumentError("delete needs one or more customer IDs"));
  if (ids.size() == 1) {
    v1::DeleteCustomerRequest req;
    req.set_id(ids[0]);
    v1::DeleteCustomerResponse resp;
    grpc::Status s = e.stub.DeleteCustomer(e.Ctx().get(), req, &resp);
    if (!s.ok()) return Fail(s);
    if (e.g.json) return PrintJson(resp), 0;
    std::printf("deleted %s\n", ids[0].c_str());
    return 0;
  }
  v1::BatchDeleteCustomersRequest req;
  for (const auto& id : ids) req.add_ids(id);
  v1::BatchDeleteCustomersResponse resp;
  grpc::Status s = e.stub.BatchDeleteCustomers(e.Ctx().get(), req, &resp);
  if (!s.ok()) return Fail(s);
  if (e.g.json) {
    PrintJson(resp);
  } else {
    for (const auto& id : resp.deleted_ids()) std::printf("deleted %s\n", id.c_str());
    for (const auto& id : resp.not_found_ids()) std::printf("not found %s\n", id.c_str());
  }
  return resp.not_found_ids().empty() ? 0 : 1;
}

int Address(const Env& e) {
  const Args& a = e.args;
  const std::string sub = e.P(1);
  const std::string id = e.P(2);
  if (id.empty())
    return Fail(absl::InvalidArgumentError("address " + sub + " needs a customer ID"));
  if (sub == "add") {
    v1::AddAddressRequest req;
    req.set_customer_id(id);
    common::v1::Address* ad = req.mutable_address();
    for (const auto& [flag, setter] :
         {std::pair<const char*, void (common::v1::Address::*)(const std::string&)>{
              "name", &common::v1::Address::set_name},
          {"company", &common::v1::Address::set_company},
          {"line1", &common::v1::Address::set_line1},
          {"line2", &common::v1::Address::set_line2},
          {"city", &common::v1::Address::set_city},
          {"region", &common::v1::Address::set_region},
          {"postal-code", &common::v1::Address::set_postal_code},
          {"phone", &common::v1::Address::set_phone},
          {"vat-id", &common::v1::Address::set_vat_id}}) {
      (ad->*setter)(a.Get(flag));
    }
    ad->set_country_code(absl::AsciiStrToUpper(a.Get("country")));
    for (const auto& [flag, setter] :
         {std::pair<const char*, void (v1::AddAddressRequest::*)(bool)>{
              "default-shipping", &v1::AddAddressRequest::set_default_shipping},
          {"default-billing", &v1::AddAddressRequest::set_default_billing}}) {
      if (!a.Has(flag)) continue;
      auto v = Switch(a, flag);
      if (!v.ok()) return Fail(v.status());
      (req.*setter)(*v);
    }
    v1::CustomerAddress out;
    grpc::Status s = e.stub.AddAddress(e.Ctx().get(), req, &out);
    if (!s.ok()) return Fail(s);
    if (e.g.json) return PrintJson(out), 0;
    std::printf("address %s added: %s%s%s\n", out.id().c_str(), AddressText(out.address()).c_str(),
                out.default_shipping() ? "  [default shipping]" : "",
                out.default_billing() ? "  [default billing]" : "");
    return 0;
  }
  if (sub == "delete") {
    v1::DeleteAddressRequest req;
    req.set_customer_id(id);
    req.set_address_id(e.P(3));
    v1::DeleteAddressResponse resp;
    grpc::Status s = e.stub.DeleteAddress(e.Ctx().get(), req, &resp);
    if (!s.ok()) return Fail(s);
    if (e.g.json) return PrintJson(resp), 0;
    std::printf("address %s deleted\n", req.address_id().c_str());
    return 0;
  }
  return Fail(absl::InvalidArgumentError("address add|delete (see storectl customer --help)"));
}

int Notes(const Env& e, bool add) {
  const std::string id = add ? e.P(2) : e.P(1);
  if (add && e.P(1) != "add") {
    return Fail(absl::InvalidArgumentError("usage: storectl customer note add ID TEXT"));
  }
  if (id.empty()) return Fail(absl::InvalidArgumentError("a customer ID is required"));
  if (add) {
    v1::AddCustomerNoteRequest req;
    req.set_customer_id(id);
    std::vector<std::string> words(e.args.positionals().begin() + 3, e.args.positionals().end());
    req.set_body(absl::StrJoin(words, " "));
    v1::CustomerNote note;
    grpc::Status s = e.stub.AddCustomerNote(e.Ctx().get(), req, &note);
    if (!s.ok()) return Fail(s);
    if (e.g.json) return PrintJson(note), 0;
    std::printf("note %s added\n", note.id().c_str());
    return 0;
  }
  v1::ListCustomerNotesRequest req;
  req.set_customer_id(id);
  v1::ListCustomerNotesResponse resp;
  grpc::Status s = e.stub.ListCustomerNotes(e.Ctx().get(), req, &resp);
  if (!s.ok()) return Fail(s);
  if (e.g.json) return PrintJson(resp), 0;
  for (const auto& n : resp.notes()) {
    std::printf("%s  %-18s %s\n", Time(n.create_time()).c_str(), n.author().c_str(),
                n.body().c_str());
  }
  return 0;
}

int Consent(const Env& e) {
  const Args& a = e.args;
  v1::SetConsentRequest req;
  req.set_customer_id(e.P(1));
  v1::ConsentChannel channel;
  if (!ParseEnum<v1::ConsentChannel>("CONSENT_CHANNEL_", a.Get("channel"), v1::ConsentChannel_Parse,
                                     &channel)) {
    return Fail(absl::InvalidArgumentError("--channel must be email or sms"));
  }
  req.set_channel(channel);
  if (a.Has("grant") == a.Has("withdraw")) {
    return Fail(absl::InvalidArgumentError("consent: give one of --grant and --withdraw"));
  }
  req.set_granted(a.Has("grant"));
  if (a.Has("level")) {
    const std::string level = a.Get("level");
    if (level == "single" || level == "single_opt_in") {
      req.set_level(v1::CONSENT_LEVEL_SINGLE_OPT_IN);
    } else if (level == "confirmed" || level == "confirmed_opt_in") {
      req.set_level(v1::CONSENT_LEVEL_CONFIRMED_OPT_IN);
    } else {
      return Fail(absl::InvalidArgumentError("--level must be single or confirmed"));
    }
  }
  req.set_source(a.Get("source", "admin"));
  req.set_wording_version(a.Get("wording-version"));
  req.set_ip(a.Get("ip"));
  v1::ConsentRecord out;
  grpc::Status s = e.stub.SetConsent(e.Ctx().get(), req, &out);
  if (!s.ok()) return Fail(s);
  if (e.g.json) return PrintJson(out), 0;
  PrintConsentRecord(out);
  return 0;
}

int Consents(const Env& e) {
  v1::ListConsentsRequest req;
  req.set_customer_id(e.P(1));
  v1::ListConsentsResponse resp;
  grpc::Status s = e.stub.ListConsents(e.Ctx().get(), req, &resp);
  if (!s.ok()) return Fail(s);
  if (e.g.json) return PrintJson(resp), 0;
  for (const auto& r : resp.records()) PrintConsentRecord(r);
  return 0;
}

// ---- groups, custom fields, segments ----------------------------------------

absl::Status DiscountBp(const Args& a, v1::CustomerGroup* gr) {
  if (!a.Has("discount-bp")) return absl::OkStatus();
  auto v = Int(a, "discount-bp");
  if (!v.ok()) return v.status();
  gr->set_discount_bp(static_cast<int32_t>(*v));
  return absl::OkStatus();
}

int Group(const Env& e) {
  const Args& a = e.args;
  const std::string sub = e.P(1);
  if (sub == "list") {
    v1::ListGroupsResponse resp;
    grpc::Status s = e.stub.ListGroups(e.Ctx().get(), {}, &resp);
    if (!s.ok()) return Fail(s);
    if (e.g.json) return PrintJson(resp), 0;
    for (const auto& gr : resp.groups()) {
      std::printf("%-36s  %-24s discount %7s  %6lld member(s)%s\n", gr.id().c_str(),
                  gr.name().c_str(), Percent(gr.discount_bp()).c_str(),
                  static_cast<long long>(gr.member_count()), gr.built_in() ? "  (built-in)" : "");
    }
    return 0;
  }
  if (sub == "create") {
    v1::CreateGroupRequest req;
    req.set_name(e.P(2));
    v1::CustomerGroup gr;
    if (absl::Status st = DiscountBp(a, &gr); !st.ok()) return Fail(st);
    req.set_discount_bp(gr.discount_bp());
    grpc::Status s = e.stub.CreateGroup(e.Ctx().get(), req, &gr);
    if (!s.ok()) return Fail(s);
    if (e.g.json) return PrintJson(gr), 0;
    std::printf("group %s created: %s, discount %s\n", gr.id().c_str(), gr.name().c_str(),
                Percent(gr.discount_bp()).c_str());
    return 0;
  }
  if (sub != "assign" && sub != "update" && sub != "delete") {
    return Fail(absl::InvalidArgumentError(
        "group create|list|assign|update|delete (see storectl customer --help)"));
  }
  if (e.P(2).empty()) return Fail(absl::InvalidArgumentError("group " + sub + " needs a GROUP"));
  auto group_id = ResolveGroup(e, e.P(2));
  if (!group_id.ok()) return Fail(group_id.status());
  if (sub == "assign") {
    v1::AssignGroupRequest req;
    req.set_group_id(*group_id);
    for (size_t i = 3; i < a.positionals().size(); ++i) req.add_customer_ids(a.Positional(i));
    v1::AssignGroupResponse resp;
    grpc::Status s = e.stub.AssignGroup(e.Ctx().get(), req, &resp);
    if (!s.ok()) return Fail(s);
    if (e.g.json) return PrintJson(resp), 0;
    std::printf("%lld customer(s) assigned\n", static_cast<long long>(resp.assigned()));
    for (const auto& id : resp.not_found_ids()) std::printf("not found %s\n", id.c_str());
    return resp.not_found_ids().empty() ? 0 : 1;
  }
  if (sub == "delete") {
    v1::DeleteGroupRequest req;
    req.set_id(*group_id);
    v1::DeleteGroupResponse resp;
    grpc::Status s = e.stub.DeleteGroup(e.Ctx().get(), req, &resp);
    if (!s.ok()) return Fail(s);
    if (e.g.json) return PrintJson(resp), 0;
    std::printf("group %s deleted; its members are in the Default group now\n", group_id->c_str());
    return 0;
  }
  // update: name and discount are replaced together, so start from the stored group.
  v1::ListGroupsResponse groups;
  grpc::Status s = e.stub.ListGroups(e.Ctx().get(), {}, &groups);
  if (!s.ok()) return Fail(s);
  v1::UpdateGroupRequest req;
  for (const auto& gr : groups.groups()) {
    if (gr.id() == *group_id) *req.mutable_group() = gr;
  }
  if (req.group().id().empty()) {
    return Fail(absl::NotFoundError(absl::StrCat("no customer group ", *group_id)));
  }
  if (a.Has("name")) req.mutable_group()->set_name(a.Get("name"));
  if (absl::Status st = DiscountBp(a, req.mutable_group()); !st.ok()) return Fail(st);
  v1::CustomerGroup out;
  s = e.stub.UpdateGroup(e.Ctx().get(), req, &out);
  if (!s.ok()) return Fail(s);
  if (e.g.json) return PrintJson(out), 0;
  std::printf("group %s: %s, discount %s\n", out.id().c_str(), out.name().c_str(),
              Percent(out.discount_bp()).c_str());
  return 0;
}

int Field(const Env& e) {
  const Args& a = e.args;
  const std::string sub = e.P(1);
  v1::ListCustomFieldsResponse fields;
  if (sub == "list" || sub == "define") {
    grpc::Status s = e.stub.ListCustomFields(e.Ctx().get(), {}, &fields);
    if (!s.ok()) return Fail(s);
  }
  if (sub == "list") {
    if (e.g.json) return PrintJson(fields), 0;
    for (const auto& f : fields.fields()) {
      std::printf("%-24s %-7s %-28s %s\n", f.key().c_str(), Label(f.type()).c_str(),
                  f.label().c_str(), absl::StrJoin(f.choices(), ",").c_str());
    }
    return 0;
  }
  const std::string key = e.P(2);
  if (key.empty() || (sub != "define" && sub != "delete")) {
    return Fail(absl::InvalidArgumentError("field define KEY ... | list | delete KEY"));
  }
  if (sub == "delete") {
    v1::DeleteCustomFieldRequest req;
    req.set_key(key);
    v1::DeleteCustomFieldResponse resp;
    grpc::Status s = e.stub.DeleteCustomField(e.Ctx().get(), req, &resp);
    if (!s.ok()) return Fail(s);
    if (e.g.json) return PrintJson(resp), 0;
    std::printf("custom field %s deleted\n", key.c_str());
    return 0;
  }
  // define: a redefinition replaces label, choices and max_length, so the
  // flags not given keep their stored values.
  v1::DefineCustomFieldRequest req;
  v1::CustomField* f = req.mutable_field();
  for (const auto& existing : fields.fields()) {
    if (existing.key() == key) *f = existing;
  }
  f->set_key(key);
  if (a.Has("type")) {
    v1::CustomFieldType type;
    if (!ParseEnum<v1::CustomFieldType>("CUSTOM_FIELD_TYPE_", a.Get("type"),
                                        v1::CustomFieldType_Parse, &type)) {
      return Fail(absl::InvalidArgumentError("--type must be text, number, date or choice"));
    }
    f->set_type(type);
  }
  if (f->type() == v1::CUSTOM_FIELD_TYPE_UNSPECIFIED) {
    return Fail(
        absl::InvalidArgumentError("field define: --type text|number|date|choice is required"));
  }
  if (a.Has("label")) f->set_label(a.Get("label"));
  if (a.Has("choices")) {
    f->clear_choices();
    for (absl::string_view c : absl::StrSplit(a.Get("choices"), ',', absl::SkipWhitespace())) {
      f->add_choices(std::string(absl::StripAsciiWhitespace(c)));
    }
  }
  if (a.Has("max-length")) {
    auto v = Int(a, "max-length");
    if (!v.ok()) return Fail(v.status());
    f->set_max_length(static_cast<int32_t>(*v));
  }
  v1::CustomField out;
  grpc::Status s = e.stub.DefineCustomField(e.Ctx().get(), req, &out);
  if (!s.ok()) return Fail(s);
  if (e.g.json) return PrintJson(out), 0;
  std::printf("custom field %s (%s) defined\n", out.key().c_str(), Label(out.type()).c_str());
  return 0;
}

int Segment(const Env& e) {
  const Args& a = e.args;
  const std::string sub = e.P(1);
  if (sub == "list") {
    v1::ListSegmentsResponse resp;
    grpc::Status s = e.stub.ListSegments(e.Ctx().get(), {}, &resp);
    if (!s.ok()) return Fail(s);
    if (e.g.json) return PrintJson(resp), 0;
    for (const auto& seg : resp.segments()) PrintSegmentLine(seg);
    return 0;
  }
  if (sub == "create") {
    v1::CreateSegmentRequest req;
    req.mutable_segment()->set_name(e.P(2));
    req.mutable_segment()->set_rule(a.Get("rule"));
    req.mutable_segment()->set_description(a.Get("description"));
    v1::Segment out;
    grpc::Status s = e.stub.CreateSegment(e.Ctx().get(), req, &out);
    if (!s.ok()) return Fail(s);
    if (e.g.json) return PrintJson(out), 0;
    PrintSegmentLine(out);
    return 0;
  }
  if (sub == "count") {
    v1::CountSegmentMembersRequest req;
    if (a.Has("rule")) {
      req.set_rule(a.Get("rule"));
    } else {
      auto id = ResolveSegment(e, e.P(2));
      if (!id.ok()) return Fail(id.status());
      req.set_segment_id(*id);
    }
    v1::CountSegmentMembersResponse resp;
    grpc::Status s = e.stub.CountSegmentMembers(e.Ctx().get(), req, &resp);
    if (!s.ok()) return Fail(s);
    if (e.g.json) return PrintJson(resp), 0;
    std::printf("%lld\n", static_cast<long long>(resp.count()));
    return 0;
  }
  if (sub != "get" && sub != "update" && sub != "delete" && sub != "members") {
    return Fail(absl::InvalidArgumentError(
        "segment create|list|get|update|delete|count|members (see storectl customer --help)"));
  }
  auto id = ResolveSegment(e, e.P(2));
  if (!id.ok()) return Fail(id.status());
  if (sub == "delete") {
    v1::DeleteSegmentRequest req;
    req.set_id(*id);
    v1::DeleteSegmentResponse resp;
    grpc::Status s = e.stub.DeleteSegment(e.Ctx().get(), req, &resp);
    if (!s.ok()) return Fail(s);
    if (e.g.json) return PrintJson(resp), 0;
    std::printf("segment %s deleted\n", id->c_str());
    return 0;
  }
  if (sub == "members") {
    v1::ListSegmentMembersRequest req;
    req.set_segment_id(*id);
    if (absl::Status st = PageOptions(a, &req); !st.ok()) {
      return Fail(st);
    }
    return PrintCustomerPages<v1::ListSegmentMembersResponse>(
        e, req, [&](grpc::ClientContext* ctx, const auto& r, auto* out) {
          return e.stub.ListSegmentMembers(ctx, r, out);
        });
  }
  v1::GetSegmentRequest get;
  get.set_id(*id);
  v1::Segment seg;
  grpc::Status s = e.stub.GetSegment(e.Ctx().get(), get, &seg);
  if (!s.ok()) return Fail(s);
  if (sub == "update") {
    // Name, description and rule are replaced together.
    v1::UpdateSegmentRequest req;
    *req.mutable_segment() = seg;
    if (a.Has("name")) req.mutable_segment()->set_name(a.Get("name"));
    if (a.Has("rule")) req.mutable_segment()->set_rule(a.Get("rule"));
    if (a.Has("description")) req.mutable_segment()->set_description(a.Get("description"));
    s = e.stub.UpdateSegment(e.Ctx().get(), req, &seg);
    if (!s.ok()) return Fail(s);
  }
  if (e.g.json) return PrintJson(seg), 0;
  std::printf("segment %s  (id %s)\n", seg.name().c_str(), seg.id().c_str());
  if (!seg.description().empty()) std::printf("  %s\n", seg.description().c_str());
  std::printf("  rule     %s\n", seg.rule().c_str());
  std::printf("  members  %lld (evaluated %s)\n", static_cast<long long>(seg.member_count()),
              Time(seg.evaluate_time()).c_str());
  std::printf("  created %s  updated %s\n", Time(seg.create_time()).c_str(),
              Time(seg.update_time()).c_str());
  return 0;
}

// ---- wallet, blacklist -------------------------------------------------------

absl::Status Amount(const Args& a, common::v1::Money* m) {
  auto v = Int(a, "amount");
  if (!v.ok()) return v.status();
  m->set_amount_minor(*v);
  std::string currency = a.Get("currency", Setting("STORE_CURRENCY"));
  m->set_currency_code(currency.empty() ? "USD" : absl::AsciiStrToUpper(currency));
  return absl::OkStatus();
}

int Wallet(const Env& e) {
  const Args& a = e.args;
  const std::string sub = e.P(1);
  if (sub.empty() || ((sub == "credit" || sub == "debit") && e.P(2).empty())) {
    return Fail(absl::InvalidArgumentError(
        "usage: storectl customer wallet ID | wallet credit ID ... | wallet debit ID ..."));
  }
  const bool notify = a.Has("notify") && Switch(a, "notify").value_or(false);
  v1::WalletEntry entry;
  grpc::Status s;
  if (sub == "credit") {
    v1::CreditWalletRequest req;
    req.set_customer_id(e.P(2));
    if (absl::Status st = Amount(a, req.mutable_amount()); !st.ok()) return Fail(st);
    req.set_reason(a.Get("reason"));
    if (a.Has("expires") && a.Has("expires-in")) {
      return Fail(absl::InvalidArgumentError("give --expires or --expires-in, not both"));
    }
    if (a.Has("expires")) {
      if (absl::Status st = ParseTime(a, "expires", req.mutable_expire_time()); !st.ok()) {
        return Fail(st);
      }
    }
    if (a.Has("expires-in")) {
      auto span = ParseSpan(a.Get("expires-in"));
      if (!span.ok()) return Fail(span.status());
      *req.mutable_expire_time() =
          TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(absl::Now() + *span));
    }
    req.set_idempotency_key(a.Get("key"));
    req.set_notify_customer(notify);
    s = e.stub.CreditWallet(e.Ctx().get(), req, &entry);
  } else if (sub == "debit") {
    v1::DebitWalletRequest req;
    req.set_customer_id(e.P(2));
    if (absl::Status st = Amount(a, req.mutable_amount()); !st.ok()) return Fail(st);
    req.set_reason(a.Get("reason"));
    req.set_idempotency_key(a.Get("key"));
    req.set_notify_customer(notify);
    s = e.stub.DebitWallet(e.Ctx().get(), req, &entry);
  } else {
    v1::GetWalletRequest req;
    req.set_customer_id(sub);
    if (absl::Status st = PageOptions(a, &req); !st.ok()) {
      return Fail(st);
    }
    v1::Wallet w;
    s = e.stub.GetWallet(e.Ctx().get(), req, &w);
    if (!s.ok()) return Fail(s);
    if (e.g.json) return PrintJson(w), 0;
    std::printf("balance %s\n", Money(w.balance()).c_str());
    for (const auto& en : w.entries()) PrintWalletEntry(en);
    if (!w.next_page_token().empty()) {
      std::printf("(more: --page-token %s)\n", w.next_page_token().c_str());
    }
    return 0;
  }
  if (!s.ok()) return Fail(s);
  if (e.g.json) return PrintJson(entry), 0;
  PrintWalletEntry(entry);
  return 0;
}

int Blacklist(const Env& e) {
  const Args& a = e.args;
  const std::string sub = e.P(1);
  if (sub == "add") {
    v1::AddBlacklistEntryRequest req;
    req.mutable_entry()->set_phone(a.Get("phone"));
    req.mutable_entry()->set_email(a.Get("email"));
    req.mutable_entry()->set_reason(a.Get("reason"));
    v1::BlacklistEntry out;
    grpc::Status s = e.stub.AddBlacklistEntry(e.Ctx().get(), req, &out);
    if (!s.ok()) return Fail(s);
    if (e.g.json) return PrintJson(out), 0;
    PrintBlacklistEntry(out);
    return 0;
  }
  if (sub == "list") {
    v1::ListBlacklistEntriesRequest req;
    req.set_text(a.Get("text"));
    if (absl::Status st = PageOptions(a, &req); !st.ok()) {
      return Fail(st);
    }
    v1::ListBlacklistEntriesResponse all;
    if (grpc::Status s = FetchPages(e.g, a.Has("all"), req, &all,
                                    [&](auto* ctx, const auto& r, auto* out) {
                                      return e.stub.ListBlacklistEntries(ctx, r, out);
                                    });
        !s.ok()) {
      return Fail(s);
    }
    if (e.g.json) return PrintJson(all), 0;
    for (const auto& b : all.entries()) PrintBlacklistEntry(b);
    if (!all.next_page_token().empty()) {
      std::printf("(more: --page-token %s, or --all)\n", all.next_page_token().c_str());
    }
    return 0;
  }
  if (sub == "remove") {
    v1::RemoveBlacklistEntryRequest req;
    req.set_id(e.P(2));
    v1::RemoveBlacklistEntryResponse resp;
    grpc::Status s = e.stub.RemoveBlacklistEntry(e.Ctx().get(), req, &resp);
    if (!s.ok()) return Fail(s);
    if (e.g.json) return PrintJson(resp), 0;
    std::printf("blacklist entry %s removed\n", req.id().c_str());
    return 0;
  }
  return Fail(
      absl::InvalidArgumentError("blacklist add|list|remove (see storectl customer --help)"));
}

// ---- import, export ----------------------------------------------------------

constexpr size_t kImportChunk = 64 * 1024;

std::string Outcome(v1::ImportOutcome o) { return Label(o); }

int Import(const Env& e) {
  const Args& a = e.args;
  const std::string path = e.P(1);
  if (path.empty()) return Fail(absl::InvalidArgumentError("import needs a FILE (- for stdin)"));
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return Fail(absl::NotFoundError(absl::StrCat("cannot read ", path)));
    in = &file;
  }
  std::ofstream report;
  if (a.Has("report")) {
    report.open(a.Get("report"), std::ios::binary | std::ios::trunc);
    if (!report)
      return Fail(absl::InvalidArgumentError(absl::StrCat("cannot write ", a.Get("report"))));
    report << CsvRecord({"row", "line", "outcome", "email", "customer_id", "reason"});
  }
  auto ctx = e.Ctx(3600);
  auto stream = e.stub.ImportCustomers(ctx.get());
  // Chunks go out while results come back: a writer thread, reads here.
  bool read_failed = false;
  std::thread writer([&] {
    v1::ImportCustomersRequest req;
    if (a.Has("no-update") && Switch(a, "no-update").value_or(true)) req.set_update_existing(false);
    std::string buf(kImportChunk, '\0');
    while (*in) {
      in->read(buf.data(), static_cast<std::streamsize>(buf.size()));
      const auto n = in->gcount();
      if (n <= 0) break;
      req.set_chunk(buf.data(), static_cast<size_t>(n));
      if (!stream->Write(req)) break;  // the server ended the call; Finish says why
      req.clear_update_existing();
    }
    read_failed = in->bad();
    stream->WritesDone();
  });
  v1::ImportCustomersResponse resp;
  v1::ImportCustomersResponse all;
  while (stream->Read(&resp)) {
    for (const auto& row : resp.rows()) {
      if (e.g.json) *all.add_rows() = row;
      if (report.is_open()) {
        report << CsvRecord({absl::StrCat(row.row()), absl::StrCat(row.line()),
                             Outcome(row.outcome()), row.email(), row.customer_id(), row.reason()});
      }
      if (!e.g.json && row.outcome() == v1::IMPORT_OUTCOME_REJECTED) {
        std::printf("row %lld (line %lld) rejected: %s%s%s\n", static_cast<long long>(row.row()),
                    static_cast<long long>(row.line()), row.reason().c_str(),
                    row.email().empty() ? "" : "  ", row.email().c_str());
      }
    }
    all.set_created(resp.created());
    all.set_updated(resp.updated());
    all.set_rejected(resp.rejected());
  }
  writer.join();
  grpc::Status s = stream->Finish();
  if (!s.ok()) return Fail(s);
  if (read_failed) return Fail(absl::DataLossError(absl::StrCat("error reading ", path)));
  if (e.g.json) {
    PrintJson(all);
  } else {
    std::printf("import: %lld created, %lld updated, %lld rejected\n",
                static_cast<long long>(all.created()), static_cast<long long>(all.updated()),
                static_cast<long long>(all.rejected()));
  }
  if (report.is_open()) {
    report.close();
    if (!report) return Fail(absl::DataLossError(absl::StrCat("cannot write ", a.Get("report"))));
    std::fprintf(stderr, "report: %s\n", a.Get("report").c_str());
  }
  return 0;
}

int Export(const Env& e) {
  v1::ExportCustomersRequest req;
  if (absl::Status st = FillFilter(e, req.mutable_filter()); !st.ok()) return Fail(st);
  const std::string output = e.args.Get("output", "-");
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (output != "-") {
    file.open(output, std::ios::binary | std::ios::trunc);
    if (!file) return Fail(absl::InvalidArgumentError(absl::StrCat("cannot write ", output)));
    out = &file;
  }
  auto ctx = e.Ctx(3600);
  auto reader = e.stub.ExportCustomers(ctx.get(), req);
  v1::ExportChunk chunk;
  size_t bytes = 0;
  while (reader->Read(&chunk)) {
    out->write(chunk.data().data(), static_cast<std::streamsize>(chunk.data().size()));
    bytes += chunk.data().size();
  }
  grpc::Status s = reader->Finish();
  out->flush();
  if (!s.ok()) return Fail(s);
  if (!*out) return Fail(absl::DataLossError(absl::StrCat("cannot write ", output)));
  if (out != &std::cout) std::fprintf(stderr, "wrote %zu bytes to %s\n", bytes, output.c_str());
  return 0;
}

// ---- privacy, settings -------------------------------------------------------

int Privacy(const Env& e) {
  const std::string sub = e.P(1);
  const std::string id = e.P(2);
  if (id.empty() || (sub != "export" && sub != "erase")) {
    return Fail(absl::InvalidArgumentError("privacy export ID | privacy erase ID --reason R"));
  }
  if (sub == "export") {
    v1::ExportCustomerDataRequest req;
    req.set_customer_id(id);
    v1::ExportCustomerDataResponse resp;
    grpc::Status s = e.stub.ExportCustomerData(e.Ctx(60).get(), req, &resp);
    if (!s.ok()) return Fail(s);
    std::fputs(resp.json().c_str(), stdout);
    if (resp.json().empty() || resp.json().back() != '\n') std::fputs("\n", stdout);
    if (!resp.missing_sources().empty()) {
      std::fprintf(stderr, "error: incomplete: no data from %s (unreachable)\n",
                   absl::StrJoin(resp.missing_sources(), ", ").c_str());
      return 1;
    }
    return 0;
  }
  v1::EraseCustomerRequest req;
  req.set_customer_id(id);
  req.set_reason(e.args.Get("reason"));
  v1::ErasureRecord rec;
  grpc::Status s = e.stub.EraseCustomer(e.Ctx(60).get(), req, &rec);
  if (!s.ok()) return Fail(s);
  PrintErasure(e, rec);
  if (!e.g.json) {
    std::printf("(the other services report their steps as they finish: storectl erasure get %s)\n",
                rec.id().c_str());
  }
  return 0;
}

int Erasure(const Env& e) {
  if (e.P(1) != "get" || e.P(2).empty()) {
    return Fail(absl::InvalidArgumentError("usage: storectl erasure get ERASURE_ID"));
  }
  v1::GetErasureRecordRequest req;
  req.set_id(e.P(2));
  v1::ErasureRecord rec;
  grpc::Status s = e.stub.GetErasureRecord(e.Ctx().get(), req, &rec);
  if (!s.ok()) return Fail(s);
  PrintErasure(e, rec);
  return 0;
}

int Settings(const Env& e) {
  const Args& a = e.args;
  const std::string sub = e.P(1);
  v1::CustomerSettings settings;
  grpc::Status s = e.stub.GetSettings(e.Ctx().get(), {}, &settings);
  if (!s.ok()) return Fail(s);
  if (sub == "set") {
    // UpdateSettings replaces every setting: start from the stored ones.
    v1::UpdateSettingsRequest req;
    *req.mutable_settings() = settings;
    bool changed = false;
    if (a.Has("require-approval")) {
      auto v = Switch(a, "require-approval");
      if (!v.ok()) return Fail(v.status());
      req.mutable_settings()->set_require_approval(*v);
      changed = true;
    }
    if (a.Has("default-group")) {
      auto gid = ResolveGroup(e, a.Get("default-group"));
      if (!gid.ok()) return Fail(gid.status());
      req.mutable_settings()->set_default_group_id(*gid);
      changed = true;
    }
    if (!changed) {
      return Fail(
          absl::InvalidArgumentError("settings set: give --require-approval or --default-group"));
    }
    s = e.stub.UpdateSettings(e.Ctx().get(), req, &settings);
    if (!s.ok()) return Fail(s);
  } else if (!sub.empty() && sub != "get") {
    return Fail(absl::InvalidArgumentError("settings [get] | settings set ..."));
  }
  if (e.g.json) return PrintJson(settings), 0;
  const auto groups = GroupNames(e);
  auto group = groups.find(settings.default_group_id());
  std::printf("require_approval  %s\n", settings.require_approval() ? "true" : "false");
  std::printf("default_group     %s%s\n",
              settings.default_group_id().empty() ? "Default (built-in)"
              : group != groups.end()             ? group->second.c_str()
                                                  : settings.default_group_id().c_str(),
              settings.default_group_id().empty()
                  ? ""
                  : absl::StrCat("  (", settings.default_group_id(), ")").c_str());
  return 0;
}

}  // namespace

std::string CustomerAddress(const Args& args) {
  return args.Get("customer-addr", Setting("CUSTOMER_SERVICE_ADDR"));
}

int CustomerCommand(const Global& g, const std::vector<std::string>& argv) {
  auto parsed = Args::Parse(JoinSwitchValues(argv), kSwitches);
  if (!parsed.ok()) return Fail(parsed.status());
  const Args& args = *parsed;
  const std::string cmd = args.Positional(0);
  if (cmd.empty() || cmd == "help" || args.Has("help")) {
    std::fputs(kCustomerHelp, stdout);
    return cmd.empty() && !args.Has("help") ? 2 : 0;
  }
  if (absl::Status s = args.CheckKnown(kKnownFlags); !s.ok()) return Fail(s);
  std::string addr = args.Get("addr", CustomerAddress(args));
  if (addr.empty()) addr = "127.0.0.1:50052";
  auto stub = v1::CustomerService::NewStub(grpcx::MakeChannel(addr));
  const Env e{g, args, *stub};

  if (cmd == "create") return Create(e);
  if (cmd == "list") return List(e);
  if (cmd == "delete") return Delete(e);
  if (cmd == "address") return Address(e);
  if (cmd == "note") return Notes(e, /*add=*/true);
  if (cmd == "group") return Group(e);
  if (cmd == "field") return Field(e);
  if (cmd == "segment") return Segment(e);
  if (cmd == "wallet") return Wallet(e);
  if (cmd == "blacklist") return Blacklist(e);
  if (cmd == "import") return Import(e);
  if (cmd == "export") return Export(e);
  if (cmd == "privacy") return Privacy(e);
  if (cmd == "erasure") return Erasure(e);
  if (cmd == "settings") return Settings(e);

  const std::string id = args.Positional(1);
  const bool known = cmd == "get" || cmd == "update" || cmd == "approve" || cmd == "notes" ||
                     cmd == "consent" || cmd == "consents";
  if (!known) {
    std::fprintf(stderr, "error: unknown command 'customer %s' (see storectl customer --help)\n",
                 cmd.c_str());
    return 2;
  }
  if (id.empty()) {
    std::fprintf(stderr, "error: storectl customer %s needs a customer ID\n", cmd.c_str());
    return 2;
  }
  if (cmd == "update") return Update(e, id);
  if (cmd == "notes") return Notes(e, /*add=*/false);
  if (cmd == "consent") return Consent(e);
  if (cmd == "consents") return Consents(e);
  v1::Customer c;
  grpc::Status s;
  if (cmd == "get") {
    v1::GetCustomerRequest req;
    req.set_id(id);
    s = stub->GetCustomer(e.Ctx().get(), req, &c);
  } else {
    v1::ApproveCustomerRequest req;
    req.set_customer_id(id);
    s = stub->ApproveCustomer(e.Ctx().get(), req, &c);
  }
  if (!s.ok()) return Fail(s);
  PrintCustomer(e, c);
  return 0;
}

}  // namespace store::cli
