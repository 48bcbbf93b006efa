// HTTP/JSON <-> gRPC messages for one route, with the proto3 JSON mapping:
// the request message is filled from the JSON body (per the route's `body`),
// the query string and the path bindings (which win); the response becomes
// JSON with lowerCamelCase names, int64 as strings and enums as names. Every
// error is INVALID_ARGUMENT naming the field.
#ifndef STORE_SERVICES_GATEWAY_TRANSCODING_TRANSCODER_H_
#define STORE_SERVICES_GATEWAY_TRANSCODING_TRANSCODER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "services/gateway/transcoding/route_table.h"

namespace store::gateway {

// Decoded query parameters in order ("filter.statuses" may repeat).
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Decodes a query string "a=1&b=x%20y&b=z" ('+' is a space);
// INVALID_ARGUMENT for bad percent escapes or a nameless parameter.
absl::Status ParseQuery(absl::string_view query, QueryParams* out);

// Fills `request` (of the route's input type, empty) from the HTTP request.
absl::Status BuildRequest(const Route& route, const Bindings& bindings, const QueryParams& query,
                          absl::string_view body, google::protobuf::Message* request);

// The proto3 JSON of a response message, every field printed (defaults and
// empty lists too; unset messages and oneof members left out).
std::string ResponseJson(const google::protobuf::Message& response);

}  // namespace store::gateway

#endif  // STORE_SERVICES_GATEWAY_TRANSCODING_TRANSCODER_H_
