#include "tools/storectl/cli.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/money.h"
#include "libs/core/trace.h"
#include "libs/grpcx/status.h"

namespace store::cli {

absl::StatusOr<Args> Args::Parse(const std::vector<std::string>& argv,
                                 const std::vector<std::string>& bool_flags) {
  std::vector<std::string> positionals;
  std::multimap<std::string, std::string> flags;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (!absl::StartsWith(a, "--") || a == "--") {
      positionals.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      flags.emplace(name.substr(0, eq), name.substr(eq + 1));
      continue;
    }
    const bool is_bool =
        std::find(bool_flags.begin(), bool_flags.end(), name) != bool_flags.end();
    if (is_bool) {
      flags.emplace(name, "true");
    } else if (i + 1 < argv.size()) {
      flags.emplace(name, argv[++i]);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
    }
  }
  return Args(std::move(positionals), std::move(flags));
}

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = flags_.find(name);
  return it == flags_.end() ? fallback : it->second;
}

std::vector<std::string> Args::GetAll(const std::string& name) const {
  std::vector<std::string> out;
  auto [begin, end] = flags_.equal_range(name);
  for (auto it = begin; it != end; ++it) out.push_back(it->second);
  return out;
}

absl::Status Args::CheckKnown(const std::vector<std::string>& known) const {
  std::vector<std::string> unknown;
  for (const auto& [k, v] : flags_) {
    if (std::find(known.begin(), known.end(), k) == known.end()) unknown.push_back("--" + k);
  }
  if (unknown.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("unknown option(s): ", absl::StrJoin(unknown, ", "), " (see --help)"));
}

namespace {

std::string FromEnvFile(const std::filesystem::path& file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  std::string value;
  while (std::getline(in, line)) {
    absl::string_view l = line;
    absl::ConsumePrefix(&l, "export ");
    if (!absl::ConsumePrefix(&l, key + "=")) continue;
    value = std::string(l);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
  }
  return value;
}

}  // namespace

std::string Setting(const std::string& key) {
  if (const char* v = std::getenv(key.c_str()); v != nullptr && *v != '\0') return v;
  if (const char* home = std::getenv("STORE_DEV_HOME"); home != nullptr && *home != '\0') {
    return FromEnvFile(std::filesystem::path(home) / "env", key);
  }
  std::error_code ec;
  for (std::filesystem::path dir = std::filesystem::current_path(ec); !dir.empty();
       dir = dir.parent_path()) {
    const auto candidate = dir / ".dev" / "env";
    if (std::filesystem::exists(candidate, ec)) return FromEnvFile(candidate, key);
    if (dir == dir.root_path()) break;
  }
  return "";
}

std::unique_ptr<grpc::ClientContext> Context(const Global& g, int timeout_seconds) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout_seconds));
  ctx->AddMetadata("x-actor", g.actor);
  ctx->AddMetadata("traceparent", NewTrace().Traceparent());
  return ctx;
}

void PrintJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  std::cout << out;
  if (out.empty() || out.back() != '\n') std::cout << "\n";
}

int Fail(const grpc::Status& status) {
  std::string code;
  switch (status.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT: code = "INVALID_ARGUMENT"; break;
    case grpc::StatusCode::NOT_FOUND: code = "NOT_FOUND"; break;
    case grpc::StatusCode::FAILED_PRECONDITION: code = "FAILED_PRECONDITION"; break;
    case grpc::StatusCode::UNAVAILABLE: code = "UNAVAILABLE"; break;
    case grpc::StatusCode::DEADLINE_EXCEEDED: code = "DEADLINE_EXCEEDED"; break;
    case grpc::StatusCode::ALREADY_EXISTS: code = "ALREADY_EXISTS"; break;
    case grpc::StatusCode::ABORTED: code = "ABORTED"; break;
    case grpc::StatusCode::PERMISSION_DENIED: code = "PERMISSION_DENIED"; break;
    case grpc::StatusCode::UNAUTHENTICATED: code = "UNAUTHENTICATED"; break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: code = "RESOURCE_EXHAUSTED"; break;
    case grpc::StatusCode::OUT_OF_RANGE: code = "OUT_OF_RANGE"; break;
    case grpc::StatusCode::UNIMPLEMENTED: code = "UNIMPLEMENTED"; break;
    case grpc::StatusCode::INTERNAL: code = "INTERNAL"; break;
    default: code = absl::StrCat("code ", static_cast<int>(status.error_code()));
  }
  std::string line = absl::StrCat("error: ", code, ": ", status.error_message());
  if (auto info = grpcx::ErrorInfoOf(status)) {
    absl::StrAppend(&line, " [reason=", info->reason());
    if (!info->field().empty()) absl::StrAppend(&line, " field=", info->field());
    absl::StrAppend(&line, "]");
  }
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    absl::StrAppend(&line, "\n  is the stack running? `tools/dev up`, then `tools/dev status`");
  }
  std::fprintf(stderr, "%s\n", line.c_str());
  return status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ? 2 : 1;
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "error: %s\n", status.ToString().c_str());
  return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

std::string Time(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return google::protobuf::util::TimeUtil::ToString(t).substr(0, 19) + "Z";
}

std::string Money(const common::v1::Money& m) {
  return std::string(
      absl::StripTrailingAsciiWhitespace(FormatMoney(m.amount_minor(), m.currency_code())));
}

namespace {

// The prefix of an enum's value names: its name in UPPER_SNAKE_CASE
// (OrderStatus -> "ORDER_STATUS_").
std::string EnumPrefix(const google::protobuf::EnumDescriptor* type) {
  std::string prefix;
  for (char c : type->name()) {
    if (absl::ascii_isupper(c) && !prefix.empty()) prefix += '_';
    prefix += absl::ascii_toupper(c);
  }
  return prefix + "_";
}

}  // namespace

std::string EnumLabel(const google::protobuf::EnumDescriptor* type, int number) {
  const google::protobuf::EnumValueDescriptor* value = type->FindValueByNumber(number);
  if (value == nullptr) return "-";
  absl::string_view name = value->name();
  absl::ConsumePrefix(&name, EnumPrefix(type));
  return absl::AsciiStrToLower(name);
}

int EnumFromLabel(const google::protobuf::EnumDescriptor* type, absl::string_view label) {
  const std::string upper = absl::AsciiStrToUpper(label);
  const google::protobuf::EnumValueDescriptor* value =
      type->FindValueByName(EnumPrefix(type) + upper);
  if (value == nullptr) value = type->FindValueByName(upper);
  return value == nullptr ? 0 : value->number();
}

absl::StatusOr<std::string> ReadFileFlag(const std::string& flag, const std::string& path) {
  std::stringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--", flag, ": cannot read ", path));
  text << in.rdbuf();
  return text.str();
}

}  // namespace store::cli
