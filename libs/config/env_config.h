// Typed configuration from environment variables (12-factor), read once at
// start-up. Every problem is collected, so a misconfigured process fails fast
// listing every missing or malformed variable at once:
//
//   store::EnvConfig env;
//   std::string db = env.Required("DATABASE_URL", "libpq URL of the service's database");
//   int pool = env.Int("DB_POOL_SIZE", 16, 1, 256);
//   if (absl::Status s = env.Check(); !s.ok()) { ...print s and exit 2... }
#ifndef STORE_LIBS_CONFIG_ENV_CONFIG_H_
#define STORE_LIBS_CONFIG_ENV_CONFIG_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace store {

class EnvConfig {
 public:
  // `lookup` defaults to getenv; tests pass a map.
  using Lookup = std::function<const char*(const char*)>;
  EnvConfig();
  explicit EnvConfig(Lookup lookup);

  // A variable that must be set and non-empty. `FOO_FILE` naming a file is
  // accepted instead of `FOO` (for secrets mounted as files).
  std::string Required(absl::string_view name, absl::string_view help);
  std::string Optional(absl::string_view name, absl::string_view default_value);
  int Int(absl::string_view name, int default_value, int min, int max);
  bool Bool(absl::string_view name, bool default_value);
  absl::Duration Duration(absl::string_view name, absl::Duration default_value);
  // An IANA time zone name (Europe/Berlin); its name is in `*name_out` when
  // given.
  absl::TimeZone TimeZone(absl::string_view name, absl::string_view default_value,
                          std::string* name_out = nullptr);
  // host:port where the host must be a literal address or "localhost".
  std::string ListenAddress(absl::string_view name, absl::string_view default_value);

  // Records a problem found by the service's own checks of a value (a
  // secret too short, a URL of the wrong scheme); reported with the rest.
  void Problem(absl::string_view name, absl::string_view message);

  // OK, or INVALID_ARGUMENT listing every problem, one per line.
  absl::Status Check() const;

 private:
  const char* Get(absl::string_view name) const;

  Lookup lookup_;
  std::vector<std::string> problems_;
};

}  // namespace store

#endif  // STORE_LIBS_CONFIG_ENV_CONFIG_H_
