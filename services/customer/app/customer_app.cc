#include "services/customer/app/customer_app.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/contact.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "libs/core/paging.h"
#include "libs/core/status.h"
#include "libs/pg/values.h"
#include "services/customer/app/credentials.h"
#include "services/customer/domain/customer_rules.h"
#include "services/customer/store/customer_store.h"
#include "services/customer/store/segment_store.h"
#include "store/customer/v1/events.pb.h"

namespace store::customer {

using google::protobuf::util::TimeUtil;

namespace {

absl::Status RequireId(absl::string_view field, const std::string& id) {
  if (!IsUuid(id)) return InvalidField(field, "must be a UUID");
  return absl::OkStatus();
}

absl::Status EmailTaken(absl::string_view field) {
  return MakeError(absl::StatusCode::kAlreadyExists, "EMAIL_TAKEN", field,
                   "another customer has this email");
}

absl::StatusOr<v1::Customer> LoadOr404(pqxx::transaction_base& tx, const CustomerOptions& options,
                                       const std::string& id, bool for_update) {
  std::optional<v1::Customer> c = CustomerStore::Load(tx, options.store_currency, id, for_update);
  if (!c.has_value() || absl::StartsWith(c->email(), "erased+")) return NotFound("customer", id);
  return *c;
}

// Validates custom field values against their definitions, normalising
// them in place.
absl::Status NormalizeCustomFields(pqxx::transaction_base& tx, v1::Customer& c) {
  if (c.custom_fields().empty()) return absl::OkStatus();
  std::map<std::string, v1::CustomField> defs;
  for (auto& f : CustomerStore::ListCustomFields(tx)) defs[f.key()] = f;
  google::protobuf::Map<std::string, std::string> out;
  for (const auto& [key, value] : c.custom_fields()) {
    auto it = defs.find(key);
    if (it == defs.end()) {
      return InvalidField(absl::StrCat("custom_fields.", key), "is not a defined custom field");
    }
    if (value.empty()) continue;  // empty = unset
    STORE_ASSIGN_OR_RETURN(std::string v, NormalizeCustomValue(it->second, value));
    out[key] = v;
  }
  *c.mutable_custom_fields() = out;
  return absl::OkStatus();
}

absl::Status CheckGroup(pqxx::transaction_base& tx, absl::string_view field,
                        const std::string& group_id) {
  if (group_id.empty()) return absl::OkStatus();
  STORE_RETURN_IF_ERROR(RequireId(field, group_id));
  if (!CustomerStore::LoadGroup(tx, group_id).has_value()) {
    return InvalidField(field, "no such customer group");
  }
  return absl::OkStatus();
}

void IssueToken(pqxx::transaction_base& tx, const v1::Customer& c, bool reset, absl::Time now,
                absl::Time* expires_out = nullptr) {
  const std::string token = NewToken();
  const absl::Time expires = now + (reset ? kResetTokenTtl : kVerifyTokenTtl);
  CustomerStore::InsertToken(tx, Sha256(token), c.id(), reset ? "reset_password" : "verify_email",
                             expires, now);
  if (reset) {
    v1::PasswordResetRequested e;
    e.set_customer_id(c.id());
    e.set_email(c.email());
    e.set_name(c.name());
    e.set_token(token);
    *e.mutable_expire_time() = pg::ToTimestamp(expires);
    PublishCustomerEvent(tx, e, c.id(), c.version(), now);
  } else {
    v1::EmailVerificationRequested e;
    e.set_customer_id(c.id());
    e.set_email(c.email());
    e.set_name(c.name());
    e.set_token(token);
    *e.mutable_expire_time() = pg::ToTimestamp(expires);
    PublishCustomerEvent(tx, e, c.id(), c.version(), now);
  }
  if (expires_out != nullptr) *expires_out = expires;
}

}  // namespace

absl::StatusOr<v1::Customer> FinishUpdate(pqxx::transaction_base& tx,
                                          const CustomerOptions& options, const std::string& id,
                                          std::vector<std::string> changed_fields, absl::Time now,
                                          bool bump_version) {
  if (bump_version) CustomerStore::Touch(tx, id, now);
  STORE_RETURN_IF_ERROR(SegmentStore::RefreshFor(tx, options.store_currency, {id}, now));
  std::optional<v1::Customer> c = CustomerStore::Load(tx, options.store_currency, id, false);
  if (!c.has_value()) return NotFound("customer", id);
  v1::CustomerUpdated e;
  *e.mutable_customer() = *c;
  for (auto& f : changed_fields) e.add_changed_fields(std::move(f));
  PublishCustomerEvent(tx, e, id, c->version(), now);
  return *c;
}

v1::ConsentRecord RecordConsent(pqxx::transaction_base& tx, const std::string& customer_id,
                                const std::string& email, v1::ConsentChannel channel, bool granted,
                                v1::ConsentLevel level, const std::string& source,
                                const std::string& wording_version, const std::string& ip,
                                const std::string& actor, absl::Time now) {
  v1::ConsentRecord r;
  r.set_id(NewUuid());
  r.set_customer_id(customer_id);
  r.set_channel(channel);
  r.set_granted(granted);
  r.set_level(
      granted ? (level == v1::CONSENT_LEVEL_UNSPECIFIED ? v1::CONSENT_LEVEL_SINGLE_OPT_IN : level)
              : v1::CONSENT_LEVEL_UNSPECIFIED);
  r.set_source(source);
  r.set_wording_version(wording_version);
  r.set_ip(ip);
  r.set_actor(actor);
  *r.mutable_create_time() = pg::ToTimestamp(now);
  CustomerStore::InsertConsent(tx, r);
  v1::ConsentState state;
  state.set_granted(granted);
  state.set_level(r.level());
  state.set_source(source);
  *state.mutable_update_time() = r.create_time();
  CustomerStore::SetConsentState(tx, customer_id, channel, state);
  v1::ConsentChanged e;
  e.set_customer_id(customer_id);
  e.set_email(email);
  *e.mutable_record() = r;
  PublishCustomerEvent(tx, e, customer_id, 0, now);
  return r;
}

// ---- Profiles ----

absl::StatusOr<v1::Customer> CustomerApp::CreateAccount(
    v1::Customer c, const std::string& password, const std::string& request_id,
    bool accepts_marketing, const std::string& consent_source, const std::string& wording_version,
    const std::vector<common::v1::Address>& addresses, bool send_welcome, bool self_signup,
    const Caller& caller) {
  const std::string prefix = self_signup ? "" : "customer.";
  STORE_RETURN_IF_ERROR(NormalizeProfile(prefix, c, /*name_required=*/true));
  if (!password.empty()) STORE_RETURN_IF_ERROR(ValidatePassword("password", password));
  if (self_signup && password.empty()) return InvalidField("password", "is required");
  std::vector<common::v1::Address> addrs = addresses;
  for (size_t i = 0; i < addrs.size(); ++i) {
    STORE_RETURN_IF_ERROR(NormalizeAddress(absl::StrCat("addresses[", i, "]."), addrs[i]));
  }
  if (!request_id.empty()) STORE_RETURN_IF_ERROR(RequireId("request_id", request_id));
  std::string hash;
  if (!password.empty()) {
    STORE_ASSIGN_OR_RETURN(hash, HashPassword(password));  // slow: outside the transaction
  }
  v1::Customer result;
  const absl::Time now = clock_.Now();
  absl::Status st = pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    if (!request_id.empty()) {
      if (std::optional<v1::Customer> prior =
              CustomerStore::LoadByRequestId(tx, options_.store_currency, request_id)) {
        if (prior->email() != c.email()) {
          return MakeError(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED", "request_id",
                           "this request_id was used for another customer");
        }
        result = *prior;
        return absl::OkStatus();
      }
    }
    STORE_RETURN_IF_ERROR(NormalizeCustomFields(tx, c));
    STORE_RETURN_IF_ERROR(CheckGroup(tx, prefix + "group_id", c.group_id()));
    const v1::CustomerSettings settings = CustomerStore::LoadSettings(tx);
    if (c.group_id().empty()) {
      c.set_group_id(settings.default_group_id().empty() ? kDefaultGroupId
                                                         : settings.default_group_id());
    }
    c.set_state(self_signup && settings.require_approval() ? v1::ACCOUNT_STATE_PENDING_APPROVAL
                                                           : v1::ACCOUNT_STATE_ACTIVE);
    std::string id;
    std::optional<v1::Customer> existing =
        CustomerStore::LoadByEmail(tx, options_.store_currency, c.email(), true);
    bool converted = false;
    if (existing.has_value()) {
      if (!existing->guest()) return EmailTaken(prefix + "email");
      // CUS-04: the guest becomes this customer, keeping their orders.
      id = existing->id();
      c.set_id(id);
      if (c.group_id().empty() || c.group_id() == kGuestsGroupId) {
        c.set_group_id(settings.default_group_id().empty() ? kDefaultGroupId
                                                           : settings.default_group_id());
      }
      c.set_guest(false);
      c.set_email_verified(existing->email_verified());
      if (!CustomerStore::UpdateProfile(tx, c, now)) return EmailTaken(prefix + "email");
      converted = true;
    } else {
      id = NewUuid();
      NewCustomer n{.customer = c, .request_id = request_id, .password_hash = ""};
      if (!CustomerStore::Insert(tx, id, n, now)) return EmailTaken(prefix + "email");
    }
    if (!hash.empty()) CustomerStore::SetPasswordHash(tx, id, hash);
    for (size_t i = 0; i < addrs.size(); ++i) {
      v1::CustomerAddress a;
      a.set_id(NewUuid());
      *a.mutable_address() = addrs[i];
      a.set_default_shipping(i == 0);
      a.set_default_billing(i == 0);
      CustomerStore::InsertAddress(tx, id, a, now);
    }
    if (accepts_marketing) {
      RecordConsent(tx, id, c.email(), v1::CONSENT_CHANNEL_EMAIL, true,
                    v1::CONSENT_LEVEL_SINGLE_OPT_IN, consent_source, wording_version, "",
                    caller.actor.empty() ? "customer:" + id : caller.actor, now);
    }
    STORE_RETURN_IF_ERROR(SegmentStore::RefreshFor(tx, options_.store_currency, {id}, now));
    std::optional<v1::Customer> stored =
        CustomerStore::Load(tx, options_.store_currency, id, false);
    if (!stored.has_value()) return absl::InternalError("customer vanished");
    result = *stored;
    v1::CustomerRegistered e;
    *e.mutable_customer() = result;
    e.set_source(self_signup ? "signup" : "admin");
    e.set_send_welcome(send_welcome || self_signup);
    PublishCustomerEvent(tx, e, id, result.version(), now);
    if (converted) log::Info("guest became a registered customer", {{"customer_id", id}});
    if (self_signup || !result.email_verified()) {
      if (self_signup) IssueToken(tx, result, /*reset=*/false, now);
    }
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return result;
}

absl::StatusOr<v1::Customer> CustomerApp::CreateCustomer(const v1::CreateCustomerRequest& r,
                                                         const Caller& caller) {
  v1::Customer c;
  c.set_email(r.customer().email());
  c.set_name(r.customer().name());
  c.set_phone(r.customer().phone());
  c.set_country_code(r.customer().country_code());
  c.set_group_id(r.customer().group_id());
  c.set_tax_exempt(r.customer().tax_exempt());
  c.set_blocked(r.customer().blocked());
  *c.mutable_custom_fields() = r.customer().custom_fields();
  return CreateAccount(c, r.password(), r.request_id(), r.accepts_marketing(), "admin", "",
                       {r.addresses().begin(), r.addresses().end()}, r.send_welcome(),
                       /*self_signup=*/false, caller);
}

absl::StatusOr<v1::Customer> CustomerApp::RegisterCustomer(const v1::RegisterCustomerRequest& r,
                                                           const Caller& caller) {
  v1::Customer c;
  c.set_email(r.email());
  c.set_name(r.name());
  c.set_phone(r.phone());
  c.set_country_code(r.country_code());
  return CreateAccount(c, r.password(), "", r.accepts_marketing(), "signup",
                       r.consent_wording_version(), {}, false, /*self_signup=*/true, caller);
}

absl::StatusOr<v1::Customer> CustomerApp::GetCustomer(const std::string& id) {
  STORE_RETURN_IF_ERROR(RequireId("id", id));
  v1::Customer out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    STORE_ASSIGN_OR_RETURN(out, LoadOr404(tx, options_, id, false));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::Customer> CustomerApp::UpdateCustomer(const v1::UpdateCustomerRequest& r,
                                                         const Caller& caller) {
  const std::string& id = r.customer().id();
  STORE_RETURN_IF_ERROR(RequireId("customer.id", id));
  if (r.update_mask().paths().empty()) {
    return InvalidField("update_mask", "name the fields to change");
  }
  static const std::set<std::string> kStaffFields = {"name",         "email",    "phone",
                                                     "country_code", "group_id", "tax_exempt",
                                                     "blocked",      "state",    "custom_fields"};
  static const std::set<std::string> kCustomerFields = {"name", "phone", "country_code",
                                                        "custom_fields"};
  for (const auto& path : r.update_mask().paths()) {
    const auto& allowed = caller.is_customer() ? kCustomerFields : kStaffFields;
    if (!allowed.count(path)) {
      return InvalidField(
          "update_mask",
          absl::StrCat("cannot change '", path, "'; allowed: ", absl::StrJoin(allowed, ", ")));
    }
  }
  v1::Customer result;
  const absl::Time now = clock_.Now();
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    STORE_ASSIGN_OR_RETURN(v1::Customer c, LoadOr404(tx, options_, id, true));
    if (r.expected_version() != 0 && r.expected_version() != c.version()) {
      return MakeError(absl::StatusCode::kAborted, "VERSION_MISMATCH", "expected_version",
                       absl::StrCat("the customer is at version ", c.version()));
    }
    const v1::Customer& in = r.customer();
    std::vector<std::string> changed;
    for (const auto& path : r.update_mask().paths()) {
      changed.push_back(path);
      if (path == "name") c.set_name(in.name());
      if (path == "email") c.set_email(in.email());
      if (path == "phone") c.set_phone(in.phone());
      if (path == "country_code") c.set_country_code(in.country_code());
      if (path == "group_id") c.set_group_id(in.group_id());
      if (path == "tax_exempt") c.set_tax_exempt(in.tax_exempt());
      if (path == "blocked") c.set_blocked(in.blocked());
      if (path == "custom_fields") {
        for (const auto& [k, v] : in.custom_fields()) (*c.mutable_custom_fields())[k] = v;
      }
      if (path == "state") {
        if (in.state() != v1::ACCOUNT_STATE_ACTIVE && in.state() != v1::ACCOUNT_STATE_INACTIVE) {
          return InvalidField("customer.state", "must be ACTIVE or INACTIVE");
        }
        c.set_state(in.state());
      }
    }
    const std::string old_email = c.email();
    STORE_RETURN_IF_ERROR(NormalizeProfile("customer.", c, !c.guest()));
    STORE_RETURN_IF_ERROR(NormalizeCustomFields(tx, c));
    STORE_RETURN_IF_ERROR(CheckGroup(tx, "customer.group_id", c.group_id()));
    if (!CustomerStore::UpdateProfile(tx, c, now)) return EmailTaken("customer.email");
    STORE_ASSIGN_OR_RETURN(result,
                           FinishUpdate(tx, options_, id, changed, now, /*bump_version=*/false));
    return absl::OkStatus();
  }));
  (void)caller;
  return result;
}

