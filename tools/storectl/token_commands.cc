#include "tools/storectl/token_commands.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "libs/auth/signature.h"
#include "libs/auth/token.h"
#include "libs/core/status.h"
#include "tools/storectl/cli.h"

namespace store::cli {
namespace {

constexpr char kTokenHelp[] = R"(usage: storectl token issue --role admin|staff|marketing|storefront [--ttl DURATION] [--subject NAME]

Prints a signed access token for the gateway (send it as
`Authorization: Bearer <token>`): a staff token, or with --role storefront
a service token for the shop's own storefront server (it may price carts and
place orders, but not run the back office; e.g. --subject web-shop --ttl 30d).
DURATION: 90m, 12h, 30d (default 12h).
The signing key is GATEWAY_JWT_SECRET, or the file GATEWAY_JWT_SECRET_FILE
names (environment or .dev/env); GATEWAY_JWT_ISSUER / GATEWAY_JWT_AUDIENCE
as the gateway's.
)";

constexpr char kWebhookHelp[] = R"(usage: storectl webhook sign (--body JSON | --body-file FILE) [--secret-file FILE]

Prints the Store-Signature header value for a webhook body signed now
("t=<unix>,v1=<hex HMAC-SHA256>"). The secret defaults to the file
PAYMENTS_WEBHOOK_SECRET_FILE names (environment or .dev/env).
)";

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidField(what, "cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A secret from KEY or the file KEY_FILE names (trailing newline dropped).
absl::StatusOr<std::string> Secret(const std::string& key) {
  std::string value = Setting(key);
  if (value.empty()) {
    const std::string file = Setting(key + "_FILE");
    if (file.empty()) return InvalidField(key, "is not set (nor " + key + "_FILE)");
    STORE_ASSIGN_OR_RETURN(value, ReadFile(file, key + "_FILE"));
  }
  return std::string(absl::StripTrailingAsciiWhitespace(value));
}

absl::StatusOr<absl::Duration> ParseTtl(const std::string& text) {
  absl::Duration d;
  int64_t days = 0;
  if (absl::EndsWith(text, "d") && absl::SimpleAtoi(text.substr(0, text.size() - 1), &days)) {
    d = absl::Hours(24 * days);
  } else if (!absl::ParseDuration(text, &d)) {
    return InvalidField("ttl", "must be a duration such as 90m, 12h or 30d");
  }
  if (d <= absl::ZeroDuration() || d > absl::Hours(24 * 366)) {
    return InvalidField("ttl", "must be positive and at most 366d");
  }
  return d;
}

}  // namespace

int TokenCommand(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {"help"});
  if (!args.ok()) return Fail(args.status());
  if (args->Has("help") || args->Positional(0) != "issue") {
    std::fputs(kTokenHelp, args->Has("help") ? stdout : stderr);
    return args->Has("help") ? 0 : 2;
  }
  if (absl::Status s = args->CheckKnown({"role", "ttl", "subject"}); !s.ok()) return Fail(s);
  const std::string role = args->Get("role");
  if (role != auth::kRoleAdmin && role != auth::kRoleStaff && role != auth::kRoleMarketing &&
      role != auth::kRoleStorefront) {
    return Fail(
        InvalidField("role", "must be admin, staff, marketing or storefront (customers log in)"));
  }
  absl::StatusOr<absl::Duration> ttl = ParseTtl(args->Get("ttl", "12h"));
  if (!ttl.ok()) return Fail(ttl.status());
  auth::TokenConfig config;
  absl::StatusOr<std::string> secret = Secret("GATEWAY_JWT_SECRET");
  if (!secret.ok()) return Fail(secret.status());
  config.secret = *secret;
  if (std::string v = Setting("GATEWAY_JWT_ISSUER"); !v.empty()) config.issuer = v;
  if (std::string v = Setting("GATEWAY_JWT_AUDIENCE"); !v.empty()) config.audience = v;
  const absl::Time now = absl::Now();
  absl::StatusOr<std::string> token = auth::IssueToken(
      config, auth::Claims{.subject = args->Get("subject", role),
                           .role = role,
                           .issued_at = now,
                           .expires_at = now + *ttl,
                           .token_id = ""});
  if (!token.ok()) return Fail(token.status());
  std::puts(token->c_str());
  return 0;
}

int WebhookCommand(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {"help"});
  if (!args.ok()) return Fail(args.status());
  if (args->Has("help") || args->Positional(0) != "sign") {
    std::fputs(kWebhookHelp, args->Has("help") ? stdout : stderr);
    return args->Has("help") ? 0 : 2;
  }
  if (absl::Status s = args->CheckKnown({"body", "body-file", "secret-file"}); !s.ok()) {
    return Fail(s);
  }
  std::string body = args->Get("body");
  if (args->Has("body-file")) {
    absl::StatusOr<std::string> read = ReadFile(args->Get("body-file"), "body-file");
    if (!read.ok()) return Fail(read.status());
    body = *read;
  }
  absl::StatusOr<std::string> secret =
      args->Has("secret-file") ? ReadFile(args->Get("secret-file"), "secret-file")
                               : Secret("PAYMENTS_WEBHOOK_SECRET");
  if (!secret.ok()) return Fail(secret.status());
  std::string key(absl::StripTrailingAsciiWhitespace(*secret));
  std::puts(auth::SignPayload(key, body, absl::Now()).c_str());
  return 0;
}

}  // namespace store::cli
