#include "libs/core/log.h"

#include <cstdio>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/core/trace.h"

namespace store::log {
namespace {

struct State {
  std::string service = "store";
  Level min_level = Level::kInfo;
  bool json = true;
};

State& GetState() {
  static State* const kState = new State();
  return *kState;
}

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarning: return "warning";
    case Level::kError: return "error";
  }
  return "info";
}

}  // namespace

void Init(absl::string_view service, Level min_level, bool json) {
  State& s = GetState();
  s.service = std::string(service);
  s.min_level = min_level;
  s.json = json;
}

Level ParseLevel(absl::string_view text) {
  const std::string t = absl::AsciiStrToLower(text);
  if (t == "debug") return Level::kDebug;
  if (t == "warning" || t == "warn") return Level::kWarning;
  if (t == "error") return Level::kError;
  return Level::kInfo;
}

std::string JsonQuote(absl::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += "\"";
  return out;
}

bool Enabled(Level level) { return level >= GetState().min_level; }

void Write(Level level, absl::string_view message, Fields fields) {
  const State& s = GetState();
  if (level < s.min_level) return;
  const TraceContext& trace = CurrentTrace();
  std::string line;
  if (s.json) {
    line = absl::StrCat("{\"time\":\"", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                                         absl::UTCTimeZone()),
                        "\",\"level\":\"", LevelName(level), "\",\"service\":",
                        JsonQuote(s.service), ",\"msg\":", JsonQuote(message));
    if (!trace.trace_id.empty()) absl::StrAppend(&line, ",\"trace_id\":\"", trace.trace_id, "\"");
    if (!trace.request_id.empty()) {
      absl::StrAppend(&line, ",\"request_id\":", JsonQuote(trace.request_id));
    }
    for (const auto& [key, value] : fields) {
      absl::StrAppend(&line, ",", JsonQuote(key), ":", JsonQuote(value));
    }
    line += "}\n";
  } else {
    line = absl::StrCat(absl::FormatTime("%H:%M:%E3S", absl::Now(), absl::LocalTimeZone()), " ",
                        LevelName(level), " ", message);
    for (const auto& [key, value] : fields) absl::StrAppend(&line, " ", key, "=", value);
    if (!trace.trace_id.empty()) absl::StrAppend(&line, " trace_id=", trace.trace_id);
    line += "\n";
  }
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace store::log
