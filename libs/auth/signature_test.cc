#include "libs/auth/signature.h"

#include "gtest/gtest.h"
#include "libs/core/status.h"

namespace store::auth {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
constexpr char kSecret[] = "whsec_0123456789abcdef0123456789abcdef";

std::string Reason(const absl::Status& status) {
  auto info = GetErrorInfo(status);
  return info.has_value() ? info->reason() : "";
}

TEST(SignatureTest, KnownVector) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(SignatureTest, SignedBodyVerifies) {
  std::string header = SignPayload(kSecret, R"({"a":1})", kNow);
  EXPECT_TRUE(VerifyPayloadSignature(kSecret, header, R"({"a":1})", kNow + absl::Minutes(1)).ok());
}

TEST(SignatureTest, ChangedBodyOrKeyIsRefused) {
  std::string header = SignPayload(kSecret, R"({"a":1})", kNow);
  absl::Status s = VerifyPayloadSignature(kSecret, header, R"({"a":2})", kNow);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Reason(s), "BAD_SIGNATURE");
  EXPECT_FALSE(VerifyPayloadSignature("another-secret", header, R"({"a":1})", kNow).ok());
}

TEST(SignatureTest, OldTimestampIsAReplay) {
  std::string header = SignPayload(kSecret, "{}", kNow - absl::Minutes(6));
  absl::Status s = VerifyPayloadSignature(kSecret, header, "{}", kNow);
  EXPECT_EQ(Reason(s), "STALE_SIGNATURE");
  header = SignPayload(kSecret, "{}", kNow + absl::Minutes(6));
  EXPECT_EQ(Reason(VerifyPayloadSignature(kSecret, header, "{}", kNow)), "STALE_SIGNATURE");
}

TEST(SignatureTest, MalformedHeadersAreRefused) {
  for (const char* header : {"", "t=,v1=", "v1=abcd", "t=abc,v1=00", "t=1800000000",
                             "garbage", "t=1800000000,v1="}) {
    EXPECT_EQ(VerifyPayloadSignature(kSecret, header, "{}", kNow).code(),
              absl::StatusCode::kUnauthenticated)
        << header;
  }
}

TEST(SignatureTest, AnyOfSeveralSignaturesMayMatch) {
  // Key rotation: the sender signs with old and new keys.
  std::string good = SignPayload(kSecret, "{}", kNow);
  std::string header = "t=1800000000,v1=" + std::string(64, '0') + "," + good.substr(good.find("v1="));
  EXPECT_TRUE(VerifyPayloadSignature(kSecret, header, "{}", kNow).ok());
}

}  // namespace
}  // namespace store::auth