absl::Status CustomerApp::DeleteCustomer(const std::string& id, const Caller& caller) {
  STORE_RETURN_IF_ERROR(RequireId("id", id));
  const absl::Time now = clock_.Now();
  return pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    STORE_ASSIGN_OR_RETURN(v1::Customer c, LoadOr404(tx, options_, id, true));
    CustomerStore::Delete(tx, id);
    v1::CustomerDeleted e;
    e.set_customer_id(id);
    e.set_email(c.email());
    PublishCustomerEvent(tx, e, id, c.version() + 1, now);
    log::Info("customer deleted", {{"customer_id", id}, {"actor", caller.actor}});
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::BatchDeleteCustomersResponse> CustomerApp::BatchDelete(
    const v1::BatchDeleteCustomersRequest& r, const Caller& caller) {
  if (r.ids().empty() || r.ids_size() > 1000) return InvalidField("ids", "give 1..1000 ids");
  for (int i = 0; i < r.ids_size(); ++i) {
    STORE_RETURN_IF_ERROR(RequireId(absl::StrCat("ids[", i, "]"), r.ids(i)));
  }
  v1::BatchDeleteCustomersResponse out;
  const absl::Time now = clock_.Now();
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    out.Clear();
    std::set<std::string> seen;
    for (const auto& id : r.ids()) {
      if (!seen.insert(id).second) continue;
      std::optional<v1::Customer> c =
          CustomerStore::Load(tx, options_.store_currency, id, true, false);
      if (!c.has_value() || !CustomerStore::Delete(tx, id)) {
        out.add_not_found_ids(id);
        continue;
      }
      v1::CustomerDeleted e;
      e.set_customer_id(id);
      e.set_email(c->email());
      PublishCustomerEvent(tx, e, id, c->version() + 1, now);
      out.add_deleted_ids(id);
    }
    return absl::OkStatus();
  }));
  log::Info("customers deleted",
            {{"count", absl::StrCat(out.deleted_ids_size())}, {"actor", caller.actor}});
  return out;
}

