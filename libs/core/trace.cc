#include "libs/core/trace.h"

#include <random>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace store {
namespace {

thread_local TraceContext current_trace;

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isxdigit(c) || absl::ascii_isupper(c)) return false;
  }
  return true;
}

std::string RandomHex(int bytes) {
  thread_local absl::BitGen gen;
  std::string out;
  for (int i = 0; i < bytes; ++i) absl::StrAppendFormat(&out, "%02x", absl::Uniform<int>(gen, 0, 256));
  return out;
}

}  // namespace

std::string TraceContext::Traceparent() const {
  if (trace_id.empty()) return "";
  return absl::StrCat("00-", trace_id, "-", span_id, "-01");
}

std::optional<TraceContext> ParseTraceparent(absl::string_view header) {
  if (header.size() != 55 || header[2] != '-' || header[35] != '-' || header[52] != '-') {
    return std::nullopt;
  }
  absl::string_view version = header.substr(0, 2);
  absl::string_view trace_id = header.substr(3, 32);
  absl::string_view span_id = header.substr(36, 16);
  if (!IsLowerHex(version) || version == "ff" || !IsLowerHex(trace_id) || !IsLowerHex(span_id) ||
      !IsLowerHex(header.substr(53, 2)) || trace_id == std::string(32, '0') ||
      span_id == std::string(16, '0')) {
    return std::nullopt;
  }
  TraceContext t;
  t.trace_id = std::string(trace_id);
  t.span_id = std::string(span_id);
  return t;
}

TraceContext NewTrace() {
  TraceContext t;
  t.trace_id = RandomHex(16);
  t.span_id = RandomHex(8);
  return t;
}

TraceContext ChildSpan(const TraceContext& parent) {
  if (parent.trace_id.empty()) return NewTrace();
  TraceContext t = parent;
  t.span_id = RandomHex(8);
  return t;
}

const TraceContext& CurrentTrace() { return current_trace; }

ScopedTrace::ScopedTrace(TraceContext trace) : previous_(std::move(current_trace)) {
  current_trace = std::move(trace);
}

ScopedTrace::~ScopedTrace() { current_trace = std::move(previous_); }

}  // namespace store
