#include "libs/core/contact.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/status.h"

namespace store {
namespace {

using ::testing::HasSubstr;

TEST(NormalizePhoneTest, AcceptsInternationalFormsAndNormalisesToE164) {
  EXPECT_EQ(*NormalizePhone("phone", "+96512345678"), "+96512345678");
  EXPECT_EQ(*NormalizePhone("phone", "+965 1234-5678"), "+96512345678");
  EXPECT_EQ(*NormalizePhone("phone", "00965 1234 5678"), "+96512345678");
  EXPECT_EQ(*NormalizePhone("phone", " +1 (555) 123-4567 "), "+15551234567");
}

TEST(NormalizePhoneTest, RejectsAnythingElseNamingTheField) {
  for (const char* bad : {"", "12345678", "+0123456789", "+1234567", "+1234567890123456",
                          "+965 1234x5678", "call me", "+96512345678;drop", "0096"}) {
    absl::StatusOr<std::string> r = NormalizePhone("customer.phone", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("customer.phone"));
    EXPECT_EQ(GetErrorInfo(r.status())->field(), "customer.phone");
  }
}

TEST(NormalizeEmailTest, LowercasesAndTrims) {
  EXPECT_EQ(*NormalizeEmail("email", "  Ann.Lee@Example.COM "), "ann.lee@example.com");
}

TEST(NormalizeEmailTest, RejectsMalformed) {
  for (const char* bad : {"", "ann", "ann@", "@example.com", "ann@example", "ann@@example.com",
                          "ann lee@example.com", "ann@exa mple.com", "ann@example..com",
                          "ann@example.com\r\nBcc: x@y.z"}) {
    absl::StatusOr<std::string> r = NormalizeEmail("email", bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ControlCharactersTest, DetectsCrLf) {
  EXPECT_TRUE(HasControlCharacters("a\r\nb"));
  EXPECT_FALSE(HasControlCharacters("Ann Lee"));
}

TEST(ValidateMultilineTextTest, AllowsLineBreaksAndTabsButNoOtherControlCharacters) {
  EXPECT_TRUE(ValidateMultilineText("note", "Ring twice\nBack door\r\n\tThanks", 0, 100).ok());
  EXPECT_FALSE(ValidateMultilineText("note", "bell\a", 0, 100).ok());
  EXPECT_FALSE(ValidateMultilineText("note", "lone\rCR", 0, 100).ok());
  EXPECT_FALSE(ValidateMultilineText("note", std::string("nul\0x", 5), 0, 100).ok());
  EXPECT_FALSE(ValidateMultilineText("note", "long\n", 0, 3).ok());
  // Single-line text still refuses line breaks.
  EXPECT_FALSE(ValidateText("name", "two\nlines", 0, 100).ok());
}

}  // namespace
}  // namespace store