absl::StatusOr<v1::ListCustomersResponse> CustomerApp::ListCustomers(
    const v1::ListCustomersRequest& r) {
  STORE_ASSIGN_OR_RETURN(int limit, PageSize(r.page_size()));
  const v1::CustomerFilter& f = r.filter();
  if (!f.group_id().empty()) STORE_RETURN_IF_ERROR(RequireId("filter.group_id", f.group_id()));
  if (!f.segment_id().empty())
    STORE_RETURN_IF_ERROR(RequireId("filter.segment_id", f.segment_id()));
  if (!v1::CustomerSortField_IsValid(r.sort_field())) {
    return InvalidField("sort_field", "unknown sort field");
  }
  const bool ascending = r.sort_direction() == common::v1::SORT_DIRECTION_ASC ||
                         (r.sort_direction() == common::v1::SORT_DIRECTION_UNSPECIFIED &&
                          r.sort_field() == v1::CUSTOMER_SORT_FIELD_NAME);
  const std::string binding =
      absl::StrCat(Fingerprint(f), ":", r.sort_field(), ":", ascending ? "a" : "d");
  std::optional<KeysetCursor> after;
  if (!r.page_token().empty()) {
    STORE_ASSIGN_OR_RETURN(after, DecodePageToken(r.page_token(), binding));
  }
  v1::ListCustomersResponse out;
  const absl::Time now = clock_.Now();
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::string seg_sql;
    std::vector<std::string> seg_params;
    if (!f.segment_id().empty()) {
      std::optional<v1::Segment> s = SegmentStore::Load(tx, f.segment_id());
      if (!s.has_value()) return InvalidField("filter.segment_id", "no such segment");
      STORE_ASSIGN_OR_RETURN(CompiledSegment compiled,
                             SegmentStore::Compile(tx, options_.store_currency, s->rule(), now));
      seg_sql = compiled.where_sql;
      seg_params = compiled.params;
    }
    std::vector<v1::Customer> rows =
        CustomerStore::List(tx, options_.store_currency, f, seg_sql, seg_params, r.sort_field(),
                            ascending, after, limit);
    out.Clear();
    const bool more = static_cast<int>(rows.size()) > limit;
    if (more) rows.resize(limit);
    for (auto& c : rows) *out.add_customers() = std::move(c);
    if (more) {
      out.set_next_page_token(EncodePageToken(
          CustomerStore::CursorOf(out.customers(limit - 1), r.sort_field()), binding));
    }
    return absl::OkStatus();
  }));
  return out;
}

