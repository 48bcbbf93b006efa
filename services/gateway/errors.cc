#include "services/gateway/errors.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "libs/core/log.h"
#include "libs/core/status.h"

namespace store::gateway {

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kFailedPrecondition: return 409;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kCancelled: return 499;
    case absl::StatusCode::kUnimplemented: return 501;
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

http::Response ErrorResponse(const absl::Status& status) {
  http::Response response;
  response.status = HttpStatusFor(status.code());
  std::optional<common::v1::ErrorInfo> info = GetErrorInfo(status);
  std::string message;
  std::string reason;
  std::string field;
  if (info.has_value()) {
    message = std::string(status.message());
    reason = info->reason();
    field = info->field();
    if (reason == "METHOD_NOT_ALLOWED") {
      response.status = 405;
      auto allowed = info->metadata().find("allowed");
      if (allowed != info->metadata().end()) response.headers.emplace_back("Allow", allowed->second);
    }
    auto retry = info->metadata().find("retry_after_seconds");
    if (retry != info->metadata().end()) response.headers.emplace_back("Retry-After", retry->second);
  } else {
    switch (status.code()) {
      case absl::StatusCode::kInvalidArgument:
      case absl::StatusCode::kNotFound:
      case absl::StatusCode::kAlreadyExists:
      case absl::StatusCode::kFailedPrecondition:
      case absl::StatusCode::kPermissionDenied:
      case absl::StatusCode::kUnauthenticated:
        message = std::string(status.message());
        break;
      case absl::StatusCode::kUnavailable:
        message = "the service is unavailable; try again shortly";
        break;
      case absl::StatusCode::kDeadlineExceeded:
        message = "the request took too long";
        break;
      case absl::StatusCode::kResourceExhausted:
        message = "too many requests";
        break;
      default:
        message = "internal error";
    }
  }
  response.body = absl::StrCat(
      R"({"code":)", log::JsonQuote(absl::StatusCodeToString(status.code())),
      R"(,"message":)", log::JsonQuote(message), R"(,"reason":)", log::JsonQuote(reason),
      R"(,"field":)", log::JsonQuote(field), "}");
  return response;
}

}  // namespace store::gateway
