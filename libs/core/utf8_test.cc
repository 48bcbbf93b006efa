#include "libs/core/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace store {
namespace {

TEST(Utf8Test, ValidText) {
  for (const char* ok : {"", "abc", "Grüße", "€", "🎉", "\xed\x9f\xbf" /* U+D7FF */,
                         "\xee\x80\x80" /* U+E000 */, "\xf4\x8f\xbf\xbf" /* U+10FFFF */}) {
    EXPECT_TRUE(IsValidUtf8(ok)) << ok;
  }
}

TEST(Utf8Test, InvalidTextAndWhereItStarts) {
  EXPECT_EQ(ValidUtf8Prefix("ab\x80"), 2u);            // stray continuation byte
  EXPECT_EQ(ValidUtf8Prefix("ä\xc3"), 2u);             // truncated
  EXPECT_EQ(ValidUtf8Prefix("\xc0\x80"), 0u);          // overlong NUL
  EXPECT_EQ(ValidUtf8Prefix("\xc1\xbf"), 0u);          // overlong
  EXPECT_EQ(ValidUtf8Prefix("\xe0\x9f\xbf"), 0u);      // overlong 3-byte
  EXPECT_EQ(ValidUtf8Prefix("x\xed\xa0\x80"), 1u);     // surrogate U+D800
  EXPECT_EQ(ValidUtf8Prefix("\xf0\x8f\xbf\xbf"), 0u);  // overlong 4-byte
  EXPECT_EQ(ValidUtf8Prefix("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(ValidUtf8Prefix("\xf5\x80\x80\x80"), 0u);
  EXPECT_EQ(ValidUtf8Prefix("\xff"), 0u);
  EXPECT_EQ(ValidUtf8Prefix("\xe2\x82"), 0u);  // truncated 3-byte
}

TEST(Utf8Test, CodePointsAndSequenceLengths) {
  EXPECT_EQ(CodePointCount(""), 0u);
  EXPECT_EQ(CodePointCount("Grüße 🎉"), 7u);
  const std::string s = "aä€🎉";
  EXPECT_EQ(SequenceLength(s, 0), 1u);
  EXPECT_EQ(SequenceLength(s, 1), 2u);
  EXPECT_EQ(SequenceLength(s, 3), 3u);
  EXPECT_EQ(SequenceLength(s, 6), 4u);
  EXPECT_EQ(SequenceLength("\xff", 0), 1u);
}

}  // namespace
}  // namespace store