// ---- Addresses ----

absl::StatusOr<v1::CustomerAddress> CustomerApp::AddAddress(const v1::AddAddressRequest& r) {
  STORE_RETURN_IF_ERROR(RequireId("customer_id", r.customer_id()));
  v1::CustomerAddress a;
  a.set_id(NewUuid());
  *a.mutable_address() = r.address();
  STORE_RETURN_IF_ERROR(NormalizeAddress("address.", *a.mutable_address()));
  const absl::Time now = clock_.Now();
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    STORE_ASSIGN_OR_RETURN(v1::Customer c, LoadOr404(tx, options_, r.customer_id(), true));
    if (c.addresses_size() >= 50) {
      return Precondition("TOO_MANY_ADDRESSES", "a customer keeps at most 50 addresses");
    }
    // The first address is the default for both.
    a.set_default_shipping(r.default_shipping() || c.addresses().empty());
    a.set_default_billing(r.default_billing() || c.addresses().empty());
    CustomerStore::InsertAddress(tx, c.id(), a, now);
    CustomerStore::ClearDefaults(tx, c.id(), a.id(), a.default_shipping(), a.default_billing());
    return FinishUpdate(tx, options_, c.id(), {"addresses"}, now).status();
  }));
  return a;
}

absl::StatusOr<v1::CustomerAddress> CustomerApp::UpdateAddress(const v1::UpdateAddressRequest& r) {
  STORE_RETURN_IF_ERROR(RequireId("customer_id", r.customer_id()));
  STORE_RETURN_IF_ERROR(RequireId("address_id", r.address_id()));
  v1::CustomerAddress a;
  a.set_id(r.address_id());
  *a.mutable_address() = r.address();
  a.set_default_shipping(r.default_shipping());
  a.set_default_billing(r.default_billing());
  STORE_RETURN_IF_ERROR(NormalizeAddress("address.", *a.mutable_address()));
  const absl::Time now = clock_.Now();
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    STORE_ASSIGN_OR_RETURN(v1::Customer c, LoadOr404(tx, options_, r.customer_id(), true));
    if (!CustomerStore::UpdateAddress(tx, c.id(), a)) return NotFound("address", r.address_id());
    CustomerStore::ClearDefaults(tx, c.id(), a.id(), a.default_shipping(), a.default_billing());
    return FinishUpdate(tx, options_, c.id(), {"addresses"}, now).status();
  }));
  return a;
}

absl::Status CustomerApp::DeleteAddress(const v1::DeleteAddressRequest& r) {
  STORE_RETURN_IF_ERROR(RequireId("customer_id", r.customer_id()));
  STORE_RETURN_IF_ERROR(RequireId("address_id", r.address_id()));
  const absl::Time now = clock_.Now();
  return pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    STORE_ASSIGN_OR_RETURN(v1::Customer c, LoadOr404(tx, options_, r.customer_id(), true));
    if (!CustomerStore::DeleteAddress(tx, c.id(), r.address_id())) {
      return NotFound("address", r.address_id());
    }
    return FinishUpdate(tx, options_, c.id(), {"addresses"}, now).status();
  });
}

// ---- Notes ----

absl::StatusOr<v1::CustomerNote> CustomerApp::AddNote(const v1::AddCustomerNoteRequest& r,
                                                      const Caller& caller) {
  STORE_RETURN_IF_ERROR(RequireId("customer_id", r.customer_id()));
  const std::string body(absl::StripAsciiWhitespace(r.body()));
  if (body.empty() || body.size() > 5000)
    return InvalidField("body", "must have 1..5000 characters");
  v1::CustomerNote n;
  n.set_id(NewUuid());
  n.set_customer_id(r.customer_id());
  n.set_body(body);
  n.set_author(caller.actor);
  const absl::Time now = clock_.Now();
  *n.mutable_create_time() = pg::ToTimestamp(now);
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    STORE_RETURN_IF_ERROR(LoadOr404(tx, options_, r.customer_id(), false).status());
    CustomerStore::InsertNote(tx, n);
    return absl::OkStatus();
  }));
  return n;
}

absl::StatusOr<std::vector<v1::CustomerNote>> CustomerApp::ListNotes(const std::string& id) {
  STORE_RETURN_IF_ERROR(RequireId("customer_id", id));
  std::vector<v1::CustomerNote> out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    STORE_RETURN_IF_ERROR(LoadOr404(tx, options_, id, false).status());
    out = CustomerStore::ListNotes(tx, id);
    return absl::OkStatus();
  }));
  return out;
}

// ---- Accounts ----

