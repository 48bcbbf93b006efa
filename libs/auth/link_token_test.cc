#include "libs/auth/link_token.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/status.h"

namespace store::auth {
namespace {

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef";
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.";

void ExpectBadToken(const absl::StatusOr<std::string>& result, const std::string& token) {
  ASSERT_FALSE(result.ok()) << "accepted " << token;
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  auto info = GetErrorInfo(result.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "BAD_TOKEN");
  EXPECT_EQ(info->field(), "token");
}

TEST(TokensTest, KnownValue) {
  // Computed independently (Python hmac + base64.urlsafe_b64encode, '='
  // stripped) to pin the format.
  EXPECT_EQ(SignLinkToken(kSecret, "confirm", "sub_42.1767225600"),
            "sub_42.1767225600.Qs9ObAs0uMRcqPqSvbMup-OyqGD_MsNtwtqqsa6WiwM");
  EXPECT_EQ(SignLinkToken(kSecret, "unsubscribe", "sub_42.1767225600"),
            "sub_42.1767225600.0KZRjOm64qSxrM11H8pv005tI1eD6wt2QaWpnktrKAA");
}

TEST(TokensTest, RoundTrip) {
  for (const char* payload : {"a", "sub_42", "sub_42.1767225600", "a.b.c", "x-y_z",
                              "0190b8a3-7c4f-7000-8000-000000000000", "a..b", ".a", "a."}) {
    const std::string token = SignLinkToken(kSecret, "confirm", payload);
    ASSERT_EQ(token.size(), std::string(payload).size() + 44) << payload;
    absl::StatusOr<std::string> got = VerifyLinkToken(kSecret, "confirm", token);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, payload);
  }
  const std::string longest(kMaxTokenPayload, 'a');
  EXPECT_EQ(*VerifyLinkToken(kSecret, "p", SignLinkToken(kSecret, "p", longest)), longest);
}

TEST(TokensTest, TokensAreUrlSafe) {
  const std::string token = SignLinkToken(kSecret, "confirm", "sub_42.x");
  EXPECT_EQ(token.find_first_not_of(kAlphabet), std::string::npos);
}

TEST(TokensTest, EverySingleCharacterTamperIsRejected) {
  const std::string token = SignLinkToken(kSecret, "unsubscribe", "sub_42.1767225600");
  int tried = 0;
  for (size_t i = 0; i < token.size(); ++i) {
    for (const char c : std::string(kAlphabet) + "=+/ ~") {
      if (c == token[i]) continue;
      std::string changed = token;
      changed[i] = c;
      ExpectBadToken(VerifyLinkToken(kSecret, "unsubscribe", changed), changed);
      ++tried;
    }
    std::string removed = token;
    removed.erase(i, 1);
    ExpectBadToken(VerifyLinkToken(kSecret, "unsubscribe", removed), removed);
    std::string inserted = token;
    inserted.insert(i, "a");
    ExpectBadToken(VerifyLinkToken(kSecret, "unsubscribe", inserted), inserted);
  }
  ExpectBadToken(VerifyLinkToken(kSecret, "unsubscribe", token + "a"), token + "a");
  EXPECT_GT(tried, 3000);
  EXPECT_TRUE(VerifyLinkToken(kSecret, "unsubscribe", token).ok());
}

TEST(TokensTest, NonCanonicalSignatureSpellingIsRejected) {
  // The last of 43 base64 characters carries 2 unused bits: a decoder would
  // map "...M" and "...N" to the same bytes. Compared as text, only the
  // canonical spelling passes.
  const std::string token = SignLinkToken(kSecret, "confirm", "sub_42.1767225600");
  ASSERT_EQ(token.back(), 'M');
  for (char c : {'N', 'O', 'P'}) {
    std::string changed = token;
    changed.back() = c;
    ExpectBadToken(VerifyLinkToken(kSecret, "confirm", changed), changed);
  }
}

TEST(TokensTest, OtherPurposeOrSecretIsRejected) {
  const std::string token = SignLinkToken(kSecret, "confirm", "sub_42");
  ExpectBadToken(VerifyLinkToken(kSecret, "unsubscribe", token), token);
  ExpectBadToken(VerifyLinkToken(kSecret, "", token), token);
  ExpectBadToken(VerifyLinkToken(kSecret, "confirm\n", token), token);
  ExpectBadToken(VerifyLinkToken("0123456789abcdef0123456789abcdeF", "confirm", token), token);
  ExpectBadToken(VerifyLinkToken("", "confirm", token), token);
}

TEST(TokensTest, PurposeAndPayloadDoNotRunTogether) {
  // "a" + "\n" + "b.c" must not verify as purpose "a\nb" or the like.
  const std::string token = SignLinkToken(kSecret, "a", "b.c");
  ExpectBadToken(VerifyLinkToken(kSecret, "a\nb", token), token);
  ExpectBadToken(VerifyLinkToken(kSecret, "a\n", token), token);
}

TEST(TokensTest, GarbageIsRejected) {
  const std::string sig =
      SignLinkToken(kSecret, "confirm", "x").substr(2);  // a valid-looking signature
  const std::vector<std::string> garbage = {
      "",
      ".",
      "..",
      "abc",
      "abc.",
      "." + sig,
      "x." + sig.substr(1),
      "x." + sig + "=",
      "x.." + sig,
      "x y." + sig,
      "x/y." + sig,
      "x%2e." + sig,
      "ü." + sig,
      std::string("x\0.", 3) + sig,
      "x." + std::string(43, '='),
      "x." + std::string(43, 'A'),
      std::string(kMaxTokenPayload + 1, 'a') + "." + sig,
      std::string(100000, '.'),
  };
  for (const std::string& token : garbage) {
    ExpectBadToken(VerifyLinkToken(kSecret, "confirm", token), token);
  }
  EXPECT_TRUE(VerifyLinkToken(kSecret, "confirm", "x." + sig).ok());
}

TEST(TokensTest, PayloadRules) {
  EXPECT_TRUE(IsValidTokenPayload("a"));
  EXPECT_TRUE(IsValidTokenPayload("Az09_-."));
  EXPECT_FALSE(IsValidTokenPayload(""));
  EXPECT_FALSE(IsValidTokenPayload("a b"));
  EXPECT_FALSE(IsValidTokenPayload("a=b"));
  EXPECT_FALSE(IsValidTokenPayload("a/b"));
  EXPECT_FALSE(IsValidTokenPayload("a+b"));
  EXPECT_FALSE(IsValidTokenPayload("a\nb"));
  EXPECT_FALSE(IsValidTokenPayload("ä"));
  EXPECT_TRUE(IsValidTokenPayload(std::string(kMaxTokenPayload, 'a')));
  EXPECT_FALSE(IsValidTokenPayload(std::string(kMaxTokenPayload + 1, 'a')));
}

TEST(TokensDeathTest, SigningBadInputIsAProgrammingError) {
  EXPECT_DEATH(SignLinkToken(kSecret, "confirm", "a b"), "payload");
  EXPECT_DEATH(SignLinkToken(kSecret, "confirm", ""), "payload");
  EXPECT_DEATH(SignLinkToken("", "confirm", "a"), "empty secret");
}

}  // namespace
}  // namespace store::auth
