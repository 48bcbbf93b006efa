#include "services/customer/app/segment_app.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/core/contact.h"
#include "libs/core/ids.h"
#include "libs/core/paging.h"
#include "libs/core/status.h"
#include "services/customer/domain/segment_rule.h"
#include "services/customer/store/customer_store.h"
#include "services/customer/store/segment_store.h"

namespace store::customer {
namespace {

absl::Status Validate(v1::Segment& s) {
  s.set_name(std::string(absl::StripAsciiWhitespace(s.name())));
  STORE_RETURN_IF_ERROR(ValidateText("segment.name", s.name(), 1, 100));
  STORE_RETURN_IF_ERROR(ValidateText("segment.description", s.description(), 0, 1000));
  if (s.rule().empty()) return InvalidField("segment.rule", "is required");
  return absl::OkStatus();
}

absl::Status NameTaken() {
  return MakeError(absl::StatusCode::kAlreadyExists, "SEGMENT_NAME_TAKEN", "segment.name",
                   "a segment with this name exists");
}

}  // namespace

absl::StatusOr<v1::Segment> SegmentApp::Create(const v1::Segment& in) {
  v1::Segment s = in;
  STORE_RETURN_IF_ERROR(Validate(s));
  s.set_id(NewUuid());
  const absl::Time now = clock_.Now();
  v1::Segment out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    STORE_RETURN_IF_ERROR(
        SegmentStore::Compile(tx, options_.store_currency, s.rule(), now).status());
    if (!SegmentStore::Insert(tx, s, now)) return NameTaken();
    // A new segment is filled silently: nobody "joined" it.
    STORE_RETURN_IF_ERROR(
        SegmentStore::RefreshAll(tx, options_.store_currency, s, now, /*publish=*/false).status());
    out = *SegmentStore::Load(tx, s.id());
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::Segment> SegmentApp::Update(const v1::Segment& in) {
  v1::Segment s = in;
  if (!IsUuid(s.id())) return InvalidField("segment.id", "must be a UUID");
  STORE_RETURN_IF_ERROR(Validate(s));
  const absl::Time now = clock_.Now();
  v1::Segment out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    if (!SegmentStore::Load(tx, s.id()).has_value()) return NotFound("segment", s.id());
    STORE_RETURN_IF_ERROR(
        SegmentStore::Compile(tx, options_.store_currency, s.rule(), now).status());
    if (!SegmentStore::Update(tx, s, now)) return NameTaken();
    // Members who no longer match leave, new matches join (published).
    STORE_RETURN_IF_ERROR(
        SegmentStore::RefreshAll(tx, options_.store_currency, s, now, /*publish=*/true).status());
    out = *SegmentStore::Load(tx, s.id());
    return absl::OkStatus();
  }));
  return out;
}

absl::Status SegmentApp::Delete(const std::string& id) {
  if (!IsUuid(id)) return InvalidField("id", "must be a UUID");
  return pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    if (!SegmentStore::Delete(tx, id)) return NotFound("segment", id);
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::Segment> SegmentApp::Get(const std::string& id) {
  if (!IsUuid(id)) return InvalidField("id", "must be a UUID");
  v1::Segment out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<v1::Segment> s = SegmentStore::Load(tx, id);
    if (!s.has_value()) return NotFound("segment", id);
    out = *s;
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<v1::Segment>> SegmentApp::List() {
  std::vector<v1::Segment> out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    out = SegmentStore::List(tx);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<int64_t> SegmentApp::Count(const v1::CountSegmentMembersRequest& r) {
  const absl::Time now = clock_.Now();
  int64_t count = 0;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::string rule;
    if (r.target_case() == v1::CountSegmentMembersRequest::kSegmentId) {
      if (!IsUuid(r.segment_id())) return InvalidField("segment_id", "must be a UUID");
      std::optional<v1::Segment> s = SegmentStore::Load(tx, r.segment_id());
      if (!s.has_value()) return NotFound("segment", r.segment_id());
      rule = s->rule();
    } else if (r.target_case() == v1::CountSegmentMembersRequest::kRule) {
      rule = r.rule();
    } else {
      return InvalidField("segment_id", "give a segment_id or a rule");
    }
    STORE_ASSIGN_OR_RETURN(CompiledSegment compiled,
                           SegmentStore::Compile(tx, options_.store_currency, rule, now));
    count = SegmentStore::Count(tx, compiled);
    return absl::OkStatus();
  }));
  return count;
}

absl::StatusOr<v1::ListSegmentMembersResponse> SegmentApp::Members(
    const v1::ListSegmentMembersRequest& r) {
  if (!IsUuid(r.segment_id())) return InvalidField("segment_id", "must be a UUID");
  if (r.page_size() < 0) return InvalidField("page_size", "must not be negative");
  const int limit = r.page_size() == 0 ? 100 : std::min(r.page_size(), 1000);
  const std::string binding = absl::StrCat("members:", r.segment_id());
  std::optional<KeysetCursor> after;
  if (!r.page_token().empty()) {
    STORE_ASSIGN_OR_RETURN(after, DecodePageToken(r.page_token(), binding));
  }
  const absl::Time now = clock_.Now();
  v1::ListSegmentMembersResponse out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    out.Clear();
    std::optional<v1::Segment> s = SegmentStore::Load(tx, r.segment_id());
    if (!s.has_value()) return NotFound("segment", r.segment_id());
    STORE_ASSIGN_OR_RETURN(CompiledSegment compiled,
                           SegmentStore::Compile(tx, options_.store_currency, s->rule(), now));
    std::vector<v1::Customer> rows = CustomerStore::List(
        tx, options_.store_currency, v1::CustomerFilter(), compiled.where_sql, compiled.params,
        v1::CUSTOMER_SORT_FIELD_CREATE_TIME, /*ascending=*/true, after, limit);
    const bool more = static_cast<int>(rows.size()) > limit;
    if (more) rows.resize(limit);
    for (auto& c : rows) *out.add_customers() = std::move(c);
    if (more) {
      out.set_next_page_token(EncodePageToken(
          CustomerStore::CursorOf(out.customers(limit - 1), v1::CUSTOMER_SORT_FIELD_CREATE_TIME),
          binding));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<int64_t> SegmentApp::RefreshAll(bool time_relative_only) {
  const absl::Time now = clock_.Now();
  std::vector<v1::Segment> segments;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    segments = SegmentStore::List(tx);
    return absl::OkStatus();
  }));
  int64_t changes = 0;
  for (const auto& s : segments) {
    if (time_relative_only) {
      absl::StatusOr<bool> relative = SegmentRuleIsTimeRelative(s.rule());
      if (!relative.ok() || !*relative) continue;
    }
    STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
      // One refresher at a time across replicas.
      if (!tx.exec1("SELECT pg_try_advisory_xact_lock(7215001)")[0].as<bool>()) {
        return absl::OkStatus();
      }
      absl::StatusOr<int64_t> n =
          SegmentStore::RefreshAll(tx, options_.store_currency, s, now, /*publish=*/true);
      if (n.ok()) changes += *n;
      return absl::OkStatus();
    }));
  }
  return changes;
}

}  // namespace store::customer