absl::StatusOr<v1::Customer> CustomerApp::Authenticate(const v1::AuthenticateCustomerRequest& r) {
  const absl::Status invalid = MakeError(absl::StatusCode::kUnauthenticated, "INVALID_CREDENTIALS",
                                         "", "wrong email or password");
  absl::StatusOr<std::string> email = NormalizeEmail("email", r.email());
  if (r.password().size() > kMaxPasswordLength) return invalid;
  std::optional<v1::Customer> c;
  std::string hash;
  if (email.ok()) {
    STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
      c = CustomerStore::LoadByEmail(tx, options_.store_currency, *email, false);
      if (c.has_value()) hash = CustomerStore::PasswordHash(tx, c->id());
      return absl::OkStatus();
    }));
  }
  // Always runs argon2id, so a missing account takes as long as a wrong password.
  const bool ok = VerifyPassword(r.password(), hash);
  if (!ok || !c.has_value()) return invalid;
  if (c->blocked()) return Precondition("ACCOUNT_BLOCKED", "this account is blocked");
  if (c->state() == v1::ACCOUNT_STATE_PENDING_APPROVAL) {
    return Precondition("ACCOUNT_PENDING_APPROVAL", "this account awaits approval by the store");
  }
  if (c->state() != v1::ACCOUNT_STATE_ACTIVE) {
    return Precondition("ACCOUNT_INACTIVE", "this account is inactive");
  }
  if (PasswordNeedsRehash(hash)) {
    absl::StatusOr<std::string> fresh = HashPassword(r.password());
    if (fresh.ok()) {
      (void)pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
        CustomerStore::SetPasswordHash(tx, c->id(), *fresh);
        return absl::OkStatus();
      });
    }
  }
  return *c;
}

absl::Status CustomerApp::SetPassword(const v1::SetPasswordRequest& r, const Caller& caller) {
  STORE_RETURN_IF_ERROR(RequireId("customer_id", r.customer_id()));
  STORE_RETURN_IF_ERROR(ValidatePassword("new_password", r.new_password()));
  if (caller.is_customer()) {
    std::string hash;
    STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
      STORE_RETURN_IF_ERROR(LoadOr404(tx, options_, r.customer_id(), false).status());
      hash = CustomerStore::PasswordHash(tx, r.customer_id());
      return absl::OkStatus();
    }));
    if (!VerifyPassword(r.current_password(), hash)) {
      return MakeError(absl::StatusCode::kPermissionDenied, "WRONG_PASSWORD", "current_password",
                       "the current password is wrong");
    }
  }
  STORE_ASSIGN_OR_RETURN(std::string hash, HashPassword(r.new_password()));
  const absl::Time now = clock_.Now();
  return pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    STORE_ASSIGN_OR_RETURN(v1::Customer c, LoadOr404(tx, options_, r.customer_id(), true));
    CustomerStore::SetPasswordHash(tx, c.id(), hash);
    if (c.guest()) {
      c.set_guest(false);
      if (!CustomerStore::UpdateProfile(tx, c, now)) return EmailTaken("email");
      return FinishUpdate(tx, options_, c.id(), {"has_account", "guest"}, now, false).status();
    }
    return FinishUpdate(tx, options_, c.id(), {"has_account"}, now).status();
  });
}

absl::StatusOr<absl::Time> CustomerApp::RequestEmailVerification(const std::string& id) {
  STORE_RETURN_IF_ERROR(RequireId("customer_id", id));
  absl::Time expires;
  const absl::Time now = clock_.Now();
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    STORE_ASSIGN_OR_RETURN(v1::Customer c, LoadOr404(tx, options_, id, true));
    if (c.email_verified()) {
      return Precondition("EMAIL_ALREADY_VERIFIED", "this email is verified already");
    }
    IssueToken(tx, c, /*reset=*/false, now, &expires);
    return absl::OkStatus();
  }));
  return expires;
}

absl::StatusOr<v1::Customer> CustomerApp::VerifyEmail(const std::string& token) {
  if (token.empty() || token.size() > 200) return InvalidField("token", "is required");
  v1::Customer out;
  const absl::Time now = clock_.Now();
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<std::string> id =
        CustomerStore::ConsumeToken(tx, Sha256(token), "verify_email", now);
    if (!id.has_value()) {
      return MakeError(absl::StatusCode::kInvalidArgument, "TOKEN_INVALID", "token",
                       "the link is invalid, used or expired; ask for a new one");
    }
    STORE_ASSIGN_OR_RETURN(v1::Customer c, LoadOr404(tx, options_, *id, true));
    c.set_email_verified(true);
    if (!CustomerStore::UpdateProfile(tx, c, now)) return EmailTaken("email");
    STORE_ASSIGN_OR_RETURN(out, FinishUpdate(tx, options_, c.id(), {"email_verified"}, now, false));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::Customer> CustomerApp::MarkEmailVerified(const std::string& id,
                                                            const Caller& caller) {
  STORE_RETURN_IF_ERROR(RequireId("customer_id", id));
  v1::Customer out;
  const absl::Time now = clock_.Now();
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    STORE_ASSIGN_OR_RETURN(v1::Customer c, LoadOr404(tx, options_, id, true));
    c.set_email_verified(true);
    if (!CustomerStore::UpdateProfile(tx, c, now)) return EmailTaken("email");
    STORE_ASSIGN_OR_RETURN(out, FinishUpdate(tx, options_, c.id(), {"email_verified"}, now, false));
    return absl::OkStatus();
  }));
  log::Info("email confirmed by hand", {{"customer_id", id}, {"actor", caller.actor}});
  return out;
}

absl::Status CustomerApp::RequestPasswordReset(const std::string& raw_email) {
  absl::StatusOr<std::string> email = NormalizeEmail("email", raw_email);
  if (!email.ok()) return email.status();
  const absl::Time now = clock_.Now();
  // The same answer whether or not the account exists.
  return pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<v1::Customer> c =
        CustomerStore::LoadByEmail(tx, options_.store_currency, *email, true);
    if (c.has_value() && !c->guest()) IssueToken(tx, *c, /*reset=*/true, now);
    return absl::OkStatus();
  });
}

