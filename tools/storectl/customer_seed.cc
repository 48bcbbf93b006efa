// The customer part of `storectl seed demo`: groups, custom fields, 20
// registered customers (addresses, consents, a password for the demo
// account, one blocked), a note, wallet credits, a blacklist entry and
// segments. Created over gRPC like any client would; request ids and
// idempotency keys are fixed, and what has no request id is looked up
// first, so running it again changes nothing.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "libs/grpcx/server.h"
#include "libs/grpcx/status.h"
#include "store/customer/v1/customer_service.grpc.pb.h"
#include "tools/storectl/customer_commands.h"

namespace store::cli {
namespace {

namespace v1 = store::customer::v1;

constexpr char kDemoEmail[] = "demo@example.com";
constexpr char kDemoPassword[] = "demo-password-1";

struct DemoGroup {
  const char* name;
  int discount_bp;
};
constexpr DemoGroup kGroups[] = {{"VIP", 500}, {"Wholesale", 1000}};

struct DemoCustomer {
  const char* name;
  const char* email;
  const char* phone;
  const char* city;
  const char* country;
  const char* group;  // "" = Default
  bool accepts_marketing;
  bool blocked;
  const char* birthday;   // custom field, "" = unset
  const char* shoe_size;  // custom field, "" = unset
};

// The first five also buy in the demo orders (storectl seed demo).
constexpr DemoCustomer kCustomers[] = {
    {"Ann Lee", "ann.lee@example.com", "+15551230001", "Springfield", "US", "VIP", true, false,
     "1986-05-14", "39"},
    {"Omar Haddad", "omar@example.com", "+96550001111", "Kuwait City", "KW", "VIP", false, false,
     "", "44"},
    {"Léa Dubois", "lea.dubois@example.fr", "+33612345678", "Lyon", "FR", "", true, false,
     "1992-11-03", ""},
    {"Иван Петров", "ivan@example.ru", "+79161234567", "Moscow", "RU", "", false, false, "", "43"},
    {"Sofia Rossi", "sofia@example.it", "+393471234567", "Milano", "IT", "Wholesale", true, false,
     "1979-02-28", "37.5"},
    {"Demo Customer", kDemoEmail, "+15551230010", "Springfield", "US", "", true, false,
     "1990-01-01", "42"},
    {"Noah Becker", "noah.becker@example.de", "+4915112345678", "Berlin", "DE", "Wholesale", true,
     false, "", ""},
    {"Amara Okafor", "amara@example.ng", "+2348031234567", "Lagos", "NG", "", false, false,
     "1995-07-21", ""},
    {"Lucas Martin", "lucas.martin@example.fr", "+33698765432", "Paris", "FR", "", true, false, "",
     "45"},
    {"Priya Sharma", "priya@example.in", "+919812345678", "Pune", "IN", "VIP", true, false,
     "1988-09-09", "38"},
    {"Erik Larsen", "erik@example.no", "+4791234567", "Oslo", "NO", "Wholesale", false, false, "",
     ""},
    {"Hannah Schmidt", "hannah@example.at", "+436641234567", "Vienna", "AT", "", true, false, "",
     "40"},
    {"Mateo García", "mateo@example.es", "+34612345678", "Madrid", "ES", "", false, false,
     "2001-12-24", ""},
    {"Chloe Nguyen", "chloe@example.com", "+15551230011", "Austin", "US", "", true, false, "", ""},
    {"Fatima Al-Sabah", "fatima@example.kw", "+96550002222", "Kuwait City", "KW", "VIP", true,
     false, "1983-03-17", "38"},
    {"Tom Baker", "tom.baker@example.co.uk", "+447700900123", "Leeds", "GB", "", false, true, "",
     ""},
    {"Olivia Brown", "olivia@example.com.au", "+61412345678", "Sydney", "AU", "", true, false, "",
     "39"},
    {"Jonas Meyer", "jonas@example.ch", "+41791234567", "Zurich", "CH", "", false, false, "", ""},
    {"Aiko Tanaka", "aiko@example.jp", "+818012345678", "Tokyo", "JP", "", true, false,
     "1997-08-08", "36"},
    {"Diego Silva", "diego@example.br", "+5511912345678", "São Paulo", "BR", "", false, false, "",
     "42"},
};

struct DemoSegment {
  const char* name;
  const char* rule;
  const char* description;
};
constexpr DemoSegment kSegments[] = {
    {"VIP", "total_spent > 500", "Spent more than 500 in all"},
    {"Recent buyers", "last_order_at within 30 days", "Ordered in the last 30 days"},
    {"Inactive", "last_order_at before 6 months ago", "No order for 6 months"},
    {"Subscribers", "accepts_marketing = true", "Newsletter subscribers"},
    {"First-time buyers", "orders_count = 1", "Exactly one order"},
};

constexpr char kBlacklistPhone[] = "+15550000666";
constexpr char kBlacklistEmail[] = "fraud@example.com";
constexpr char kNoteBody[] = "Prefers deliveries after 5 pm; leave parcels with the concierge.";
constexpr int64_t kWalletCreditMinor = 5000;  // 50.00 of the store currency

std::string DemoUuid(int kind, int i) {
  return absl::StrFormat("00000000-0000-4000-8%03d-%012d", kind, i);
}

absl::Status Err(const grpc::Status& s, absl::string_view what) {
  absl::Status st = grpcx::FromGrpcStatus(s);
  std::string reason;
  if (auto info = grpcx::ErrorInfoOf(s)) {
    reason = absl::StrCat(" [reason=", info->reason(),
                          info->field().empty() ? "" : " field=" + info->field(), "]");
  }
  return absl::Status(st.code(), absl::StrCat(what, ": ", st.message(), reason));
}

class Seeder {
 public:
  Seeder(const Global& g, const std::string& addr)
      : g_(g), stub_(v1::CustomerService::NewStub(grpcx::MakeChannel(addr))) {}

