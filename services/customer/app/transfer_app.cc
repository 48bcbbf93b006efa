#include "services/customer/app/transfer_app.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/contact.h"
#include "libs/core/csv.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "libs/core/money.h"
#include "libs/core/status.h"
#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "services/customer/app/credentials.h"
#include "services/customer/app/customer_options.h"
#include "services/customer/domain/customer_rules.h"
#include "services/customer/store/customer_store.h"
#include "services/customer/store/segment_store.h"
#include "store/customer/v1/events.pb.h"
#include "store/topics.h"

namespace store::customer {

using google::protobuf::util::TimeUtil;

struct ImportSession::Row {
  int64_t row = 0, line = 0;
  std::string id, email, name, phone, country, group_id, tax_exempt, custom = "{}", password_hash;
  std::optional<bool> accepts_marketing;
};

namespace {

constexpr absl::string_view kRequired[] = {"name", "email"};
constexpr char kConsentSource[] = "import";
// Columns of our own export are accepted (and ignored) so an export can be
// edited and imported back.
constexpr absl::string_view kKnown[] = {"password",    "phone",          "country",
                                        "group",       "tax_exempt",     "accepts_marketing",
                                        "id",          "email_verified", "state",
                                        "blocked",     "guest",          "orders_count",
                                        "total_spent", "first_order_at", "last_order_at",
                                        "created_at",  "wallet_balance", "country_code"};

// "12.50": the amount in major units, as a spreadsheet reads it.
std::string Major(int64_t minor, const std::string& currency) {
  std::string s = FormatMoney(minor, currency);
  return s.substr(0, s.find(' '));
}

absl::StatusOr<std::optional<bool>> ParseBool(absl::string_view field, absl::string_view v) {
  const std::string s = absl::AsciiStrToLower(absl::StripAsciiWhitespace(v));
  if (s.empty()) return std::optional<bool>();
  if (s == "true" || s == "yes" || s == "1" || s == "y") return std::optional<bool>(true);
  if (s == "false" || s == "no" || s == "0" || s == "n") return std::optional<bool>(false);
  return InvalidField(field, "must be true or false (yes/no, 1/0)");
}

// Undoes the CSV-injection escape of our own export (libs/core/csv.h writes
// "'=x" for a cell "=x", "'+4930..." for a phone), so an exported file
// imports back unchanged: a leading apostrophe before = + - @ tab or CR is
// dropped.
absl::string_view Unescape(absl::string_view v) {
  if (v.size() >= 2 && v[0] == '\'' &&
      (v[1] == '=' || v[1] == '+' || v[1] == '-' || v[1] == '@' || v[1] == '\t' || v[1] == '\r')) {
    v.remove_prefix(1);
  }
  return v;
}

// A record-level CSV problem ("field 2: stray quote") with the column's name
// from the header ("email: stray quote (field 2)").
std::string RecordError(const CsvHeader& header, const std::string& error) {
  absl::string_view rest = error;
  int field = 0;
  const size_t colon = rest.find(": ");
  if (absl::ConsumePrefix(&rest, "field ") && colon != absl::string_view::npos &&
      absl::SimpleAtoi(rest.substr(0, colon - 6), &field) && field >= 1 &&
      static_cast<size_t>(field) <= header.size()) {
    return absl::StrCat(header.columns()[field - 1], ": ", error.substr(colon + 2), " (field ",
                        field, ")");
  }
  return error;
}

// Statements of a batch; $1..$9 and $12 are parallel arrays, one element per
// row. $12 is the row's email consent change: '' none, 'g' granted, 'w'
// withdrawn; $13 / $14 the ConsentState written for a grant / a withdrawal
// (base64), the same for every row of the batch.
constexpr char kBatchInput[] =
    "WITH x AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],"
    " $6::text[], $7::text[], $8::text[], $9::text[], $12::text[])"
    " AS x(id, email, name, phone, country, group_id, tax_exempt, custom, pw, consent)) ";
const pg::Statement kImportUpdate(
    "imp_update",
    absl::StrCat(
        kBatchInput,
        "UPDATE customers c SET name = x.name,"
        " phone = CASE WHEN x.phone <> '' THEN x.phone ELSE c.phone END,"
        " country = CASE WHEN x.country <> '' THEN x.country ELSE c.country END,"
        " group_id = CASE WHEN x.group_id <> '' THEN x.group_id::uuid"
        "  WHEN c.guest AND x.pw <> '' THEN NULLIF($10, '')::uuid ELSE c.group_id END,"
        " tax_exempt = coalesce(NULLIF(x.tax_exempt, '')::boolean, c.tax_exempt),"
        " custom = c.custom || x.custom::jsonb,"
        " password_hash = coalesce(NULLIF(x.pw, ''), c.password_hash),"
        " accepts_marketing = CASE x.consent WHEN 'g' THEN true WHEN 'w' THEN false"
        "  ELSE c.accepts_marketing END,"
        " email_consent = CASE x.consent WHEN 'g' THEN decode($13, 'base64')"
        "  WHEN 'w' THEN decode($14, 'base64') ELSE c.email_consent END,"
        " guest = c.guest AND x.pw = '', version = c.version + 1, updated_at = $11::timestamptz"
        // `c.email = ANY($2)` as well: an index scan of the batch's emails
        // whatever plan is cached (a join alone was planned as a scan of the
        // whole table once the statement's generic plan was made on a small
        // table: quadratic time for a large import).
        " FROM x WHERE c.email = ANY($2::text[]) AND c.email = x.email AND c.erased_at IS NULL"
        " RETURNING c.id::text, c.email"));
const pg::Statement kImportInsert(
    "imp_insert",
    absl::StrCat(
        kBatchInput,
        "INSERT INTO customers (id, email, name, phone, country, group_id, tax_exempt, custom,"
        " password_hash, accepts_marketing, email_consent, state, guest, created_at, updated_at)"
        " SELECT x.id, x.email, x.name, x.phone, x.country,"
        " coalesce(NULLIF(x.group_id, '')::uuid, NULLIF($10, '')::uuid),"
        " coalesce(NULLIF(x.tax_exempt, '')::boolean, false), x.custom::jsonb, NULLIF(x.pw, ''),"
        " x.consent = 'g', CASE x.consent WHEN 'g' THEN decode($13, 'base64')"
        "  WHEN 'w' THEN decode($14, 'base64') END,"
        // Existing emails are skipped by the unique index (per row, not by
        // an anti-join over the whole table).
        " 2, false, $11::timestamptz, $11::timestamptz FROM x"
        " ON CONFLICT (email) DO NOTHING RETURNING id::text, email"));
const pg::Statement kImportOldConsent(
    "imp_old_consent",
    "SELECT email, accepts_marketing FROM customers WHERE email = ANY($1::text[])");
// The consent ledger lines of a batch (as RecordConsent writes them, one
// statement for all).
const pg::Statement kImportConsents(
    "imp_consents",
    "INSERT INTO consent_records (id, customer_id, channel, granted, level, source,"
    " wording_version, ip, actor, created_at)"
    " SELECT x.id, x.customer_id, $4::smallint, x.granted, x.level, $5, '', '', $6,"
    " $7::timestamptz FROM unnest($1::uuid[], $2::uuid[], $3::boolean[], $8::smallint[])"
    " AS x(id, customer_id, granted, level)");

}  // namespace

ImportSession::ImportSession(pg::Pool& pool, const Clock& clock, CustomerOptions options,
                             bool update_existing, Caller caller)
    : pool_(pool),
      clock_(clock),
      options_(std::move(options)),
      update_existing_(update_existing),
      caller_(std::move(caller)) {}

ImportSession::~ImportSession() = default;

absl::Status ImportSession::Prepare() {
  return pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    for (auto& f : CustomerStore::ListCustomFields(tx)) fields_[f.key()] = f;
    for (auto& g : CustomerStore::ListGroups(tx)) groups_[absl::AsciiStrToLower(g.name())] = g.id();
    return absl::OkStatus();
  });
}