absl::Status CustomerApp::ResetPassword(const v1::ResetPasswordRequest& r) {
  if (r.token().empty() || r.token().size() > 200) return InvalidField("token", "is required");
  STORE_RETURN_IF_ERROR(ValidatePassword("new_password", r.new_password()));
  STORE_ASSIGN_OR_RETURN(std::string hash, HashPassword(r.new_password()));
  const absl::Time now = clock_.Now();
  return pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<std::string> id =
        CustomerStore::ConsumeToken(tx, Sha256(r.token()), "reset_password", now);
    if (!id.has_value()) {
      return MakeError(absl::StatusCode::kInvalidArgument, "TOKEN_INVALID", "token",
                       "the link is invalid, used or expired; ask for a new one");
    }
    CustomerStore::SetPasswordHash(tx, *id, hash);
    return FinishUpdate(tx, options_, *id, {"has_account"}, now).status();
  });
}

absl::StatusOr<v1::Customer> CustomerApp::Approve(const std::string& id, const Caller& caller) {
  STORE_RETURN_IF_ERROR(RequireId("customer_id", id));
  v1::Customer out;
  const absl::Time now = clock_.Now();
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    STORE_ASSIGN_OR_RETURN(v1::Customer c, LoadOr404(tx, options_, id, true));
    if (c.state() != v1::ACCOUNT_STATE_PENDING_APPROVAL) {
      return Precondition("NOT_PENDING_APPROVAL", "this account is not awaiting approval");
    }
    c.set_state(v1::ACCOUNT_STATE_ACTIVE);
    if (!CustomerStore::UpdateProfile(tx, c, now)) return EmailTaken("email");
    STORE_ASSIGN_OR_RETURN(out, FinishUpdate(tx, options_, id, {"state"}, now, false));
    return absl::OkStatus();
  }));
  log::Info("account approved", {{"customer_id", id}, {"actor", caller.actor}});
  return out;
}

absl::StatusOr<v1::CustomerSettings> CustomerApp::GetSettings() {
  v1::CustomerSettings out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    out = CustomerStore::LoadSettings(tx);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::CustomerSettings> CustomerApp::UpdateSettings(const v1::CustomerSettings& s) {
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    STORE_RETURN_IF_ERROR(CheckGroup(tx, "settings.default_group_id", s.default_group_id()));
    CustomerStore::SaveSettings(tx, s);
    return absl::OkStatus();
  }));
  return s;
}

// ---- Consent ----

absl::StatusOr<v1::ConsentRecord> CustomerApp::SetConsent(const v1::SetConsentRequest& r,
                                                          const Caller& caller) {
  STORE_RETURN_IF_ERROR(RequireId("customer_id", r.customer_id()));
  if (r.channel() != v1::CONSENT_CHANNEL_EMAIL && r.channel() != v1::CONSENT_CHANNEL_SMS) {
    return InvalidField("channel", "must be EMAIL or SMS");
  }
  if (!v1::ConsentLevel_IsValid(r.level())) return InvalidField("level", "unknown level");
  STORE_RETURN_IF_ERROR(ValidateText("source", r.source(), 1, 64));
  STORE_RETURN_IF_ERROR(ValidateText("wording_version", r.wording_version(), 0, 100));
  STORE_RETURN_IF_ERROR(ValidateText("ip", r.ip(), 0, 64));
  v1::ConsentRecord out;
  const absl::Time now = clock_.Now();
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    STORE_ASSIGN_OR_RETURN(v1::Customer c, LoadOr404(tx, options_, r.customer_id(), true));
    const v1::ConsentState& current =
        r.channel() == v1::CONSENT_CHANNEL_EMAIL ? c.email_marketing() : c.sms_marketing();
    const v1::ConsentLevel level = r.granted() && r.level() == v1::CONSENT_LEVEL_UNSPECIFIED
                                       ? v1::CONSENT_LEVEL_SINGLE_OPT_IN
                                       : (r.granted() ? r.level() : v1::CONSENT_LEVEL_UNSPECIFIED);
    // No change, no new ledger line (keeps the newsletter and customer
    // services from echoing each other's consent events).
    if (current.granted() == r.granted() && current.level() == level &&
        (current.has_update_time() || !r.granted())) {
      std::vector<v1::ConsentRecord> records = CustomerStore::ListConsents(tx, c.id());
      for (const auto& rec : records) {
        if (rec.channel() == r.channel()) {
          out = rec;
          return absl::OkStatus();
        }
      }
    }
    out = RecordConsent(tx, c.id(), c.email(), r.channel(), r.granted(), level, r.source(),
                        r.wording_version(), r.ip(), caller.actor, now);
    return FinishUpdate(
               tx, options_, c.id(),
               {r.channel() == v1::CONSENT_CHANNEL_EMAIL ? "email_marketing" : "sms_marketing"},
               now)
        .status();
  }));
  return out;
}

absl::StatusOr<std::vector<v1::ConsentRecord>> CustomerApp::ListConsents(const std::string& id) {
  STORE_RETURN_IF_ERROR(RequireId("customer_id", id));
  std::vector<v1::ConsentRecord> out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    STORE_RETURN_IF_ERROR(LoadOr404(tx, options_, id, false).status());
    out = CustomerStore::ListConsents(tx, id);
    return absl::OkStatus();
  }));
  return out;
}

// ---- Groups ----

absl::StatusOr<v1::CustomerGroup> CustomerApp::CreateGroup(const v1::CreateGroupRequest& r) {
  STORE_RETURN_IF_ERROR(ValidateGroup(r.name(), r.discount_bp()));
  v1::CustomerGroup g;
  g.set_id(NewUuid());
  g.set_name(std::string(absl::StripAsciiWhitespace(r.name())));
  g.set_discount_bp(r.discount_bp());
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    if (!CustomerStore::InsertGroup(tx, g)) {
      return MakeError(absl::StatusCode::kAlreadyExists, "GROUP_NAME_TAKEN", "name",
                       "a group with this name exists");
    }
    return absl::OkStatus();
  }));
  return g;
}

