// Building and reading store.common.v1.EventEnvelope.
#ifndef STORE_LIBS_EVENTS_ENVELOPE_H_
#define STORE_LIBS_EVENTS_ENVELOPE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "store/common/v1/event.pb.h"

namespace store::events {

// A new envelope around `payload` with a fresh event id, the payload's full
// proto name as type, and the current trace.
common::v1::EventEnvelope MakeEnvelope(const google::protobuf::Message& payload,
                                       absl::string_view aggregate_id, int64_t aggregate_version,
                                       absl::string_view source, absl::Time occurred_at);

// Parses a Kafka record value; INVALID_ARGUMENT when it is not an envelope
// (a poison message).
absl::StatusOr<common::v1::EventEnvelope> ParseEnvelope(absl::string_view bytes);

// Unpacks the payload into `out`; INVALID_ARGUMENT when the type differs.
absl::Status UnpackPayload(const common::v1::EventEnvelope& envelope,
                           google::protobuf::Message* out);

// "store.order.v1.OrderPlaced" for an envelope.
std::string PayloadType(const common::v1::EventEnvelope& envelope);

}  // namespace store::events

#endif  // STORE_LIBS_EVENTS_ENVELOPE_H_
