#include "services/customer/app/privacy_app.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/contact.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "libs/core/status.h"
#include "services/customer/app/credentials.h"
#include "services/customer/store/customer_store.h"
#include "services/customer/store/erasure_store.h"
#include "services/customer/store/segment_store.h"
#include "services/customer/store/wallet_store.h"
#include "store/customer/v1/events.pb.h"

namespace store::customer {

using google::protobuf::util::TimeUtil;

namespace {

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out;
}

template <typename T>
std::string JsonArray(const T& items) {
  std::string out = "[";
  bool first = true;
  for (const auto& item : items) {
    absl::StrAppend(&out, first ? "" : ",", Json(item));
    first = false;
  }
  return out + "]";
}

}  // namespace

absl::StatusOr<v1::ExportCustomerDataResponse> PrivacyApp::ExportData(const std::string& id) {
  if (!IsUuid(id)) return InvalidField("customer_id", "must be a UUID");
  v1::Customer customer;
  std::string notes, consents, wallet, segments;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<v1::Customer> c = CustomerStore::Load(tx, options_.store_currency, id, false);
    if (!c.has_value() || absl::StartsWith(c->email(), "erased+")) return NotFound("customer", id);
    customer = *c;
    notes = JsonArray(CustomerStore::ListNotes(tx, id));
    consents = JsonArray(CustomerStore::ListConsents(tx, id));
    std::vector<v1::WalletEntry> entries;
    for (auto& [seq, e] :
         WalletStore::Entries(tx, options_.store_currency, id, std::nullopt, 1'000'000))
      entries.push_back(e);
    wallet = JsonArray(entries);
    std::vector<std::string> names;
    pqxx::result r = tx.exec_params(
        "SELECT s.name FROM segment_members m JOIN segments s ON s.id = m.segment_id"
        " WHERE m.customer_id = $1::uuid ORDER BY s.name", id);
    segments = "[";
    for (int i = 0; i < static_cast<int>(r.size()); ++i) {
      absl::StrAppend(&segments, i ? "," : "", log::JsonQuote(r[i][0].as<std::string>()));
    }
    segments += "]";
    return absl::OkStatus();
  }));
  v1::ExportCustomerDataResponse out;
  std::string json = absl::StrCat(
      "{\"exported_at\":", log::JsonQuote(TimeUtil::ToString(TimeUtil::GetCurrentTime())),
      ",\"customer\":", Json(customer), ",\"notes\":", notes, ",\"consents\":", consents,
      ",\"wallet_entries\":", wallet, ",\"segments\":", segments);
  for (const DataSource& source : sources_) {
    absl::StatusOr<std::string> part = source.fetch(customer);
    if (part.ok()) {
      absl::StrAppend(&json, ",", log::JsonQuote(source.name), ":", *part);
    } else {
      log::Warning("privacy export: a source failed",
                   {{"source", source.name}, {"error", part.status().ToString()}});
      absl::StrAppend(&json, ",", log::JsonQuote(source.name), ":null");
      out.add_missing_sources(source.name);
    }
  }
  json += "}";
  out.set_json(std::move(json));
  return out;
}

absl::StatusOr<v1::ErasureRecord> PrivacyApp::Erase(const v1::EraseCustomerRequest& r,
                                                    const Caller& caller) {
  if (!IsUuid(r.customer_id())) return InvalidField("customer_id", "must be a UUID");
  STORE_RETURN_IF_ERROR(ValidateText("reason", r.reason(), 1, 500));
  const absl::Time now = clock_.Now();
  v1::ErasureRecord record;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<v1::Customer> c =
        CustomerStore::Load(tx, options_.store_currency, r.customer_id(), true, false);
    if (!c.has_value() || absl::StartsWith(c->email(), "erased+")) {
      return NotFound("customer", r.customer_id());
    }
    record.set_id(NewUuid());
    record.set_customer_id(c->id());
    record.set_email_sha256(Sha256Hex(c->email()));
    record.set_phone_sha256(c->phone().empty() ? "" : Sha256Hex(c->phone()));
    record.set_reason(r.reason());
    record.set_requested_by(caller.actor);
    *record.mutable_request_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
    ErasureStore::Insert(tx, record);
    auto [summary, records] = ErasureStore::Anonymise(tx, c->id(), now);
    v1::ErasureStep step;
    step.set_service(kSource);
    step.set_summary(summary);
    step.set_records(records);
    *step.mutable_complete_time() = record.request_time();
    ErasureStore::InsertStep(tx, record.id(), step);
    STORE_RETURN_IF_ERROR(SegmentStore::RefreshFor(tx, options_.store_currency, {c->id()}, now));
    v1::CustomerErased e;
    e.set_customer_id(c->id());
    e.set_erasure_id(record.id());
    e.set_email_sha256(record.email_sha256());
    e.set_phone_sha256(record.phone_sha256());
    PublishCustomerEvent(tx, e, c->id(), c->version() + 1, now);
    record = *ErasureStore::Load(tx, record.id());
    return absl::OkStatus();
  }));
  log::Info("customer erased", {{"customer_id", r.customer_id()}, {"erasure_id", record.id()},
                                {"actor", caller.actor}});
  return record;
}

absl::StatusOr<v1::ErasureRecord> PrivacyApp::GetErasure(const std::string& id) {
  if (!IsUuid(id)) return InvalidField("id", "must be a UUID");
  v1::ErasureRecord out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<v1::ErasureRecord> e = ErasureStore::Load(tx, id);
    if (!e.has_value()) return NotFound("erasure", id);
    out = *e;
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace store::customer