absl::StatusOr<v1::CustomerGroup> CustomerApp::UpdateGroup(const v1::CustomerGroup& in) {
  STORE_RETURN_IF_ERROR(RequireId("group.id", in.id()));
  STORE_RETURN_IF_ERROR(ValidateGroup(in.name(), in.discount_bp()));
  v1::CustomerGroup out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<v1::CustomerGroup> g = CustomerStore::LoadGroup(tx, in.id());
    if (!g.has_value()) return NotFound("group", in.id());
    g->set_name(std::string(absl::StripAsciiWhitespace(in.name())));
    g->set_discount_bp(in.discount_bp());
    if (!CustomerStore::UpdateGroup(tx, *g)) {
      return MakeError(absl::StatusCode::kAlreadyExists, "GROUP_NAME_TAKEN", "group.name",
                       "a group with this name exists");
    }
    out = *g;
    return absl::OkStatus();
  }));
  return out;
}

absl::Status CustomerApp::DeleteGroup(const std::string& id) {
  STORE_RETURN_IF_ERROR(RequireId("id", id));
  return pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<v1::CustomerGroup> g = CustomerStore::LoadGroup(tx, id);
    if (!g.has_value()) return NotFound("group", id);
    if (g->built_in()) return Precondition("GROUP_BUILT_IN", "built-in groups cannot be deleted");
    CustomerStore::DeleteGroup(tx, id);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<v1::CustomerGroup>> CustomerApp::ListGroups() {
  std::vector<v1::CustomerGroup> out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    out = CustomerStore::ListGroups(tx);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::AssignGroupResponse> CustomerApp::AssignGroup(const v1::AssignGroupRequest& r) {
  STORE_RETURN_IF_ERROR(RequireId("group_id", r.group_id()));
  if (r.customer_ids().empty() || r.customer_ids_size() > 1000) {
    return InvalidField("customer_ids", "give 1..1000 ids");
  }
  std::vector<std::string> ids;
  for (int i = 0; i < r.customer_ids_size(); ++i) {
    STORE_RETURN_IF_ERROR(RequireId(absl::StrCat("customer_ids[", i, "]"), r.customer_ids(i)));
    ids.push_back(r.customer_ids(i));
  }
  v1::AssignGroupResponse out;
  const absl::Time now = clock_.Now();
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    out.Clear();
    if (!CustomerStore::LoadGroup(tx, r.group_id()).has_value()) {
      return NotFound("group", r.group_id());
    }
    std::vector<std::string> moved = CustomerStore::AssignGroup(tx, r.group_id(), ids, now);
    std::set<std::string> done(moved.begin(), moved.end());
    for (const auto& id : std::set<std::string>(ids.begin(), ids.end())) {
      if (!done.count(id)) out.add_not_found_ids(id);
    }
    for (const auto& id : moved) {
      STORE_RETURN_IF_ERROR(FinishUpdate(tx, options_, id, {"group_id"}, now, false).status());
    }
    out.set_assigned(static_cast<int64_t>(moved.size()));
    return absl::OkStatus();
  }));
  return out;
}

// ---- Custom fields ----

absl::StatusOr<v1::CustomField> CustomerApp::DefineCustomField(const v1::CustomField& in) {
  STORE_RETURN_IF_ERROR(ValidateCustomFieldDef(in));
  v1::CustomField f = in;
  if (f.max_length() == 0) f.set_max_length(1000);
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    for (const auto& existing : CustomerStore::ListCustomFields(tx)) {
      if (existing.key() == f.key() && existing.type() != f.type()) {
        return InvalidField("field.type", "the type of an existing field cannot change");
      }
    }
    if (CustomerStore::ListCustomFields(tx).size() >= 100) {
      return Precondition("TOO_MANY_FIELDS", "at most 100 custom fields");
    }
    CustomerStore::UpsertCustomField(tx, f);
    return absl::OkStatus();
  }));
  return f;
}

absl::StatusOr<std::vector<v1::CustomField>> CustomerApp::ListCustomFields() {
  std::vector<v1::CustomField> out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    out = CustomerStore::ListCustomFields(tx);
    return absl::OkStatus();
  }));
  return out;
}

absl::Status CustomerApp::DeleteCustomField(const std::string& key) {
  return pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::vector<std::string> users = SegmentStore::SegmentsUsingField(tx, key);
    if (!users.empty()) {
      return Precondition("FIELD_IN_USE",
                          absl::StrCat("segments use this field: ", absl::StrJoin(users, ", ")));
    }
    if (!CustomerStore::DeleteCustomField(tx, key)) return NotFound("custom field", key);
    return absl::OkStatus();
  });
}

// ---- Blacklist and checkout ----

namespace {
absl::Status NormalizeBlacklist(v1::BlacklistEntry& e) {
  if (e.phone().empty() && e.email().empty()) {
    return InvalidField("entry.phone", "give a phone (E.164) and/or an email");
  }
  if (!e.phone().empty()) {
    STORE_ASSIGN_OR_RETURN(std::string phone, NormalizePhone("entry.phone", e.phone()));
    e.set_phone(phone);
  }
  if (!e.email().empty()) {
    STORE_ASSIGN_OR_RETURN(std::string email, NormalizeEmail("entry.email", e.email()));
    e.set_email(email);
  }
  return ValidateText("entry.reason", e.reason(), 0, 500);
}
}  // namespace

absl::StatusOr<v1::BlacklistEntry> CustomerApp::AddBlacklistEntry(v1::BlacklistEntry e,
                                                                  const Caller& caller) {
  STORE_RETURN_IF_ERROR(NormalizeBlacklist(e));
  e.set_id(NewUuid());
  e.set_created_by(caller.actor);
  *e.mutable_create_time() = pg::ToTimestamp(clock_.Now());
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    CustomerStore::InsertBlacklist(tx, e);
    return absl::OkStatus();
  }));
  return e;
}

absl::StatusOr<v1::BlacklistEntry> CustomerApp::UpdateBlacklistEntry(v1::BlacklistEntry e) {
  STORE_RETURN_IF_ERROR(RequireId("entry.id", e.id()));
  STORE_RETURN_IF_ERROR(NormalizeBlacklist(e));
  v1::BlacklistEntry out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<v1::BlacklistEntry> stored = CustomerStore::UpdateBlacklist(tx, e);
    if (!stored.has_value()) return NotFound("blacklist entry", e.id());
    out = *stored;
    return absl::OkStatus();
  }));
  return out;
}

