// gRPC status -> HTTP status and the JSON error body (GW-02):
//
//   INVALID_ARGUMENT, OUT_OF_RANGE 400   UNAUTHENTICATED 401
//   PERMISSION_DENIED 403               NOT_FOUND 404
//   ALREADY_EXISTS, ABORTED 409          FAILED_PRECONDITION 409 (the state of
//   the resource forbids it, e.g. cancelling a shipped order; 412 is left to
//   HTTP's own conditional requests)     RESOURCE_EXHAUSTED 429
//   CANCELLED 499                       UNIMPLEMENTED 501
//   UNAVAILABLE 503                     DEADLINE_EXCEEDED 504
//   anything else 500
//
// Body: {"code":"NOT_FOUND","message":"...","reason":"...","field":"..."}.
// Messages come from the services' deliberate errors (those with an
// ErrorInfo); everything else (a backend's connection error, an internal
// failure) gets a fixed message so no internal detail leaks.
#ifndef STORE_SERVICES_GATEWAY_ERRORS_H_
#define STORE_SERVICES_GATEWAY_ERRORS_H_

#include "absl/status/status.h"
#include "services/gateway/http/server.h"

namespace store::gateway {

int HttpStatusFor(absl::StatusCode code);

http::Response ErrorResponse(const absl::Status& status);

}  // namespace store::gateway

#endif  // STORE_SERVICES_GATEWAY_ERRORS_H_
