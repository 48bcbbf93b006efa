#include "libs/events/envelope.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/ids.h"
#include "libs/core/trace.h"

namespace store::events {

common::v1::EventEnvelope MakeEnvelope(const google::protobuf::Message& payload,
                                       absl::string_view aggregate_id, int64_t aggregate_version,
                                       absl::string_view source, absl::Time occurred_at) {
  common::v1::EventEnvelope env;
  env.set_event_id(NewUuid());
  env.set_type(payload.GetDescriptor()->full_name());
  env.set_aggregate_id(std::string(aggregate_id));
  env.set_aggregate_version(aggregate_version);
  *env.mutable_occurred_at() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(occurred_at));
  env.set_source(std::string(source));
  env.set_traceparent(CurrentTrace().Traceparent());
  env.mutable_payload()->PackFrom(payload);
  return env;
}

absl::StatusOr<common::v1::EventEnvelope> ParseEnvelope(absl::string_view bytes) {
  common::v1::EventEnvelope env;
  if (!env.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      env.event_id().empty() || env.type().empty() || !env.has_payload()) {
    return absl::InvalidArgumentError("not a store.common.v1.EventEnvelope");
  }
  return env;
}

absl::Status UnpackPayload(const common::v1::EventEnvelope& envelope,
                           google::protobuf::Message* out) {
  if (!envelope.payload().UnpackTo(out)) {
    return absl::InvalidArgumentError(absl::StrCat("payload is not a ",
                                                   out->GetDescriptor()->full_name()));
  }
  return absl::OkStatus();
}

std::string PayloadType(const common::v1::EventEnvelope& envelope) {
  absl::string_view url = envelope.payload().type_url();
  const size_t slash = url.rfind('/');
  return std::string(slash == absl::string_view::npos ? url : url.substr(slash + 1));
}

}  // namespace store::events