absl::Status CustomerApp::RemoveBlacklistEntry(const std::string& id) {
  STORE_RETURN_IF_ERROR(RequireId("id", id));
  return pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    if (!CustomerStore::DeleteBlacklist(tx, id)) return NotFound("blacklist entry", id);
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::ListBlacklistEntriesResponse> CustomerApp::ListBlacklist(
    const v1::ListBlacklistEntriesRequest& r) {
  STORE_ASSIGN_OR_RETURN(int limit, PageSize(r.page_size()));
  const std::string binding = absl::StrCat("blacklist:", r.text());
  std::optional<KeysetCursor> after;
  if (!r.page_token().empty()) {
    STORE_ASSIGN_OR_RETURN(after, DecodePageToken(r.page_token(), binding));
  }
  v1::ListBlacklistEntriesResponse out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::vector<v1::BlacklistEntry> rows = CustomerStore::ListBlacklist(tx, r.text(), after, limit);
    out.Clear();
    const bool more = static_cast<int>(rows.size()) > limit;
    if (more) rows.resize(limit);
    for (auto& e : rows) *out.add_entries() = std::move(e);
    if (more) {
      const auto& last = out.entries(limit - 1);
      out.set_next_page_token(
          EncodePageToken({.sort_value = TimeUtil::TimestampToMicroseconds(last.create_time()),
                           .id = last.id(),
                           .sort_text = ""},
                          binding));
    }
    return absl::OkStatus();
  }));
  return out;
}

namespace {

// A check's request, normalized for the statement.
absl::StatusOr<CustomerStore::CheckoutKey> CheckoutKeyOf(const v1::CheckCheckoutRequest& r) {
  CustomerStore::CheckoutKey key;
  if (!r.email().empty()) {
    STORE_ASSIGN_OR_RETURN(key.email, NormalizeEmail("email", r.email()));
  }
  if (!r.phone().empty()) {
    STORE_ASSIGN_OR_RETURN(key.phone, NormalizePhone("phone", r.phone()));
  }
  if (!r.customer_id().empty()) STORE_RETURN_IF_ERROR(RequireId("customer_id", r.customer_id()));
  key.customer_id = r.customer_id();
  key.fallback_group_id = r.customer_id().empty() ? kGuestsGroupId : kDefaultGroupId;
  return key;
}

// May this buyer order (ORD-13)?
absl::StatusOr<v1::CheckCheckoutResponse> CheckoutDecision(const v1::CheckCheckoutRequest& r,
                                                           const CustomerStore::CheckoutFacts& f) {
  const bool registered = !r.customer_id().empty();
  if (registered && (!f.found || f.erased)) return NotFound("customer", r.customer_id());
  // A guest record with the email may be blocked too.
  if (f.found && f.blocked) return Precondition("CUSTOMER_BLOCKED", "this customer is blocked");
  if (registered && f.state == v1::ACCOUNT_STATE_PENDING_APPROVAL) {
    return Precondition("CUSTOMER_PENDING_APPROVAL", "this account awaits approval");
  }
  if (registered && f.state == v1::ACCOUNT_STATE_INACTIVE) {
    return Precondition("CUSTOMER_INACTIVE", "this account is inactive");
  }
  if (f.blacklist_reason.has_value()) {
    return Precondition("CUSTOMER_BLACKLISTED",
                        absl::StrCat("this buyer may not place orders",
                                     f.blacklist_reason->empty() ? "" : ": ", *f.blacklist_reason));
  }
  v1::CheckCheckoutResponse out;
  out.set_group_discount_bp(f.discount_bp);
  out.set_group_name(f.group_name);
  out.set_group_id(f.group_id);
  return out;
}

}  // namespace

absl::StatusOr<std::vector<CustomerStore::CheckoutFacts>> CustomerApp::CheckoutFactsOf(
    const std::vector<CustomerStore::CheckoutKey>& keys) {
  std::vector<CustomerStore::CheckoutFacts> facts;
  STORE_RETURN_IF_ERROR(pool_.InTransaction(pg::Isolation::kAutocommit,
                                            [&](pqxx::transaction_base& tx) -> absl::Status {
                                              facts = CustomerStore::Checkouts(tx, keys);
                                              return absl::OkStatus();
                                            }));
  return facts;
}

absl::StatusOr<v1::CheckCheckoutResponse> CustomerApp::CheckCheckout(
    const v1::CheckCheckoutRequest& r) {
  STORE_ASSIGN_OR_RETURN(CustomerStore::CheckoutKey key, CheckoutKeyOf(r));
  STORE_ASSIGN_OR_RETURN(std::vector<CustomerStore::CheckoutFacts> facts, CheckoutFactsOf({key}));
  return CheckoutDecision(r, facts.at(0));
}

absl::StatusOr<v1::CheckCheckoutsResponse> CustomerApp::CheckCheckouts(
    const v1::CheckCheckoutsRequest& request) {
  if (request.checks().empty() || request.checks_size() > kMaxCheckoutChecks) {
    return InvalidField("checks", absl::StrCat("must hold 1 to ", kMaxCheckoutChecks, " checks"));
  }
  v1::CheckCheckoutsResponse out;
  std::vector<CustomerStore::CheckoutKey> keys;
  std::vector<int> asked;  // the checks whose request is valid, by index
  for (int i = 0; i < request.checks_size(); ++i) {
    v1::CheckCheckoutResult* result = out.add_results();
    absl::StatusOr<CustomerStore::CheckoutKey> key = CheckoutKeyOf(request.checks(i));
    if (!key.ok()) {
      *result->mutable_error() =
          ToStatusDetails(WithFieldPrefix(absl::StrCat("checks[", i, "]"), key.status()));
      continue;
    }
    keys.push_back(*std::move(key));
    asked.push_back(i);
  }
  if (keys.empty()) return out;
  STORE_ASSIGN_OR_RETURN(std::vector<CustomerStore::CheckoutFacts> facts, CheckoutFactsOf(keys));
  for (size_t k = 0; k < asked.size(); ++k) {
    const int i = asked[k];
    absl::StatusOr<v1::CheckCheckoutResponse> decision =
        CheckoutDecision(request.checks(i), facts.at(k));
    v1::CheckCheckoutResult* result = out.mutable_results(i);
    if (decision.ok()) {
      *result->mutable_decision() = *std::move(decision);
    } else {
      *result->mutable_error() = ToStatusDetails(decision.status());
    }
  }
  return out;
}

}  // namespace store::customer
