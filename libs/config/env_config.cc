#include "libs/config/env_config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace store {

EnvConfig::EnvConfig() : EnvConfig([](const char* name) { return std::getenv(name); }) {}

EnvConfig::EnvConfig(Lookup lookup) : lookup_(std::move(lookup)) {}

const char* EnvConfig::Get(absl::string_view name) const {
  const char* value = lookup_(std::string(name).c_str());
  return (value != nullptr && *value != '\0') ? value : nullptr;
}

std::string EnvConfig::Required(absl::string_view name, absl::string_view help) {
  if (const char* v = Get(name)) return v;
  const std::string file_var = absl::StrCat(name, "_FILE");
  if (const char* path = Get(file_var)) {
    std::ifstream in(path);
    if (!in) {
      problems_.push_back(absl::StrCat(file_var, "=", path, ": cannot read the file"));
      return "";
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return std::string(absl::StripTrailingAsciiWhitespace(ss.str()));
  }
  problems_.push_back(absl::StrCat(name, " is not set (", help, ")"));
  return "";
}

std::string EnvConfig::Optional(absl::string_view name, absl::string_view default_value) {
  const char* v = Get(name);
  return v != nullptr ? std::string(v) : std::string(default_value);
}

int EnvConfig::Int(absl::string_view name, int default_value, int min, int max) {
  const char* v = Get(name);
  if (v == nullptr) return default_value;
  int parsed = 0;
  if (!absl::SimpleAtoi(v, &parsed) || parsed < min || parsed > max) {
    problems_.push_back(absl::StrCat(name, "=", v, ": must be an integer in ", min, "..", max));
    return default_value;
  }
  return parsed;
}

bool EnvConfig::Bool(absl::string_view name, bool default_value) {
  const char* v = Get(name);
  if (v == nullptr) return default_value;
  const std::string t = absl::AsciiStrToLower(v);
  if (t == "1" || t == "true" || t == "yes" || t == "on") return true;
  if (t == "0" || t == "false" || t == "no" || t == "off") return false;
  problems_.push_back(absl::StrCat(name, "=", v, ": must be true or false"));
  return default_value;
}

absl::Duration EnvConfig::Duration(absl::string_view name, absl::Duration default_value) {
  const char* v = Get(name);
  if (v == nullptr) return default_value;
  absl::Duration d;
  if (!absl::ParseDuration(v, &d) || d < absl::ZeroDuration()) {
    problems_.push_back(absl::StrCat(name, "=", v, ": must be a duration such as 500ms, 30s, 5m"));
    return default_value;
  }
  return d;
}

absl::TimeZone EnvConfig::TimeZone(absl::string_view name, absl::string_view default_value,
                                   std::string* name_out) {
  const std::string v = Optional(name, default_value);
  if (name_out != nullptr) *name_out = v;
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(v, &zone)) {
    problems_.push_back(
        absl::StrCat(name, "=", v, ": not an IANA time zone name (e.g. Europe/Berlin)"));
  }
  return zone;
}

std::string EnvConfig::ListenAddress(absl::string_view name, absl::string_view default_value) {
  std::string v = Optional(name, default_value);
  const size_t colon = v.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(v).substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    problems_.push_back(absl::StrCat(name, "=", v, ": must be host:port, e.g. 127.0.0.1:50051"));
  }
  return v;
}

void EnvConfig::Problem(absl::string_view name, absl::string_view message) {
  problems_.push_back(absl::StrCat(name, ": ", message));
}

absl::Status EnvConfig::Check() const {
  if (problems_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("configuration errors:\n  ", absl::StrJoin(problems_, "\n  ")));
}

}  // namespace store
