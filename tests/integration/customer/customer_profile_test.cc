// Profiles, addresses, notes, accounts, consent, groups, custom fields,
// blacklist and the checkout guard, through the gRPC API against a real
// PostgreSQL database.
#include <set>

#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "libs/grpcx/status.h"
#include "services/customer/app/credentials.h"
#include "services/customer/store/customer_store.h"
#include "store/customer/v1/events.pb.h"
#include "tests/integration/customer/customer_fixture.h"

namespace store::customer {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Reason(const grpc::Status& s) {
  auto info = grpcx::ErrorInfoOf(s);
  return info ? info->reason() : "";
}
std::string Field(const grpc::Status& s) {
  auto info = grpcx::ErrorInfoOf(s);
  return info ? info->field() : "";
}

class ProfileTest : public CustomerFixture {};

TEST_F(ProfileTest, CreateGetUpdateDelete) {
  v1::CreateCustomerRequest req;
  req.set_request_id(NewUuid());
  req.mutable_customer()->set_email("  Ann@Example.com ");
  req.mutable_customer()->set_name("Ann");
  req.mutable_customer()->set_phone("00965 1234 5678");
  req.mutable_customer()->set_country_code("kw");
  req.set_accepts_marketing(true);
  auto* addr = req.add_addresses();
  addr->set_line1("1 Main St");
  addr->set_city("Kuwait City");
  addr->set_country_code("KW");
  v1::Customer c;
  ASSERT_TRUE(stub_->CreateCustomer(Ctx().get(), req, &c).ok());
  EXPECT_EQ(c.email(), "ann@example.com");
  EXPECT_EQ(c.phone(), "+96512345678");
  EXPECT_EQ(c.country_code(), "KW");
  EXPECT_EQ(c.state(), v1::ACCOUNT_STATE_ACTIVE);
  EXPECT_TRUE(c.email_marketing().granted());
  ASSERT_EQ(c.addresses_size(), 1);
  EXPECT_TRUE(c.addresses(0).default_shipping());
  EXPECT_FALSE(c.guest());

  // Idempotent on request_id.
  v1::Customer again;
  ASSERT_TRUE(stub_->CreateCustomer(Ctx().get(), req, &again).ok());
  EXPECT_EQ(again.id(), c.id());

  // The email is unique.
  req.set_request_id(NewUuid());
  grpc::Status dup = stub_->CreateCustomer(Ctx().get(), req, &again);
  EXPECT_EQ(dup.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Reason(dup), "EMAIL_TAKEN");
  EXPECT_EQ(Field(dup), "customer.email");

  v1::UpdateCustomerRequest up;
  up.mutable_customer()->set_id(c.id());
  up.mutable_customer()->set_name("Ann B.");
  up.mutable_customer()->set_blocked(true);
  up.mutable_update_mask()->add_paths("name");
  up.mutable_update_mask()->add_paths("blocked");
  v1::Customer updated;
  ASSERT_TRUE(stub_->UpdateCustomer(Ctx().get(), up, &updated).ok());
  EXPECT_EQ(updated.name(), "Ann B.");
  EXPECT_TRUE(updated.blocked());
  EXPECT_GT(updated.version(), c.version());

  // Optimistic concurrency.
  up.set_expected_version(c.version());
  grpc::Status stale = stub_->UpdateCustomer(Ctx().get(), up, &updated);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);

  // A field not in the mask cannot be smuggled in; unknown paths are refused.
  up.set_expected_version(0);
  up.mutable_update_mask()->Clear();
  up.mutable_update_mask()->add_paths("wallet_balance");
  grpc::Status bad = stub_->UpdateCustomer(Ctx().get(), up, &updated);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Field(bad), "update_mask");

  v1::GetCustomerRequest get;
  get.set_id(c.id());
  v1::DeleteCustomerRequest del;
  del.set_id(c.id());
  v1::DeleteCustomerResponse deleted;
  ASSERT_TRUE(stub_->DeleteCustomer(Ctx().get(), del, &deleted).ok());
  EXPECT_EQ(stub_->GetCustomer(Ctx().get(), get, &again).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(OutboxTypes(), ::testing::Contains("store.customer.v1.CustomerDeleted"));
}

