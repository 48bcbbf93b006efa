// A fast path for the gateway's request JSON: the plain proto3 JSON that
// frontends send (objects, arrays, strings, integers, booleans, enum names,
// fields by JSON or proto name) parsed in one pass straight into the
// message by reflection.
//
// It only ever says "parsed" for input that protobuf's JsonStringToMessage
// parses to the very same message; anything else (maps, well-known types,
// floating point, bytes, null, numbers written as 1e3 or 1.0, enum numbers,
// unknown or repeated fields, malformed JSON...) is left to protobuf, which
// also words every error. json_codec_test and the transcoder fuzzer hold it
// to that. Measured under PERF-2 load, protobuf's parser was a quarter of
// the gateway's CPU.
#ifndef STORE_SERVICES_GATEWAY_TRANSCODING_JSON_PARSER_H_
#define STORE_SERVICES_GATEWAY_TRANSCODING_JSON_PARSER_H_

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace store::gateway {

// Parses `json` into `out` (cleared first) and returns true, or returns
// false leaving `out` in an unspecified state: the caller clears it and
// asks protobuf.
bool ParsePlainJson(absl::string_view json, google::protobuf::Message* out);

}  // namespace store::gateway

#endif  // STORE_SERVICES_GATEWAY_TRANSCODING_JSON_PARSER_H_
