#include "libs/auth/token.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "libs/core/status.h"

namespace store::auth {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

TokenConfig Config() {
  TokenConfig config;
  config.secret = std::string(32, 'k');
  return config;
}

Claims StaffClaims(absl::Duration ttl = absl::Hours(1)) {
  return Claims{.subject = "alice", .role = "staff", .issued_at = kNow,
                .expires_at = kNow + ttl, .token_id = ""};
}

std::string Reason(const absl::Status& status) {
  auto info = GetErrorInfo(status);
  return info.has_value() ? info->reason() : "";
}

TEST(TokenTest, IssuedTokenVerifies) {
  absl::StatusOr<std::string> token = IssueToken(Config(), StaffClaims());
  ASSERT_TRUE(token.ok()) << token.status();
  absl::StatusOr<Claims> claims = VerifyToken(Config(), *token, kNow + absl::Minutes(5));
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "alice");
  EXPECT_EQ(claims->role, "staff");
  EXPECT_EQ(claims->expires_at, kNow + absl::Hours(1));
  EXPECT_FALSE(claims->token_id.empty());
}

TEST(TokenTest, MissingTokenIsUnauthenticated) {
  absl::StatusOr<Claims> claims = VerifyToken(Config(), "", kNow);
  EXPECT_EQ(claims.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Reason(claims.status()), "TOKEN_MISSING");
}

TEST(TokenTest, ExpiredTokenIsRefused) {
  std::string token = *IssueToken(Config(), StaffClaims(absl::Minutes(10)));
  absl::StatusOr<Claims> claims = VerifyToken(Config(), token, kNow + absl::Minutes(11));
  EXPECT_EQ(claims.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Reason(claims.status()), "TOKEN_EXPIRED");
  // Within the leeway it still passes.
  EXPECT_TRUE(VerifyToken(Config(), token, kNow + absl::Minutes(10) + absl::Seconds(5)).ok());
}

TEST(TokenTest, WrongSignatureIsRefused) {
  TokenConfig other = Config();
  other.secret = std::string(32, 'x');
  std::string token = *IssueToken(other, StaffClaims());
  EXPECT_EQ(VerifyToken(Config(), token, kNow).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(TokenTest, TamperedPayloadIsRefused) {
  std::string token = *IssueToken(Config(), StaffClaims());
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  ASSERT_EQ(parts.size(), 3u);
  std::string payload;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[1], &payload));
  size_t at = payload.find("\"staff\"");
  ASSERT_NE(at, std::string::npos);
  payload.replace(at, 7, "\"admin\"");
  std::string forged;
  absl::WebSafeBase64Escape(payload, &forged);
  EXPECT_FALSE(VerifyToken(Config(), parts[0] + "." + forged + "." + parts[2], kNow).ok());
}

TEST(TokenTest, WrongAudienceOrIssuerIsRefused) {
  TokenConfig other = Config();
  other.audience = "another-api";
  EXPECT_FALSE(VerifyToken(Config(), *IssueToken(other, StaffClaims()), kNow).ok());
  other = Config();
  other.issuer = "someone-else";
  EXPECT_FALSE(VerifyToken(Config(), *IssueToken(other, StaffClaims()), kNow).ok());
}

std::string Unsigned(absl::string_view header_json, absl::string_view payload_json,
                     absl::string_view signature) {
  std::string header, payload;
  absl::WebSafeBase64Escape(header_json, &header);
  absl::WebSafeBase64Escape(payload_json, &payload);
  return header + "." + payload + "." + std::string(signature);
}

TEST(TokenTest, AlgNoneIsRefused) {
  std::string payload = absl::StrCat(
      R"({"iss":"store-backend","aud":"store-api","sub":"mallory","role":"admin","exp":)",
      absl::ToUnixSeconds(kNow + absl::Hours(1)), "}");
  EXPECT_FALSE(VerifyToken(Config(), Unsigned(R"({"alg":"none","typ":"JWT"})", payload, ""), kNow)
                   .ok());
  EXPECT_FALSE(
      VerifyToken(Config(), Unsigned(R"({"alg":"none","typ":"JWT"})", payload, "xx"), kNow).ok());
  // Another HMAC size with the same key is not accepted either.
  EXPECT_FALSE(
      VerifyToken(Config(), Unsigned(R"({"alg":"HS512","typ":"JWT"})", payload, "xx"), kNow)
          .ok());
}

TEST(TokenTest, GarbageIsRefused) {
  for (const char* token : {"x", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9..", "a.b"}) {
    EXPECT_EQ(VerifyToken(Config(), token, kNow).status().code(),
              absl::StatusCode::kUnauthenticated)
        << token;
  }
}

TEST(TokenTest, IssueChecksItsInput) {
  TokenConfig weak = Config();
  weak.secret = "short";
  EXPECT_EQ(IssueToken(weak, StaffClaims()).status().code(), absl::StatusCode::kInvalidArgument);
  Claims bad = StaffClaims();
  bad.role = "root";
  EXPECT_EQ(IssueToken(Config(), bad).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(IssueToken(Config(), StaffClaims(absl::ZeroDuration())).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace store::auth