  absl::StatusOr<std::map<std::string, std::string>> Run() {
    std::string currency = Setting("STORE_CURRENCY");
    if (currency.empty()) currency = "USD";
    currency_ = absl::AsciiStrToUpper(currency);

    std::map<std::string, std::string> group_ids;
    for (const auto& gr : kGroups) {
      auto id = EnsureGroup(gr);
      if (!id.ok()) return id.status();
      group_ids[gr.name] = *id;
    }
    for (const auto& [key, type, label] :
         {std::tuple<const char*, v1::CustomFieldType, const char*>{
              "birthday", v1::CUSTOM_FIELD_TYPE_DATE, "Birthday"},
          {"shoe_size", v1::CUSTOM_FIELD_TYPE_NUMBER, "Shoe size (EU)"}}) {
      v1::DefineCustomFieldRequest req;
      req.mutable_field()->set_key(key);
      req.mutable_field()->set_type(type);
      req.mutable_field()->set_label(label);
      v1::CustomField out;
      grpc::Status s = stub_->DefineCustomField(Ctx().get(), req, &out);
      if (!s.ok()) return Err(s, absl::StrCat("custom field ", key));
    }

    std::map<std::string, std::string> ids;  // email -> id
    int vip = 0, wholesale = 0, blocked = 0, marketing = 0;
    for (int i = 0; i < static_cast<int>(std::size(kCustomers)); ++i) {
      const DemoCustomer& d = kCustomers[i];
      auto id = EnsureCustomer(i, d, group_ids);
      if (!id.ok()) return id.status();
      if (!d.blocked) ids[d.email] = *id;
      vip += std::string(d.group) == "VIP";
      wholesale += std::string(d.group) == "Wholesale";
      blocked += d.blocked;
      marketing += d.accepts_marketing;
    }

    // A note for Ann, store credit for Ann and the demo account.
    if (absl::Status s = EnsureNote(ids.at("ann.lee@example.com")); !s.ok()) return s;
    for (const char* email : {"ann.lee@example.com", kDemoEmail}) {
      v1::CreditWalletRequest req;
      req.set_customer_id(ids.at(email));
      req.mutable_amount()->set_amount_minor(kWalletCreditMinor);
      req.mutable_amount()->set_currency_code(currency_);
      req.set_reason("Welcome credit (demo)");
      req.set_idempotency_key(absl::StrCat("demo-welcome-credit-", email));
      *req.mutable_expire_time() = google::protobuf::util::TimeUtil::SecondsToTimestamp(
          absl::ToUnixSeconds(absl::Now() + absl::Hours(24 * 90)));
      v1::WalletEntry out;
      grpc::Status s = stub_->CreditWallet(Ctx().get(), req, &out);
      if (!s.ok()) return Err(s, absl::StrCat("wallet credit for ", email));
    }

    if (absl::Status s = EnsureBlacklist(); !s.ok()) return s;
    for (const auto& seg : kSegments) {
      if (absl::Status s = EnsureSegment(seg); !s.ok()) return s;
    }

    std::printf(
        "demo customers: %zu registered (%d VIP, %d Wholesale, %d blocked, %d accepting "
        "marketing)\n",
        std::size(kCustomers), vip, wholesale, blocked, marketing);
    std::printf("  groups VIP (5%%), Wholesale (10%%); custom fields birthday, shoe_size\n");
    std::printf("  %zu segments; blacklist %s / %s; 50.00 %s store credit for 2 customers\n",
                std::size(kSegments), kBlacklistPhone, kBlacklistEmail, currency_.c_str());
    std::printf("  demo account: %s / %s\n", kDemoEmail, kDemoPassword);
    return ids;
  }

