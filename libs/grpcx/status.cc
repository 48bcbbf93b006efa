#include "libs/grpcx/status.h"

#include "absl/strings/cord.h"
#include "libs/core/status.h"

namespace store::grpcx {

grpc::Status GrpcStatusOf(const common::v1::StatusDetails& details) {
  if (details.code() == 0) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(details.code());
  if (details.details().empty()) return grpc::Status(code, details.message());
  return grpc::Status(code, details.message(), details.SerializeAsString());
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  return GrpcStatusOf(ToStatusDetails(status));
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
