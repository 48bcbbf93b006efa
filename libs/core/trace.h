// W3C trace context (traceparent) carried through a request on the current
// thread: from gRPC metadata into logs, outbound calls and event envelopes.
#ifndef STORE_LIBS_CORE_TRACE_H_
#define STORE_LIBS_CORE_TRACE_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace store {

struct TraceContext {
  std::string trace_id;   // 32 hex digits
  std::string span_id;    // 16 hex digits
  std::string request_id; // x-request-id, if the caller sent one
  std::string actor;      // x-actor, if the caller sent one

  // "00-<trace_id>-<span_id>-01", or "" when there is no trace.
  std::string Traceparent() const;
};

// Parses "00-<32 hex>-<16 hex>-<2 hex>"; nullopt when malformed.
std::optional<TraceContext> ParseTraceparent(absl::string_view header);

// A fresh trace with random ids.
TraceContext NewTrace();

// A child span of `parent` (same trace id, new span id).
TraceContext ChildSpan(const TraceContext& parent);

// The trace of the request being handled on this thread (empty outside one).
const TraceContext& CurrentTrace();

// Installs `trace` as the current one for the scope's lifetime.
class ScopedTrace {
 public:
  explicit ScopedTrace(TraceContext trace);
  ~ScopedTrace();
  ScopedTrace(const ScopedTrace&) = delete;
  ScopedTrace& operator=(const ScopedTrace&) = delete;

 private:
  TraceContext previous_;
};

}  // namespace store

#endif  // STORE_LIBS_CORE_TRACE_H_