 private:
  std::unique_ptr<grpc::ClientContext> Ctx() const { return Context(g_); }

  absl::StatusOr<std::string> EnsureGroup(const DemoGroup& gr) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      v1::ListGroupsResponse groups;
      grpc::Status s = stub_->ListGroups(Ctx().get(), {}, &groups);
      if (!s.ok()) return Err(s, "list groups");
      for (const auto& existing : groups.groups()) {
        if (absl::EqualsIgnoreCase(existing.name(), gr.name)) return existing.id();
      }
      v1::CreateGroupRequest req;
      req.set_name(gr.name);
      req.set_discount_bp(gr.discount_bp);
      v1::CustomerGroup out;
      s = stub_->CreateGroup(Ctx().get(), req, &out);
      if (s.ok()) return out.id();
      // Created meanwhile: look again.
      if (s.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
        return Err(s, absl::StrCat("group ", gr.name));
      }
    }
    return absl::InternalError(
        absl::StrCat("group ", gr.name, " neither exists nor can be created"));
  }

  absl::StatusOr<std::string> FindByEmail(const std::string& email) {
    v1::ListCustomersRequest req;
    req.mutable_filter()->set_text(email);
    req.set_page_size(100);
    v1::ListCustomersResponse resp;
    grpc::Status s = stub_->ListCustomers(Ctx().get(), req, &resp);
    if (!s.ok()) return Err(s, absl::StrCat("find customer ", email));
    for (const auto& c : resp.customers()) {
      if (absl::EqualsIgnoreCase(c.email(), email)) return c.id();
    }
    return absl::NotFoundError(absl::StrCat("customer ", email, " not found"));
  }

