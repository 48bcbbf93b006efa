// Structured logs: one JSON object per line on stderr, with the time, level,
// message, service, the current trace id and request id, and extra fields.
// Secrets never go in a field: log ids, not tokens or passwords.
#ifndef STORE_LIBS_CORE_LOG_H_
#define STORE_LIBS_CORE_LOG_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace store::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

using Fields = std::initializer_list<std::pair<absl::string_view, std::string>>;

// Set once at start-up by main().
void Init(absl::string_view service, Level min_level = Level::kInfo, bool json = true);
Level ParseLevel(absl::string_view text);

void Write(Level level, absl::string_view message, Fields fields = {});
// Whether a message at `level` would be written (to skip building fields).
bool Enabled(Level level);
inline void Debug(absl::string_view m, Fields f = {}) { Write(Level::kDebug, m, f); }
inline void Info(absl::string_view m, Fields f = {}) { Write(Level::kInfo, m, f); }
inline void Warning(absl::string_view m, Fields f = {}) { Write(Level::kWarning, m, f); }
inline void Error(absl::string_view m, Fields f = {}) { Write(Level::kError, m, f); }

// JSON string escaping (quotes included).
std::string JsonQuote(absl::string_view text);

}  // namespace store::log

#endif  // STORE_LIBS_CORE_LOG_H_
