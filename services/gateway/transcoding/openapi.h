// The OpenAPI 3 document of the gateway, generated from the same route
// annotations and message descriptors the gateway transcodes with (GW-06).
#ifndef STORE_SERVICES_GATEWAY_TRANSCODING_OPENAPI_H_
#define STORE_SERVICES_GATEWAY_TRANSCODING_OPENAPI_H_

#include <string>

#include "absl/strings/string_view.h"
#include "services/gateway/transcoding/route_table.h"

namespace store::gateway {

// JSON text of an OpenAPI 3.0.3 document: one operation per route (path and
// query parameters, JSON request body, JSON or streamed response, the roles
// in `x-roles`, bearer-token security unless public), schemas for every
// message reachable from the routes (proto3 JSON mapping), and the error body.
std::string OpenApiDocument(const RouteTable& routes, absl::string_view title,
                            absl::string_view version);

}  // namespace store::gateway

#endif  // STORE_SERVICES_GATEWAY_TRANSCODING_OPENAPI_H_
