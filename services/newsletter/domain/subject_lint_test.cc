#include "services/newsletter/domain/subject_lint.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace store::newsletter {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST(LintSubjectTest, GoodSubjectsHaveNoWarnings) {
  EXPECT_THAT(LintSubject("Our spring collection is here"), IsEmpty());
  EXPECT_THAT(LintSubject("New in: linen shirts!"), IsEmpty());
  EXPECT_THAT(LintSubject("Grüße aus Köln 🌷"), IsEmpty());
  EXPECT_THAT(LintSubject("Freedom, cashmere and freebies"), IsEmpty());  // not whole words
  EXPECT_THAT(LintSubject("Save 20 $ today"), IsEmpty());
  EXPECT_THAT(LintSubject("NEW: autumn range"), IsEmpty());  // 3 capitals, then lower case
  EXPECT_THAT(LintSubject("ABC 123"), IsEmpty());            // only 3 letters
}

TEST(LintSubjectTest, Empty) {
  EXPECT_THAT(LintSubject(""), ElementsAre(HasSubstr("empty")));
  EXPECT_THAT(LintSubject("   "), ElementsAre(HasSubstr("empty")));
}

TEST(LintSubjectTest, LengthCountsCharactersNotBytes) {
  const std::string fifty(50, 'a');
  EXPECT_THAT(LintSubject(fifty), IsEmpty());
  EXPECT_THAT(LintSubject(fifty + "b"),
              ElementsAre(HasSubstr("The subject is 51 characters long")));
  // 50 characters, 100 bytes.
  std::string umlauts;
  for (int i = 0; i < 50; ++i) umlauts += "ä";
  EXPECT_THAT(LintSubject(umlauts), IsEmpty());
  EXPECT_THAT(LintSubject(umlauts + "🌷"), ElementsAre(HasSubstr("51 characters")));
}

TEST(LintSubjectTest, AllCaps) {
  EXPECT_THAT(LintSubject("HUGE SALE TODAY"), ElementsAre(HasSubstr("capitals")));
  EXPECT_THAT(LintSubject("SALE"), ElementsAre(HasSubstr("capitals")));
  EXPECT_THAT(LintSubject("ÄRGER ÜBER"), ElementsAre(HasSubstr("capitals")));
  EXPECT_THAT(LintSubject("SALE 50%"), ElementsAre(HasSubstr("capitals")));
  EXPECT_THAT(LintSubject("GROßE"), IsEmpty());  // ß is lower case
  EXPECT_THAT(LintSubject("SALe"), IsEmpty());
  EXPECT_THAT(LintSubject("SAL 1234 × 5"), IsEmpty());
}

TEST(LintSubjectTest, SpamPhrasesAreNamedCaseInsensitiveWholeWords) {
  EXPECT_THAT(LintSubject("Free shipping"), ElementsAre("The subject contains \"free\", which "
                                                        "spam filters often flag."));
  EXPECT_THAT(LintSubject("You are a WINNER"), ElementsAre(HasSubstr("\"winner\"")));
  EXPECT_THAT(
      LintSubject("Act   now: guaranteed cash"),
      ElementsAre(HasSubstr("\"act now\""), HasSubstr("\"guaranteed\""), HasSubstr("\"cash\"")));
  EXPECT_THAT(LintSubject("Click here, it's urgent"),
              ElementsAre(HasSubstr("\"click here\""), HasSubstr("\"urgent\"")));
  EXPECT_THAT(LintSubject("No cost, limited time: earn money"),
              ElementsAre(HasSubstr("\"no cost\""), HasSubstr("\"limited time\""),
                          HasSubstr("\"earn money\"")));
  EXPECT_THAT(LintSubject("(free)"), ElementsAre(HasSubstr("\"free\"")));
  EXPECT_THAT(LintSubject("free_stuff freely carefree"), IsEmpty());
  EXPECT_THAT(LintSubject("cash-back"), ElementsAre(HasSubstr("\"cash\"")));
  EXPECT_THAT(LintSubject("Acts now"), IsEmpty());
  EXPECT_THAT(LintSubject("act nowhere"), IsEmpty());
  EXPECT_THAT(LintSubject("freeä"), IsEmpty());
}

TEST(LintSubjectTest, LongerPhraseWins) {
  EXPECT_THAT(LintSubject("100% free trial"), ElementsAre(HasSubstr("\"100% free\"")));
  EXPECT_THAT(LintSubject("A risk-free trial"), ElementsAre(HasSubstr("\"risk-free\"")));
  // A separate "free" is still named, once.
  EXPECT_THAT(LintSubject("Free gift, 100% free, free"),
              ElementsAre(HasSubstr("\"free\""), HasSubstr("\"100% free\"")));
  EXPECT_THAT(LintSubject("1100% free"), ElementsAre(HasSubstr("\"free\"")));
}

TEST(LintSubjectTest, ExclamationMarks) {
  EXPECT_THAT(LintSubject("Hello!"), IsEmpty());
  EXPECT_THAT(LintSubject("Hello!!"), ElementsAre(HasSubstr("repeats exclamation marks")));
  EXPECT_THAT(LintSubject("Hi! Ho! Hey!"), ElementsAre(HasSubstr("has 3 exclamation marks")));
  EXPECT_THAT(LintSubject("Wow!!!!"), ElementsAre(HasSubstr("has 4 exclamation marks")));
}

TEST(LintSubjectTest, Dollars) {
  EXPECT_THAT(LintSubject("Make $$$ today"), ElementsAre(HasSubstr("\"$$$\"")));
  EXPECT_THAT(LintSubject("Costs $$ only"), IsEmpty());
}

TEST(LintSubjectTest, EverythingAtOnceInOrder) {
  const auto warnings =
      LintSubject("URGENT!!! WINNER: CLICK HERE FOR FREE CASH $$$ AND MORE GOODIES NOW");
  ASSERT_THAT(warnings, SizeIs(9));
  EXPECT_THAT(warnings[0], HasSubstr("67 characters"));
  EXPECT_THAT(warnings[1], HasSubstr("capitals"));
  EXPECT_THAT(warnings[2], HasSubstr("\"urgent\""));
  EXPECT_THAT(warnings[3], HasSubstr("\"winner\""));
  EXPECT_THAT(warnings[4], HasSubstr("\"click here\""));
  EXPECT_THAT(warnings[5], HasSubstr("\"free\""));
  EXPECT_THAT(warnings[6], HasSubstr("\"cash\""));
  EXPECT_THAT(warnings[7], HasSubstr("3 exclamation marks"));
  EXPECT_THAT(warnings[8], HasSubstr("\"$$$\""));
}

}  // namespace
}  // namespace store::newsletter