  absl::StatusOr<std::string> EnsureCustomer(int i, const DemoCustomer& d,
                                             const std::map<std::string, std::string>& groups) {
    v1::CreateCustomerRequest req;
    req.set_request_id(DemoUuid(3, i));
    v1::Customer* c = req.mutable_customer();
    c->set_email(d.email);
    c->set_name(d.name);
    c->set_phone(d.phone);
    c->set_country_code(d.country);
    if (*d.group != '\0') c->set_group_id(groups.at(d.group));
    c->set_blocked(d.blocked);
    if (*d.birthday != '\0') (*c->mutable_custom_fields())["birthday"] = d.birthday;
    if (*d.shoe_size != '\0') (*c->mutable_custom_fields())["shoe_size"] = d.shoe_size;
    req.set_accepts_marketing(d.accepts_marketing);
    if (std::string(d.email) == kDemoEmail) req.set_password(kDemoPassword);
    common::v1::Address* a = req.add_addresses();
    a->set_name(d.name);
    a->set_line1(absl::StrFormat("%d Market Street", 10 + i));
    a->set_city(d.city);
    a->set_country_code(d.country);
    a->set_postal_code(absl::StrFormat("%05d", 10000 + i * 7));
    a->set_phone(d.phone);
    v1::Customer out;
    grpc::Status s = stub_->CreateCustomer(Ctx().get(), req, &out);
    if (s.ok()) return out.id();
    // The email is taken (e.g. created by an earlier run under another
    // request id): use that customer.
    if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) return FindByEmail(d.email);
    return Err(s, absl::StrCat("customer ", d.email));
  }

  absl::Status EnsureNote(const std::string& customer_id) {
    v1::ListCustomerNotesRequest list;
    list.set_customer_id(customer_id);
    v1::ListCustomerNotesResponse notes;
    grpc::Status s = stub_->ListCustomerNotes(Ctx().get(), list, &notes);
    if (!s.ok()) return Err(s, "list notes");
    for (const auto& n : notes.notes()) {
      if (n.body() == kNoteBody) return absl::OkStatus();
    }
    v1::AddCustomerNoteRequest req;
    req.set_customer_id(customer_id);
    req.set_body(kNoteBody);
    v1::CustomerNote out;
    s = stub_->AddCustomerNote(Ctx().get(), req, &out);
    return s.ok() ? absl::OkStatus() : Err(s, "add note");
  }

  absl::Status EnsureBlacklist() {
    v1::ListBlacklistEntriesRequest list;
    list.set_text(kBlacklistEmail);
    v1::ListBlacklistEntriesResponse entries;
    grpc::Status s = stub_->ListBlacklistEntries(Ctx().get(), list, &entries);
    if (!s.ok()) return Err(s, "list blacklist");
    for (const auto& e : entries.entries()) {
      if (e.email() == kBlacklistEmail) return absl::OkStatus();
    }
    v1::AddBlacklistEntryRequest req;
    req.mutable_entry()->set_phone(kBlacklistPhone);
    req.mutable_entry()->set_email(kBlacklistEmail);
    req.mutable_entry()->set_reason("Chargebacks on three orders (demo)");
    v1::BlacklistEntry out;
    s = stub_->AddBlacklistEntry(Ctx().get(), req, &out);
    if (s.ok() || s.error_code() == grpc::StatusCode::ALREADY_EXISTS) return absl::OkStatus();
    return Err(s, "blacklist entry");
  }

  absl::Status EnsureSegment(const DemoSegment& seg) {
    v1::ListSegmentsResponse segments;
    grpc::Status s = stub_->ListSegments(Ctx().get(), {}, &segments);
    if (!s.ok()) return Err(s, "list segments");
    for (const auto& existing : segments.segments()) {
      if (absl::EqualsIgnoreCase(existing.name(), seg.name)) return absl::OkStatus();
    }
    v1::CreateSegmentRequest req;
    req.mutable_segment()->set_name(seg.name);
    req.mutable_segment()->set_rule(seg.rule);
    req.mutable_segment()->set_description(seg.description);
    v1::Segment out;
    s = stub_->CreateSegment(Ctx().get(), req, &out);
    if (s.ok() || s.error_code() == grpc::StatusCode::ALREADY_EXISTS) return absl::OkStatus();
    return Err(s, absl::StrCat("segment ", seg.name));
  }

  const Global& g_;
  std::unique_ptr<v1::CustomerService::Stub> stub_;
  std::string currency_;
};

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> SeedDemoCustomers(const Global& g,
                                                                     const std::string& addr) {
  return Seeder(g, addr).Run();
}

}  // namespace store::cli
