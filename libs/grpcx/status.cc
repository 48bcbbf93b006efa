#include "libs/grpcx/status.h"

#include "absl/strings/cord.h"
#include "libs/core/status.h"

namespace store::grpcx {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  std::string message(status.message());
  std::optional<common::v1::ErrorInfo> info = GetErrorInfo(status);
  if (!info.has_value()) return grpc::Status(code, message);
  common::v1::StatusDetails details;
  details.set_code(static_cast<int>(code));
  details.set_message(message);
  details.add_details()->PackFrom(*info);
  return grpc::Status(code, message, details.SerializeAsString());
}

std::optional<common::v1::ErrorInfo> ErrorInfoOf(const grpc::Status& status) {
  if (status.error_details().empty()) return std::nullopt;
  common::v1::StatusDetails details;
  if (!details.ParseFromString(status.error_details())) return std::nullopt;
  for (const auto& any : details.details()) {
    common::v1::ErrorInfo info;
    if (any.UnpackTo(&info)) return info;
  }
  return std::nullopt;
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  if (std::optional<common::v1::ErrorInfo> info = ErrorInfoOf(status)) {
    out.SetPayload(kErrorInfoTypeUrl, absl::Cord(info->SerializeAsString()));
  }
  return out;
}

}  // namespace store::grpcx