void ImportSession::Reject(const CsvReader::Record& record, std::string email, std::string reason,
                           v1::ImportCustomersResponse* out) {
  v1::ImportRowResult* r = out->add_rows();
  r->set_row(record.number);
  r->set_line(record.line);
  r->set_outcome(v1::IMPORT_OUTCOME_REJECTED);
  r->set_email(std::move(email));
  r->set_reason(std::move(reason));
  ++rejected_;
}

absl::Status ImportSession::Feed(absl::string_view chunk, v1::ImportCustomersResponse* out) {
  reader_.Feed(chunk);
  return Drain(false, out);
}

absl::Status ImportSession::Finish(v1::ImportCustomersResponse* out) {
  reader_.Finish();
  STORE_RETURN_IF_ERROR(Drain(true, out));
  if (!header_.has_value()) return InvalidField("chunk", "the file is empty: expected a header");
  return absl::OkStatus();
}

absl::Status ImportSession::Drain(bool final, v1::ImportCustomersResponse* out) {
  CsvReader::Record rec;
  while (reader_.Next(rec)) {
    if (!header_.has_value()) {
      if (!rec.ok()) return InvalidField("header", rec.error);
      STORE_RETURN_IF_ERROR(Prepare());
      std::vector<std::string> allowed_storage;
      for (auto k : kKnown) allowed_storage.emplace_back(k);
      for (const auto& [key, def] : fields_) allowed_storage.push_back("custom." + key);
      std::vector<absl::string_view> allowed(allowed_storage.begin(), allowed_storage.end());
      STORE_ASSIGN_OR_RETURN(CsvHeader h, CsvHeader::Parse(rec, kRequired, allowed));
      header_ = std::move(h);
      continue;
    }
    auto get = [&](absl::string_view column) -> std::string {
      std::optional<absl::string_view> v = header_->Get(rec, column);
      return v.has_value() ? std::string(absl::StripAsciiWhitespace(Unescape(*v))) : std::string();
    };
    const std::string raw_email = get("email");
    if (!rec.ok()) {
      Reject(rec, raw_email, RecordError(*header_, rec.error), out);
      continue;
    }
    // A row with cells missing or extra is shifted: none of it can be trusted.
    if (rec.fields.size() != header_->size()) {
      Reject(rec, raw_email,
             absl::StrCat("row: has ", rec.fields.size(), " fields but the header has ",
                          header_->size(), " columns"),
             out);
      continue;
    }
    Row row;
    row.row = rec.number;
    row.line = rec.line;
    absl::Status st = [&]() -> absl::Status {
      STORE_ASSIGN_OR_RETURN(row.email, NormalizeEmail("email", raw_email));
      row.name = get("name");
      STORE_RETURN_IF_ERROR(ValidateText("name", row.name, 1, 200));
      if (const std::string p = get("phone"); !p.empty()) {
        STORE_ASSIGN_OR_RETURN(row.phone, NormalizePhone("phone", p));
      }
      std::string country = get("country");
      if (country.empty()) country = get("country_code");
      STORE_ASSIGN_OR_RETURN(row.country, NormalizeCountry("country", country));
      if (const std::string g = get("group"); !g.empty()) {
        auto it = groups_.find(absl::AsciiStrToLower(g));
        if (it == groups_.end()) return InvalidField("group", "no such customer group");
        row.group_id = it->second;
      }
      STORE_ASSIGN_OR_RETURN(std::optional<bool> tax, ParseBool("tax_exempt", get("tax_exempt")));
      if (tax.has_value()) row.tax_exempt = *tax ? "true" : "false";
      STORE_ASSIGN_OR_RETURN(row.accepts_marketing,
                             ParseBool("accepts_marketing", get("accepts_marketing")));
      google::protobuf::Struct custom;
      for (const auto& [key, def] : fields_) {
        std::optional<absl::string_view> v = header_->Get(rec, "custom." + key);
        if (!v.has_value() || v->empty()) continue;
        STORE_ASSIGN_OR_RETURN(std::string value, NormalizeCustomValue(def, Unescape(*v)));
        (*custom.mutable_fields())[key].set_string_value(value);
      }
      if (!custom.fields().empty()) {
        row.custom.clear();
        (void)google::protobuf::util::MessageToJsonString(custom, &row.custom);
      }
      if (const std::string p = get("password"); !p.empty()) {
        STORE_RETURN_IF_ERROR(ValidatePassword("password", p));
        STORE_ASSIGN_OR_RETURN(row.password_hash, HashPassword(p));
      }
      return absl::OkStatus();
    }();
    if (!st.ok()) {
      Reject(rec, raw_email, std::string(st.message()), out);
      continue;
    }
    if (batch_emails_.count(row.email)) STORE_RETURN_IF_ERROR(Flush(out));  // same email twice
    row.id = NewUuid();
    batch_emails_.insert(row.email);
    batch_.push_back(std::move(row));
    if (batch_.size() >= kImportBatchRows) STORE_RETURN_IF_ERROR(Flush(out));
  }
  if (final) STORE_RETURN_IF_ERROR(Flush(out));
  out->set_created(created_);
  out->set_updated(updated_);
  out->set_rejected(rejected_);
  return absl::OkStatus();
}

