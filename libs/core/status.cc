#include "libs/core/status.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace store {

absl::Status MakeError(absl::StatusCode code, absl::string_view reason, absl::string_view field,
                       absl::string_view message, ErrorMetadata metadata) {
  absl::Status status(code, message);
  common::v1::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_field(std::string(field));
  for (const auto& [key, value] : metadata) {
    (*info.mutable_metadata())[std::string(key)] = value;
  }
  status.SetPayload(kErrorInfoTypeUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

absl::Status InvalidField(absl::string_view field, absl::string_view message) {
  return MakeError(absl::StatusCode::kInvalidArgument, "INVALID_FIELD", field,
                   absl::StrCat(field, ": ", message));
}

absl::Status Precondition(absl::string_view reason, absl::string_view message,
                          ErrorMetadata metadata) {
  return MakeError(absl::StatusCode::kFailedPrecondition, reason, "", message, metadata);
}

absl::Status NotFound(absl::string_view kind, absl::string_view id) {
  return MakeError(absl::StatusCode::kNotFound, "NOT_FOUND", "",
                   absl::StrCat(kind, " ", id, " not found"));
}

std::optional<common::v1::ErrorInfo> GetErrorInfo(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kErrorInfoTypeUrl);
  if (!payload.has_value()) return std::nullopt;
  common::v1::ErrorInfo info;
  if (!info.ParseFromString(std::string(*payload))) return std::nullopt;
  return info;
}

common::v1::StatusDetails ToStatusDetails(const absl::Status& status) {
  common::v1::StatusDetails details;
  if (status.ok()) return details;
  details.set_code(static_cast<int>(status.code()));
  details.set_message(std::string(status.message()));
  if (std::optional<common::v1::ErrorInfo> info = GetErrorInfo(status)) {
    details.add_details()->PackFrom(*info);
  }
  return details;
}

absl::Status WithFieldPrefix(absl::string_view prefix, const absl::Status& status) {
  std::optional<common::v1::ErrorInfo> info = GetErrorInfo(status);
  if (!info.has_value() || info->field().empty()) return status;
  const std::string field = absl::StrCat(prefix, ".", info->field());
  std::string message(status.message());
  if (absl::StartsWith(message, absl::StrCat(info->field(), ": "))) {
    message = absl::StrCat(prefix, ".", message);
  }
  info->set_field(field);
  absl::Status out(status.code(), message);
  out.SetPayload(kErrorInfoTypeUrl, absl::Cord(info->SerializeAsString()));
  return out;
}

}  // namespace store
