// Conversions between absl::Status (used below the edge) and grpc::Status
// (used only at the edge). The ErrorInfo payload travels as a
// store.common.v1.StatusDetails in the grpc-status-details-bin trailer.
#ifndef STORE_LIBS_GRPCX_STATUS_H_
#define STORE_LIBS_GRPCX_STATUS_H_

#include <optional>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/common/v1/error.pb.h"

namespace store::grpcx {

grpc::Status ToGrpcStatus(const absl::Status& status);

// For clients: the absl::Status of a call, ErrorInfo payload included.
absl::Status FromGrpcStatus(const grpc::Status& status);

// The status a StatusDetails (ToStatusDetails in libs/core/status.h)
// describes: OK when its code is 0.
grpc::Status GrpcStatusOf(const common::v1::StatusDetails& details);

// The ErrorInfo a server sent, if any.
std::optional<common::v1::ErrorInfo> ErrorInfoOf(const grpc::Status& status);

// An edge handler's answer: the use case's value into `resp`, or its error
// as a grpc::Status.
template <typename T, typename R>
grpc::Status Reply(absl::StatusOr<T> result, R* resp) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *resp = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace store::grpcx

#endif  // STORE_LIBS_GRPCX_STATUS_H_