absl::Status ImportSession::Flush(v1::ImportCustomersResponse* out) {
  if (batch_.empty()) return absl::OkStatus();
  std::vector<std::string> ids, emails, names, phones, countries, groups, taxes, customs, pws;
  for (const Row& r : batch_) {
    ids.push_back(r.id);
    emails.push_back(r.email);
    names.push_back(r.name);
    phones.push_back(r.phone);
    countries.push_back(r.country);
    groups.push_back(r.group_id);
    taxes.push_back(r.tax_exempt);
    customs.push_back(r.custom);
    pws.push_back(r.password_hash);
  }
  const absl::Time now = clock_.Now();
  std::map<std::string, std::string> updated, created;  // email -> id
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    updated.clear();
    created.clear();
    std::string default_group = CustomerStore::LoadSettings(tx).default_group_id();
    if (default_group.empty()) default_group = kDefaultGroupId;
    std::map<std::string, bool> old_consent;
    for (const auto& r : tx.exec_prepared(kImportOldConsent.name, TextArray(emails))) {
      old_consent[r[0].as<std::string>()] = r[1].as<bool>();
    }
    // Consent changes, decided per row against the state before the batch:
    // a new customer's grant, or an existing one's change (RecordConsent's
    // rules, written in bulk below).
    std::vector<std::string> consents;
    for (const Row& r : batch_) {
      std::string change;
      if (r.accepts_marketing.has_value()) {
        auto old = old_consent.find(r.email);
        if (old == old_consent.end() ? *r.accepts_marketing : old->second != *r.accepts_marketing) {
          change = *r.accepts_marketing ? "g" : "w";
        }
      }
      consents.push_back(std::move(change));
    }
    auto state = [&](bool granted) {
      v1::ConsentState st;
      st.set_granted(granted);
      st.set_level(granted ? v1::CONSENT_LEVEL_SINGLE_OPT_IN : v1::CONSENT_LEVEL_UNSPECIFIED);
      st.set_source(kConsentSource);
      *st.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
      return absl::Base64Escape(st.SerializeAsString());
    };
    const auto args = std::make_tuple(
        TextArray(ids), TextArray(emails), TextArray(names), TextArray(phones),
        TextArray(countries), TextArray(groups), TextArray(taxes), TextArray(customs),
        TextArray(pws), default_group, PgTime(now), TextArray(consents), state(true), state(false));
    auto run = [&](const pg::Statement& st, std::map<std::string, std::string>& into) {
      pqxx::result res =
          std::apply([&](const auto&... a) { return tx.exec_prepared(st.name, a...); }, args);
      for (const auto& r : res) into[r[1].as<std::string>()] = r[0].as<std::string>();
    };
    // Only what can match: no UPDATE when no email of the batch exists, no
    // INSERT when all do.
    if (update_existing_ && !old_consent.empty()) run(kImportUpdate, updated);
    if (old_consent.size() < batch_.size()) run(kImportInsert, created);
    std::vector<std::string> touched;
    for (const auto& [e, id] : updated) touched.push_back(id);
    for (const auto& [e, id] : created) touched.push_back(id);
    // The ledger lines and ConsentChanged events of the rows stored.
    std::vector<common::v1::EventEnvelope> envelopes;
    std::vector<std::string> record_ids, record_customers, record_granted, record_levels;
    for (size_t i = 0; i < batch_.size(); ++i) {
      if (consents[i].empty()) continue;
      const Row& r = batch_[i];
      auto up = updated.find(r.email);
      auto cr = created.find(r.email);
      if (up == updated.end() && cr == created.end()) continue;
      v1::ConsentRecord rec;
      rec.set_id(NewUuid());
      rec.set_customer_id(up != updated.end() ? up->second : cr->second);
      rec.set_channel(v1::CONSENT_CHANNEL_EMAIL);
      rec.set_granted(consents[i] == "g");
      rec.set_level(rec.granted() ? v1::CONSENT_LEVEL_SINGLE_OPT_IN
                                  : v1::CONSENT_LEVEL_UNSPECIFIED);
      rec.set_source(kConsentSource);
      rec.set_actor(caller_.actor);
      *rec.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
      record_ids.push_back(rec.id());
      record_customers.push_back(rec.customer_id());
      record_granted.push_back(rec.granted() ? "true" : "false");
      record_levels.push_back(absl::StrCat(static_cast<int>(rec.level())));
      v1::ConsentChanged e;
      e.set_customer_id(rec.customer_id());
      e.set_email(r.email);
      *e.mutable_record() = std::move(rec);
      envelopes.push_back(events::MakeEnvelope(e, e.customer_id(), 0, kSource, now));
    }
    if (!record_ids.empty()) {
      tx.exec_prepared(kImportConsents.name, TextArray(record_ids), TextArray(record_customers),
                       TextArray(record_granted), static_cast<int>(v1::CONSENT_CHANNEL_EMAIL),
                       kConsentSource, caller_.actor, PgTime(now), TextArray(record_levels));
    }
    for (v1::Customer& c : CustomerStore::LoadMany(tx, options_.store_currency, touched)) {
      if (created.count(c.email())) {
        v1::CustomerRegistered e;
        *e.mutable_customer() = c;
        e.set_source("import");
        envelopes.push_back(events::MakeEnvelope(e, c.id(), c.version(), kSource, now));
      } else {
        v1::CustomerUpdated e;
        *e.mutable_customer() = c;
        e.add_changed_fields("import");
        envelopes.push_back(events::MakeEnvelope(e, c.id(), c.version(), kSource, now));
      }
    }
    events::AppendManyToOutbox(tx, customer::v1::kCustomersTopic, envelopes);
    return SegmentStore::RefreshFor(tx, options_.store_currency, touched, now);
  }));
  for (const Row& r : batch_) {
    v1::ImportRowResult* res = out->add_rows();
    res->set_row(r.row);
    res->set_line(r.line);
    res->set_email(r.email);
    if (auto it = created.find(r.email); it != created.end()) {
      res->set_outcome(v1::IMPORT_OUTCOME_CREATED);
      res->set_customer_id(it->second);
      ++created_;
    } else if (auto it2 = updated.find(r.email); it2 != updated.end()) {
      res->set_outcome(v1::IMPORT_OUTCOME_UPDATED);
      res->set_customer_id(it2->second);
      ++updated_;
    } else {
      res->set_outcome(v1::IMPORT_OUTCOME_REJECTED);
      res->set_reason(update_existing_
                          ? "email: a customer with this email was created meanwhile; "
                            "import the row again"
                          : "email: a customer with this email exists (update_existing "
                            "is off)");
      ++rejected_;
    }
  }
  batch_.clear();
  batch_emails_.clear();
  return absl::OkStatus();
}