TEST_F(ProfileTest, BadInputNamesTheFieldAndChangesNothing) {
  struct Case {
    std::string email, name, phone, country, field;
  } cases[] = {
      {"not-an-email", "Ann", "", "", "customer.email"},
      {"a@example.com", "", "", "", "customer.name"},
      {"a@example.com", "Ann", "12", "", "customer.phone"},
      {"a@example.com", "Ann", "", "Kuwait", "customer.country_code"},
      {"a@example.com", "Ann\r\nBcc: x", "", "", "customer.name"},
  };
  for (const auto& k : cases) {
    v1::CreateCustomerRequest req;
    req.mutable_customer()->set_email(k.email);
    req.mutable_customer()->set_name(k.name);
    req.mutable_customer()->set_phone(k.phone);
    req.mutable_customer()->set_country_code(k.country);
    v1::Customer out;
    grpc::Status s = stub_->CreateCustomer(Ctx().get(), req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << k.field;
    EXPECT_EQ(Field(s), k.field);
  }
  EXPECT_EQ(Sql("SELECT count(*) FROM customers")[0][0].as<int>(), 0);
  EXPECT_EQ(Sql("SELECT count(*) FROM outbox")[0][0].as<int>(), 0);
}

TEST_F(ProfileTest, ListFiltersSortsAndPages) {
  std::vector<std::string> ids;
  for (int i = 0; i < 25; ++i) {
    clock_.Advance(absl::Seconds(1));
    ids.push_back(Create(absl::StrCat("c", i, "@example.com"), absl::StrCat("Name ", 100 - i)).id());
  }
  Sql(absl::StrCat("UPDATE customers SET total_spent = 1000, orders_count = 3, country = 'DE' "
                   "WHERE id IN ('", ids[3], "', '", ids[7], "')"));
  v1::ListCustomersRequest req;
  req.mutable_filter()->set_country_code("de");
  v1::ListCustomersResponse resp;
  ASSERT_TRUE(stub_->ListCustomers(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.customers_size(), 2);
  req.mutable_filter()->Clear();
  req.mutable_filter()->set_orders_count_min(1);
  req.mutable_filter()->mutable_total_spent()->set_min_minor(1000);
  ASSERT_TRUE(stub_->ListCustomers(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.customers_size(), 2);
  req.mutable_filter()->Clear();
  req.mutable_filter()->set_text("NAME 9");  // Name 90..99
  ASSERT_TRUE(stub_->ListCustomers(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.customers_size(), 10);

  // Every sort pages through everyone exactly once.
  for (auto sort : {v1::CUSTOMER_SORT_FIELD_CREATE_TIME, v1::CUSTOMER_SORT_FIELD_NAME,
                    v1::CUSTOMER_SORT_FIELD_TOTAL_SPENT, v1::CUSTOMER_SORT_FIELD_LAST_ORDER_TIME}) {
    for (auto dir : {common::v1::SORT_DIRECTION_ASC, common::v1::SORT_DIRECTION_DESC}) {
      v1::ListCustomersRequest page;
      page.set_sort_field(sort);
      page.set_sort_direction(dir);
      page.set_page_size(7);
      std::set<std::string> seen;
      std::vector<std::string> order;
      do {
        ASSERT_TRUE(stub_->ListCustomers(Ctx().get(), page, &resp).ok());
        for (const auto& c : resp.customers()) {
          EXPECT_TRUE(seen.insert(c.id()).second) << "duplicate across pages";
          order.push_back(c.name());
        }
        page.set_page_token(resp.next_page_token());
      } while (!page.page_token().empty());
      EXPECT_EQ(seen.size(), 25u) << sort << " " << dir;
      if (sort == v1::CUSTOMER_SORT_FIELD_NAME) {
        EXPECT_EQ(std::is_sorted(order.begin(), order.end()), dir == common::v1::SORT_DIRECTION_ASC);
      }
    }
  }
  // A token is bound to its filter.
  v1::ListCustomersRequest first;
  first.set_page_size(5);
  ASSERT_TRUE(stub_->ListCustomers(Ctx().get(), first, &resp).ok());
  first.set_page_token(resp.next_page_token());
  first.mutable_filter()->set_country_code("DE");
  EXPECT_EQ(stub_->ListCustomers(Ctx().get(), first, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ProfileTest, AddressesKeepOneDefaultEach) {
  v1::Customer c = Create("addr@example.com");
  auto add = [&](const std::string& line, bool ship) {
    v1::AddAddressRequest req;
    req.set_customer_id(c.id());
    req.mutable_address()->set_line1(line);
    req.mutable_address()->set_city("Berlin");
    req.mutable_address()->set_country_code("de");
    req.set_default_shipping(ship);
    v1::CustomerAddress out;
    EXPECT_TRUE(stub_->AddAddress(Ctx().get(), req, &out).ok());
    return out;
  };
  v1::CustomerAddress a = add("A street 1", false);
  EXPECT_TRUE(a.default_shipping());  // the first one
  v1::CustomerAddress b = add("B street 2", true);
  v1::GetCustomerRequest get;
  get.set_id(c.id());
  v1::Customer got;
  ASSERT_TRUE(stub_->GetCustomer(Ctx().get(), get, &got).ok());
  ASSERT_EQ(got.addresses_size(), 2);
  EXPECT_FALSE(got.addresses(0).default_shipping());
  EXPECT_TRUE(got.addresses(0).default_billing());
  EXPECT_TRUE(got.addresses(1).default_shipping());
  EXPECT_EQ(got.addresses(1).address().country_code(), "DE");

  v1::AddAddressRequest bad;
  bad.set_customer_id(c.id());
  bad.mutable_address()->set_line1("x");
  v1::CustomerAddress out;
  grpc::Status s = stub_->AddAddress(Ctx().get(), bad, &out);
  EXPECT_EQ(Field(s), "address.city");

  // Another customer cannot touch them: NOT_FOUND, never PERMISSION_DENIED.
  v1::Customer other = Create("other@example.com");
  v1::DeleteAddressRequest del;
  del.set_customer_id(c.id());
  del.set_address_id(b.id());
  v1::DeleteAddressResponse r;
  EXPECT_EQ(stub_->DeleteAddress(Ctx(other.id()).get(), del, &r).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->GetCustomer(Ctx(other.id()).get(), get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(stub_->DeleteAddress(Ctx(c.id()).get(), del, &r).ok());
}

TEST_F(ProfileTest, NotesKeepAuthorAndTime) {
  v1::Customer c = Create("notes@example.com");
  v1::AddCustomerNoteRequest req;
  req.set_customer_id(c.id());
  req.set_body("Refunded shipping after the courier lost the parcel");
  v1::CustomerNote n;
  ASSERT_TRUE(stub_->AddCustomerNote(Ctx().get(), req, &n).ok());
  EXPECT_EQ(n.author(), "staff:test");
  v1::ListCustomerNotesRequest list;
  list.set_customer_id(c.id());
  v1::ListCustomerNotesResponse notes;
  ASSERT_TRUE(stub_->ListCustomerNotes(Ctx().get(), list, &notes).ok());
  ASSERT_EQ(notes.notes_size(), 1);
  EXPECT_EQ(notes.notes(0).body(), req.body());
  // Customers do not see staff notes.
  EXPECT_EQ(stub_->ListCustomerNotes(Ctx(c.id()).get(), list, &notes).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ProfileTest, PasswordsAreArgon2idAndLoginChecksThem) {
  v1::RegisterCustomerRequest reg;
  reg.set_email("bob@example.com");
  reg.set_name("Bob");
  reg.set_password("correct horse battery");
  v1::Customer bob;
  ASSERT_TRUE(stub_->RegisterCustomer(Ctx().get(), reg, &bob).ok());
  EXPECT_TRUE(bob.has_account());
  const std::string hash =
      Sql(absl::StrCat("SELECT password_hash FROM customers WHERE id = '", bob.id(), "'"))[0][0]
          .as<std::string>();
  EXPECT_THAT(hash, HasSubstr("$argon2id$v=19$m=19456,t=2,p=1$"));
  EXPECT_THAT(hash, ::testing::Not(HasSubstr("correct horse")));

  v1::AuthenticateCustomerRequest login;
  login.set_email("BOB@example.com");
  login.set_password("correct horse battery");
  v1::AuthenticateCustomerResponse who;
  ASSERT_TRUE(stub_->AuthenticateCustomer(Ctx().get(), login, &who).ok());
  EXPECT_EQ(who.customer().id(), bob.id());
  login.set_password("wrong password!");
  grpc::Status wrong = stub_->AuthenticateCustomer(Ctx().get(), login, &who);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  login.set_email("nobody@example.com");
  grpc::Status nobody = stub_->AuthenticateCustomer(Ctx().get(), login, &who);
  EXPECT_EQ(nobody.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(nobody.error_message(), wrong.error_message());  // no account enumeration

  // A customer changing their own password must give the current one.
  v1::SetPasswordRequest set;
  set.set_customer_id(bob.id());
  set.set_current_password("nope nope nope");
  set.set_new_password("a new long password");
  v1::SetPasswordResponse ok;
  EXPECT_EQ(stub_->SetPassword(Ctx(bob.id()).get(), set, &ok).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  set.set_current_password("correct horse battery");
  ASSERT_TRUE(stub_->SetPassword(Ctx(bob.id()).get(), set, &ok).ok());
  login.set_email("bob@example.com");
  login.set_password("a new long password");
  EXPECT_TRUE(stub_->AuthenticateCustomer(Ctx().get(), login, &who).ok());
}

TEST_F(ProfileTest, ApprovalSettingHoldsNewSignUps) {
  v1::UpdateSettingsRequest s;
  s.mutable_settings()->set_require_approval(true);
  v1::CustomerSettings settings;
  ASSERT_TRUE(stub_->UpdateSettings(Ctx().get(), s, &settings).ok());
  v1::RegisterCustomerRequest reg;
  reg.set_email("wait@example.com");
  reg.set_name("Wait");
  reg.set_password("long enough pw");
  v1::Customer c;
  ASSERT_TRUE(stub_->RegisterCustomer(Ctx().get(), reg, &c).ok());
  EXPECT_EQ(c.state(), v1::ACCOUNT_STATE_PENDING_APPROVAL);
  v1::AuthenticateCustomerRequest login;
  login.set_email("wait@example.com");
  login.set_password("long enough pw");
  v1::AuthenticateCustomerResponse who;
  grpc::Status pending = stub_->AuthenticateCustomer(Ctx().get(), login, &who);
  EXPECT_EQ(Reason(pending), "ACCOUNT_PENDING_APPROVAL");
  v1::ApproveCustomerRequest approve;
  approve.set_customer_id(c.id());
  ASSERT_TRUE(stub_->ApproveCustomer(Ctx().get(), approve, &c).ok());
  EXPECT_TRUE(stub_->AuthenticateCustomer(Ctx().get(), login, &who).ok());
}

TEST_F(ProfileTest, VerificationAndResetTokensAreSingleUseExpiringAndStoredHashed) {
  v1::RegisterCustomerRequest reg;
  reg.set_email("tok@example.com");
  reg.set_name("Tok");
  reg.set_password("long enough pw");
  v1::Customer c;
  ASSERT_TRUE(stub_->RegisterCustomer(Ctx().get(), reg, &c).ok());
  EXPECT_FALSE(c.email_verified());
  auto envs = OutboxEvents("store.customer.v1.EmailVerificationRequested");
  ASSERT_EQ(envs.size(), 1u);
  v1::EmailVerificationRequested ev;
  ASSERT_TRUE(events::UnpackPayload(envs[0], &ev).ok());
  // Only the hash is stored.
  EXPECT_EQ(Sql(absl::StrCat("SELECT count(*) FROM account_tokens WHERE token_hash = decode('",
                             Sha256Hex(ev.token()), "', 'hex')"))[0][0].as<int>(),
            1);
  EXPECT_EQ(Sql("SELECT count(*) FROM account_tokens WHERE position(convert_to('" + ev.token() +
                "', 'UTF8') in token_hash) > 0")[0][0].as<int>(),
            0);
  v1::VerifyEmailRequest verify;
  verify.set_token(ev.token());
  v1::Customer verified;
  ASSERT_TRUE(stub_->VerifyEmail(Ctx().get(), verify, &verified).ok());
  EXPECT_TRUE(verified.email_verified());
  grpc::Status reused = stub_->VerifyEmail(Ctx().get(), verify, &verified);
  EXPECT_EQ(Reason(reused), "TOKEN_INVALID");

  // Reset: unknown emails get the same answer; the token expires after an hour.
  v1::RequestPasswordResetRequest ask;
  ask.set_email("nobody@example.com");
  v1::RequestPasswordResetResponse none;
  ASSERT_TRUE(stub_->RequestPasswordReset(Ctx().get(), ask, &none).ok());
  EXPECT_TRUE(OutboxEvents("store.customer.v1.PasswordResetRequested").empty());
  ask.set_email("tok@example.com");
  ASSERT_TRUE(stub_->RequestPasswordReset(Ctx().get(), ask, &none).ok());
  auto resets = OutboxEvents("store.customer.v1.PasswordResetRequested");
  ASSERT_EQ(resets.size(), 1u);
  v1::PasswordResetRequested pr;
  ASSERT_TRUE(events::UnpackPayload(resets[0], &pr).ok());
  clock_.Advance(absl::Minutes(61));
  v1::ResetPasswordRequest reset;
  reset.set_token(pr.token());
  reset.set_new_password("another long pw");
  v1::ResetPasswordResponse done;
  EXPECT_EQ(Reason(stub_->ResetPassword(Ctx().get(), reset, &done)), "TOKEN_INVALID");
  ASSERT_TRUE(stub_->RequestPasswordReset(Ctx().get(), ask, &none).ok());
  ASSERT_TRUE(events::UnpackPayload(OutboxEvents("store.customer.v1.PasswordResetRequested")[1], &pr).ok());
  reset.set_token(pr.token());
  ASSERT_TRUE(stub_->ResetPassword(Ctx().get(), reset, &done).ok());
  EXPECT_EQ(Reason(stub_->ResetPassword(Ctx().get(), reset, &done)), "TOKEN_INVALID");
  v1::AuthenticateCustomerRequest login;
  login.set_email("tok@example.com");
  login.set_password("another long pw");
  v1::AuthenticateCustomerResponse who;
  EXPECT_TRUE(stub_->AuthenticateCustomer(Ctx().get(), login, &who).ok());
}

TEST_F(ProfileTest, StaffConfirmEmailsResendVerificationAndManageGroupsAndEntries) {
  v1::Customer c = Create("confirm@example.com");
  v1::RequestEmailVerificationRequest resend;
  resend.set_customer_id(c.id());
  v1::RequestEmailVerificationResponse sent;
  ASSERT_TRUE(stub_->RequestEmailVerification(Ctx(c.id()).get(), resend, &sent).ok());
  EXPECT_EQ(sent.expire_time().seconds(), absl::ToUnixSeconds(clock_.Now() + absl::Hours(48)));
  EXPECT_EQ(OutboxEvents("store.customer.v1.EmailVerificationRequested").size(), 1u);
  v1::MarkEmailVerifiedRequest mark;
  mark.set_customer_id(c.id());
  v1::Customer marked;
  EXPECT_EQ(stub_->MarkEmailVerified(Ctx(c.id()).get(), mark, &marked).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);  // staff only
  ASSERT_TRUE(stub_->MarkEmailVerified(Ctx().get(), mark, &marked).ok());
  EXPECT_TRUE(marked.email_verified());
  EXPECT_EQ(Reason(stub_->RequestEmailVerification(Ctx().get(), resend, &sent)),
            "EMAIL_ALREADY_VERIFIED");

  v1::CreateGroupRequest cg;
  cg.set_name("Wholesale");
  cg.set_discount_bp(1000);
  v1::CustomerGroup g;
  ASSERT_TRUE(stub_->CreateGroup(Ctx().get(), cg, &g).ok());
  v1::UpdateGroupRequest ug;
  *ug.mutable_group() = g;
  ug.mutable_group()->set_discount_bp(1500);
  v1::CustomerGroup changed;
  ASSERT_TRUE(stub_->UpdateGroup(Ctx().get(), ug, &changed).ok());
  EXPECT_EQ(changed.discount_bp(), 1500);
  v1::AssignGroupRequest assign;
  assign.set_group_id(g.id());
  assign.add_customer_ids(c.id());
  v1::AssignGroupResponse assigned;
  ASSERT_TRUE(stub_->AssignGroup(Ctx().get(), assign, &assigned).ok());
  v1::DeleteGroupRequest dg;
  dg.set_id(g.id());
  v1::DeleteGroupResponse deleted;
  ASSERT_TRUE(stub_->DeleteGroup(Ctx().get(), dg, &deleted).ok());
  v1::GetCustomerRequest get;
  get.set_id(c.id());
  v1::Customer after;
  ASSERT_TRUE(stub_->GetCustomer(Ctx().get(), get, &after).ok());
  EXPECT_EQ(after.group_id(), kDefaultGroupId);  // members move to Default

  v1::GetSettingsRequest gs;
  v1::CustomerSettings settings;
  ASSERT_TRUE(stub_->GetSettings(Ctx().get(), gs, &settings).ok());
  EXPECT_FALSE(settings.require_approval());

  v1::AddBlacklistEntryRequest add;
  add.mutable_entry()->set_email("x@example.com");
  v1::BlacklistEntry e;
  ASSERT_TRUE(stub_->AddBlacklistEntry(Ctx().get(), add, &e).ok());
  v1::UpdateBlacklistEntryRequest ub;
  *ub.mutable_entry() = e;
  ub.mutable_entry()->set_phone("+44 20 7946 0000");
  ub.mutable_entry()->set_reason("fraud ring");
  v1::BlacklistEntry updated;
  ASSERT_TRUE(stub_->UpdateBlacklistEntry(Ctx().get(), ub, &updated).ok());
  EXPECT_EQ(updated.phone(), "+442079460000");
  EXPECT_EQ(updated.reason(), "fraud ring");
  EXPECT_EQ(updated.created_by(), "staff:test");
}

TEST_F(ProfileTest, ConsentLedgerIsAppendOnlyAndTheProfileShowsTheLatest) {
  v1::Customer c = Create("consent@example.com");
  auto set = [&](bool granted, v1::ConsentLevel level, const std::string& source) {
    v1::SetConsentRequest req;
    req.set_customer_id(c.id());
    req.set_channel(v1::CONSENT_CHANNEL_EMAIL);
    req.set_granted(granted);
    req.set_level(level);
    req.set_source(source);
    req.set_wording_version("newsletter-2026-01");
    req.set_ip("203.0.113.7");
    v1::ConsentRecord r;
    EXPECT_TRUE(stub_->SetConsent(Ctx(c.id()).get(), req, &r).ok());
    return r;
  };
  set(true, v1::CONSENT_LEVEL_SINGLE_OPT_IN, "checkout");
  set(true, v1::CONSENT_LEVEL_CONFIRMED_OPT_IN, "newsletter");
  set(true, v1::CONSENT_LEVEL_CONFIRMED_OPT_IN, "newsletter");  // no change: no new line
  v1::ConsentRecord off = set(false, v1::CONSENT_LEVEL_UNSPECIFIED, "account");
  EXPECT_EQ(off.actor(), "customer:" + c.id());
  v1::ListConsentsRequest list;
  list.set_customer_id(c.id());
  v1::ListConsentsResponse ledger;
  ASSERT_TRUE(stub_->ListConsents(Ctx().get(), list, &ledger).ok());
  ASSERT_EQ(ledger.records_size(), 3);
  EXPECT_FALSE(ledger.records(0).granted());
  EXPECT_EQ(ledger.records(2).wording_version(), "newsletter-2026-01");
  EXPECT_EQ(ledger.records(2).ip(), "203.0.113.7");
  v1::GetCustomerRequest get;
  get.set_id(c.id());
  v1::Customer now;
  ASSERT_TRUE(stub_->GetCustomer(Ctx().get(), get, &now).ok());
  EXPECT_FALSE(now.email_marketing().granted());
  EXPECT_EQ(OutboxEvents("store.customer.v1.ConsentChanged").size(), 3u);

  // Each channel has its own state: an SMS opt-in is recorded even though
  // the email channel has a history.
  v1::SetConsentRequest sms;
  sms.set_customer_id(c.id());
  sms.set_channel(v1::CONSENT_CHANNEL_SMS);
  sms.set_granted(false);
  sms.set_source("account");
  v1::ConsentRecord r;
  ASSERT_TRUE(stub_->SetConsent(Ctx(c.id()).get(), sms, &r).ok());
  EXPECT_EQ(r.channel(), v1::CONSENT_CHANNEL_SMS);
  sms.set_granted(true);
  ASSERT_TRUE(stub_->SetConsent(Ctx(c.id()).get(), sms, &r).ok());
  EXPECT_TRUE(r.granted());
  ASSERT_TRUE(stub_->GetCustomer(Ctx().get(), get, &now).ok());
  EXPECT_TRUE(now.sms_marketing().granted());
  EXPECT_FALSE(now.email_marketing().granted());
}

TEST_F(ProfileTest, GroupsDefaultGroupAndAssignment) {
  v1::ListGroupsRequest lg;
  v1::ListGroupsResponse groups;
  ASSERT_TRUE(stub_->ListGroups(Ctx().get(), lg, &groups).ok());
  ASSERT_EQ(groups.groups_size(), 2);  // Default, Guests
  v1::CreateGroupRequest cg;
  cg.set_name("VIP");
  cg.set_discount_bp(500);
  v1::CustomerGroup vip;
  ASSERT_TRUE(stub_->CreateGroup(Ctx().get(), cg, &vip).ok());
  cg.set_name("vip");
  v1::CustomerGroup dup;
  EXPECT_EQ(stub_->CreateGroup(Ctx().get(), cg, &dup).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  cg.set_name("Too much");
  cg.set_discount_bp(10001);
  EXPECT_EQ(Field(stub_->CreateGroup(Ctx().get(), cg, &dup)), "discount_bp");

  v1::UpdateSettingsRequest s;
  s.mutable_settings()->set_default_group_id(vip.id());
  v1::CustomerSettings settings;
  ASSERT_TRUE(stub_->UpdateSettings(Ctx().get(), s, &settings).ok());
  v1::Customer a = Create("a@example.com");
  EXPECT_EQ(a.group_id(), vip.id());

  s.mutable_settings()->set_default_group_id("");
  ASSERT_TRUE(stub_->UpdateSettings(Ctx().get(), s, &settings).ok());
  v1::Customer b = Create("b@example.com");
  v1::AssignGroupRequest assign;
  assign.set_group_id(vip.id());
  assign.add_customer_ids(b.id());
  assign.add_customer_ids(NewUuid());
  v1::AssignGroupResponse assigned;
  ASSERT_TRUE(stub_->AssignGroup(Ctx().get(), assign, &assigned).ok());
  EXPECT_EQ(assigned.assigned(), 1);
  EXPECT_EQ(assigned.not_found_ids_size(), 1);
  ASSERT_TRUE(stub_->ListGroups(Ctx().get(), lg, &groups).ok());
  for (const auto& g : groups.groups()) {
    if (g.id() == vip.id()) {
      EXPECT_EQ(g.member_count(), 2);
    }
    if (g.built_in()) {
      v1::DeleteGroupRequest del;
      del.set_id(g.id());
      v1::DeleteGroupResponse r;
      EXPECT_EQ(Reason(stub_->DeleteGroup(Ctx().get(), del, &r)), "GROUP_BUILT_IN");
    }
  }
  // The checkout guard reports the group discount.
  v1::CheckCheckoutRequest check;
  check.set_customer_id(b.id());
  v1::CheckCheckoutResponse decision;
  ASSERT_TRUE(stub_->CheckCheckout(Ctx().get(), check, &decision).ok());
  EXPECT_EQ(decision.group_discount_bp(), 500);
  EXPECT_EQ(decision.group_name(), "VIP");
}

TEST_F(ProfileTest, CustomFieldsAreTypedAndValidated) {
  v1::DefineCustomFieldRequest def;
  def.mutable_field()->set_key("shoe_size");
  def.mutable_field()->set_type(v1::CUSTOM_FIELD_TYPE_NUMBER);
  v1::CustomField f;
  ASSERT_TRUE(stub_->DefineCustomField(Ctx().get(), def, &f).ok());
  def.mutable_field()->set_key("tier");
  def.mutable_field()->set_type(v1::CUSTOM_FIELD_TYPE_CHOICE);
  def.mutable_field()->add_choices("gold");
  ASSERT_TRUE(stub_->DefineCustomField(Ctx().get(), def, &f).ok());

  v1::Customer c = Create("custom@example.com");
  v1::UpdateCustomerRequest up;
  up.mutable_customer()->set_id(c.id());
  (*up.mutable_customer()->mutable_custom_fields())["shoe_size"] = "42.50";
  (*up.mutable_customer()->mutable_custom_fields())["tier"] = "gold";
  up.mutable_update_mask()->add_paths("custom_fields");
  v1::Customer out;
  ASSERT_TRUE(stub_->UpdateCustomer(Ctx().get(), up, &out).ok());
  EXPECT_EQ(out.custom_fields().at("shoe_size"), "42.5");
  (*up.mutable_customer()->mutable_custom_fields())["tier"] = "bronze";
  EXPECT_EQ(Field(stub_->UpdateCustomer(Ctx().get(), up, &out)), "custom_fields.tier");
  (*up.mutable_customer()->mutable_custom_fields())["tier"] = "gold";
  (*up.mutable_customer()->mutable_custom_fields())["unknown"] = "x";
  EXPECT_EQ(Field(stub_->UpdateCustomer(Ctx().get(), up, &out)), "custom_fields.unknown");

  // A field a segment uses cannot be deleted.
  v1::CreateSegmentRequest seg;
  seg.mutable_segment()->set_name("Big feet");
  seg.mutable_segment()->set_rule("custom.shoe_size >= 45");
  v1::Segment s;
  ASSERT_TRUE(stub_->CreateSegment(Ctx().get(), seg, &s).ok());
  v1::DeleteCustomFieldRequest del;
  del.set_key("shoe_size");
  v1::DeleteCustomFieldResponse r;
  EXPECT_EQ(Reason(stub_->DeleteCustomField(Ctx().get(), del, &r)), "FIELD_IN_USE");
  del.set_key("tier");
  ASSERT_TRUE(stub_->DeleteCustomField(Ctx().get(), del, &r).ok());
  v1::GetCustomerRequest get;
  get.set_id(c.id());
  ASSERT_TRUE(stub_->GetCustomer(Ctx().get(), get, &out).ok());
  EXPECT_FALSE(out.custom_fields().contains("tier"));
}

TEST_F(ProfileTest, BlacklistBlocksCheckoutByPhoneOrEmail) {
  v1::AddBlacklistEntryRequest add;
  add.mutable_entry()->set_phone("+1 555 000 0666");
  add.mutable_entry()->set_reason("chargebacks");
  v1::BlacklistEntry e;
  ASSERT_TRUE(stub_->AddBlacklistEntry(Ctx().get(), add, &e).ok());
  EXPECT_EQ(e.phone(), "+15550000666");
  add.mutable_entry()->Clear();
  EXPECT_EQ(Field(stub_->AddBlacklistEntry(Ctx().get(), add, &e)), "entry.phone");
  add.mutable_entry()->set_email("Fraud@Example.com");
  add.mutable_entry()->set_reason("stolen cards, chargebacks");
  ASSERT_TRUE(stub_->AddBlacklistEntry(Ctx().get(), add, &e).ok());

  v1::CheckCheckoutRequest guest;
  guest.set_email("someone@example.com");
  guest.set_phone("0015550000666");
  v1::CheckCheckoutResponse d;
  grpc::Status s = stub_->CheckCheckout(Ctx().get(), guest, &d);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(s), "CUSTOMER_BLACKLISTED");
  EXPECT_THAT(s.error_message(), HasSubstr("chargebacks"));
  guest.set_phone("+15550000667");
  EXPECT_TRUE(stub_->CheckCheckout(Ctx().get(), guest, &d).ok());
  guest.set_email("fraud@example.com");
  EXPECT_EQ(Reason(stub_->CheckCheckout(Ctx().get(), guest, &d)), "CUSTOMER_BLACKLISTED");

  // A registered customer whose stored phone is blacklisted, and a blocked one.
  v1::Customer c = Create("reg@example.com");
  Sql(absl::StrCat("UPDATE customers SET phone = '+15550000666' WHERE id = '", c.id(), "'"));
  v1::CheckCheckoutRequest reg;
  reg.set_customer_id(c.id());
  EXPECT_EQ(Reason(stub_->CheckCheckout(Ctx().get(), reg, &d)), "CUSTOMER_BLACKLISTED");
  Sql(absl::StrCat("UPDATE customers SET phone = '', blocked = true WHERE id = '", c.id(), "'"));
  EXPECT_EQ(Reason(stub_->CheckCheckout(Ctx().get(), reg, &d)), "CUSTOMER_BLOCKED");
  reg.set_customer_id(NewUuid());
  EXPECT_EQ(stub_->CheckCheckout(Ctx().get(), reg, &d).error_code(), grpc::StatusCode::NOT_FOUND);

  // The same checks in one call (as the order service gathers concurrent
  // placements): each has its own answer, and a bad one spoils nothing.
  v1::CheckCheckoutsRequest batch;
  *batch.add_checks() = guest;  // fraud@example.com: blacklisted
  batch.add_checks()->set_email("fine@example.com");
  batch.add_checks()->set_email("not an email");
  *batch.add_checks() = reg;                    // unknown id
  batch.add_checks()->set_customer_id(c.id());  // blocked
  v1::CheckCheckoutsResponse answers;
  ASSERT_TRUE(stub_->CheckCheckouts(Ctx().get(), batch, &answers).ok());
  ASSERT_EQ(answers.results_size(), 5);
  auto status = [&](int i) { return grpcx::GrpcStatusOf(answers.results(i).error()); };
  EXPECT_EQ(Reason(status(0)), "CUSTOMER_BLACKLISTED");
  EXPECT_THAT(status(0).error_message(), HasSubstr("chargebacks"));
  EXPECT_TRUE(status(1).ok());
  EXPECT_EQ(answers.results(1).decision().group_name(), "Guests");
  EXPECT_EQ(status(2).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Field(status(2)), "checks[2].email");
  EXPECT_EQ(status(3).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reason(status(4)), "CUSTOMER_BLOCKED");
  // A customer's token may not check others; an empty batch says what it takes.
  EXPECT_EQ(stub_->CheckCheckouts(Ctx(c.id()).get(), batch, &answers).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  batch.clear_checks();
  EXPECT_EQ(Field(stub_->CheckCheckouts(Ctx().get(), batch, &answers)), "checks");

  v1::ListBlacklistEntriesRequest list;
  list.set_text("chargeback");
  v1::ListBlacklistEntriesResponse entries;
  ASSERT_TRUE(stub_->ListBlacklistEntries(Ctx().get(), list, &entries).ok());
  EXPECT_EQ(entries.entries_size(), 2);
  v1::RemoveBlacklistEntryRequest rm;
  rm.set_id(entries.entries(0).id());
  v1::RemoveBlacklistEntryResponse removed;
  ASSERT_TRUE(stub_->RemoveBlacklistEntry(Ctx().get(), rm, &removed).ok());
}

TEST_F(ProfileTest, CustomersReachOnlyTheirOwnDataAndNoStaffMethods) {
  v1::Customer a = Create("a@example.com");
  v1::Customer b = Create("b@example.com");
  v1::GetCustomerRequest get;
  get.set_id(b.id());
  v1::Customer out;
  EXPECT_EQ(stub_->GetCustomer(Ctx(a.id()).get(), get, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  get.set_id(a.id());
  EXPECT_TRUE(stub_->GetCustomer(Ctx(a.id()).get(), get, &out).ok());
  v1::GetWalletRequest wallet;
  wallet.set_customer_id(b.id());
  v1::Wallet w;
  EXPECT_EQ(stub_->GetWallet(Ctx(a.id()).get(), wallet, &w).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListCustomersRequest list;
  v1::ListCustomersResponse l;
  EXPECT_EQ(stub_->ListCustomers(Ctx(a.id()).get(), list, &l).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A customer may change only their own name, phone, country and custom fields.
  v1::UpdateCustomerRequest up;
  up.mutable_customer()->set_id(a.id());
  up.mutable_customer()->set_blocked(false);
  up.mutable_update_mask()->add_paths("group_id");
  EXPECT_EQ(stub_->UpdateCustomer(Ctx(a.id()).get(), up, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace store::customer
