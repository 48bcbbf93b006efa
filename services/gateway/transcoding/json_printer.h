// The gateway's response JSON: the proto3 JSON mapping of a message, with
// every field printed whether it holds its default or not (protobuf's
// `always_print_primitive_fields`), written in one pass over the message
// by reflection.
//
// Why not protobuf's own MessageToJsonString: with defaults printed it goes
// through a tree of nodes per field (DefaultValueObjectWriter) and was,
// measured under PERF-2 load, the largest cost of the gateway after the
// kernel (libprotobuf 22% of its CPU, most of malloc's 15% besides). The
// output is the same JSON value as protobuf's (json_codec_test compares
// them over every response type of every route); well-known types other
// than Timestamp, Duration, FieldMask and Empty are handed to protobuf.
#ifndef STORE_SERVICES_GATEWAY_TRANSCODING_JSON_PRINTER_H_
#define STORE_SERVICES_GATEWAY_TRANSCODING_JSON_PRINTER_H_

#include <string>

#include "google/protobuf/message.h"

namespace store::gateway {

// Appends `message` as a JSON object to `out`.
void AppendMessageJson(const google::protobuf::Message& message, std::string* out);

}  // namespace store::gateway

#endif  // STORE_SERVICES_GATEWAY_TRANSCODING_JSON_PRINTER_H_