absl::Status TransferApp::Export(const v1::CustomerFilter& filter,
                                 const std::function<bool(const std::string&)>& sink) {
  std::vector<v1::CustomField> fields;
  std::map<std::string, std::string> group_names;
  std::string seg_sql;
  std::vector<std::string> seg_params;
  const absl::Time now = clock_.Now();
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    fields = CustomerStore::ListCustomFields(tx);
    for (auto& g : CustomerStore::ListGroups(tx)) group_names[g.id()] = g.name();
    if (!filter.segment_id().empty()) {
      if (!IsUuid(filter.segment_id())) return InvalidField("filter.segment_id", "must be a UUID");
      std::optional<v1::Segment> s = SegmentStore::Load(tx, filter.segment_id());
      if (!s.has_value()) return InvalidField("filter.segment_id", "no such segment");
      STORE_ASSIGN_OR_RETURN(CompiledSegment c,
                             SegmentStore::Compile(tx, options_.store_currency, s->rule(), now));
      seg_sql = c.where_sql;
      seg_params = c.params;
    }
    return absl::OkStatus();
  }));
  std::vector<std::string> header = {"id",
                                     "email",
                                     "name",
                                     "phone",
                                     "country",
                                     "group",
                                     "tax_exempt",
                                     "accepts_marketing",
                                     "email_verified",
                                     "state",
                                     "blocked",
                                     "guest",
                                     "orders_count",
                                     "total_spent",
                                     "first_order_at",
                                     "last_order_at",
                                     "wallet_balance",
                                     "created_at"};
  for (const auto& f : fields) header.push_back("custom." + f.key());
  std::string buf = CsvRecord(header);
  auto time = [](const google::protobuf::Timestamp& t, bool has) {
    return has ? TimeUtil::ToString(t) : std::string();
  };
  std::optional<KeysetCursor> after;
  constexpr int kPage = 1000;
  while (true) {
    std::vector<v1::Customer> rows;
    STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
      rows = CustomerStore::List(tx, options_.store_currency, filter, seg_sql, seg_params,
                                 v1::CUSTOMER_SORT_FIELD_CREATE_TIME, true, after, kPage);
      return absl::OkStatus();
    }));
    const bool more = static_cast<int>(rows.size()) > kPage;
    if (more) rows.resize(kPage);
    for (const v1::Customer& c : rows) {
      std::vector<std::string> rec = {
          c.id(),
          c.email(),
          c.name(),
          c.phone(),
          c.country_code(),
          group_names.count(c.group_id()) ? group_names[c.group_id()] : "",
          c.tax_exempt() ? "true" : "false",
          c.email_marketing().granted() ? "true" : "false",
          c.email_verified() ? "true" : "false",
          absl::AsciiStrToLower(v1::AccountState_Name(c.state()).substr(14)),
          c.blocked() ? "true" : "false",
          c.guest() ? "true" : "false",
          absl::StrCat(c.facts().orders_count()),
          Major(c.facts().total_spent().amount_minor(), options_.store_currency),
          time(c.facts().first_order_time(), c.facts().has_first_order_time()),
          time(c.facts().last_order_time(), c.facts().has_last_order_time()),
          Major(c.wallet_balance().amount_minor(), options_.store_currency),
          TimeUtil::ToString(c.create_time())};
      for (const auto& f : fields) {
        auto it = c.custom_fields().find(f.key());
        rec.push_back(it == c.custom_fields().end() ? "" : it->second);
      }
      buf += CsvRecord(rec);
      if (buf.size() >= 64 * 1024) {
        if (!sink(buf)) return absl::CancelledError("the client went away");
        buf.clear();
      }
    }
    if (!more) break;
    after = CustomerStore::CursorOf(rows.back(), v1::CUSTOMER_SORT_FIELD_CREATE_TIME);
  }
  if (!buf.empty() && !sink(buf)) return absl::CancelledError("the client went away");
  return absl::OkStatus();
}

}  // namespace store::customer
