#include "services/newsletter/domain/template.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/status.h"

namespace store::newsletter {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const absl::flat_hash_set<std::string> kAllowed = {"firstname", "email", "unsubscribe_url"};

std::string FieldOf(const absl::Status& status) {
  auto info = GetErrorInfo(status);
  return info.has_value() ? info->field() : "";
}

std::string Render(absl::string_view text, Escape escape = Escape::kNone) {
  const absl::flat_hash_map<std::string, std::string> values = {
      {"firstname", "Ann"}, {"email", "ann@example.com"}, {"x1", "<b>&'\"</b>"}};
  return RenderTemplate(text, values, escape);
}

TEST(RenderTemplateTest, ReplacesTags) {
  EXPECT_EQ(Render("Hello {firstname}, we write to {email}."),
            "Hello Ann, we write to ann@example.com.");
  EXPECT_EQ(Render("{firstname}{firstname}"), "AnnAnn");
  EXPECT_EQ(Render("{firstname}"), "Ann");
  EXPECT_EQ(Render(""), "");
  EXPECT_EQ(Render("no tags at all"), "no tags at all");
}

TEST(RenderTemplateTest, MissingValuesRenderEmpty) {
  EXPECT_EQ(Render("Hi {nickname}!"), "Hi !");
  EXPECT_EQ(RenderTemplate("a{b}c", {}, Escape::kHtml), "ac");
}

TEST(RenderTemplateTest, CssAndOtherBracesAreLiteral) {
  const std::string css = "<style>body { color: red } a{color:red} p{ margin:0 }</style>";
  EXPECT_EQ(Render(css), css);
  EXPECT_EQ(Render(css, Escape::kHtml), css);
  // Not tag names: upper case, leading digit or underscore, spaces, empty.
  for (const char* literal :
       {"{Name}", "{1a}", "{_a}", "{ firstname}", "{firstname }", "{}", "{first-name}",
        "{firstname", "firstname}", "}{", "{", "}", "{fïrstname}", "{a\n}"}) {
    EXPECT_EQ(Render(literal), literal) << literal;
    EXPECT_THAT(TagsIn(literal), IsEmpty()) << literal;
  }
}

TEST(RenderTemplateTest, DoubleBraceIsALiteralBrace) {
  EXPECT_EQ(Render("{{firstname}"), "{firstname}");
  EXPECT_EQ(Render("{{{firstname}"), "{Ann");
  EXPECT_EQ(Render("{{{{firstname}"), "{{firstname}");
  EXPECT_EQ(Render("a {{ b }} c"), "a { b }} c");
  EXPECT_EQ(Render("{{"), "{");
  EXPECT_EQ(Render("{{{"), "{{");
  EXPECT_THAT(TagsIn("{{firstname}"), IsEmpty());
  EXPECT_THAT(TagsIn("{{{firstname}"), ElementsAre("firstname"));
}

TEST(RenderTemplateTest, TagNamesMayHaveDigitsAndUnderscores) {
  EXPECT_EQ(RenderTemplate("{a_1}{b2}", {{"a_1", "x"}, {"b2", "y"}}, Escape::kNone), "xy");
}

TEST(RenderTemplateTest, HtmlModeEscapesValuesOnly) {
  EXPECT_EQ(Render("<p>{x1}</p>", Escape::kHtml), "<p>&lt;b&gt;&amp;&#39;&quot;&lt;/b&gt;</p>");
  EXPECT_EQ(Render("<p>{x1}</p>", Escape::kNone), "<p><b>&'\"</b></p>");
}

TEST(RenderTemplateTest, ValuesAreNotRescanned) {
  const absl::flat_hash_map<std::string, std::string> values = {
      {"a", "{b}"}, {"b", "boom"}, {"c", "{{"}};
  EXPECT_EQ(RenderTemplate("{a}", values, Escape::kNone), "{b}");
  EXPECT_EQ(RenderTemplate("{c}b}", values, Escape::kNone), "{{b}");
  EXPECT_EQ(RenderTemplate("{a}", values, Escape::kHtml), "{b}");
}

TEST(RenderTemplateTest, NonAsciiTextPassesThrough) {
  EXPECT_EQ(Render("Grüße, {firstname} 👋"), "Grüße, Ann 👋");
}

TEST(TagsInTest, DistinctInOrderOfFirstUse) {
  EXPECT_THAT(TagsIn("{b} {a} {b} {c} {a}"), ElementsAre("b", "a", "c"));
  EXPECT_THAT(TagsIn(""), IsEmpty());
  EXPECT_THAT(TagsIn("{x}}{y}"), ElementsAre("x", "y"));
}

TEST(CheckTemplateTest, AcceptsKnownTags) {
  EXPECT_TRUE(CheckTemplate("body_html", "Hi {firstname} <{email}> {{literal}", kAllowed).ok());
  EXPECT_TRUE(CheckTemplate("body_html", "body { color: red }", {}).ok());
  EXPECT_TRUE(CheckTemplate("body_html", "", {}).ok());
}

TEST(CheckTemplateTest, ReportsFirstUnknownTagWithPositionAndSortedAllowedList) {
  const std::string text = "Hello,\n\nDear {firstname},\n  … {frist_name} and {other}";
  absl::Status s = CheckTemplate("body_text", text, kAllowed);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(s), "body_text");
  EXPECT_THAT(s.message(),
              HasSubstr("body_text: unknown merge tag {frist_name} at line 4, column 5; "
                        "allowed: {email}, {firstname}, {unsubscribe_url}"));
  EXPECT_THAT(s.message(), Not(HasSubstr("{other}")));
}

TEST(CheckTemplateTest, PositionOnFirstLine) {
  absl::Status s = CheckTemplate("subject", "{nope}", kAllowed);
  EXPECT_THAT(s.message(), HasSubstr("{nope} at line 1, column 1;"));
  s = CheckTemplate("subject", "ab{{c}{nope}", kAllowed);
  EXPECT_THAT(s.message(), HasSubstr("{nope} at line 1, column 7;"));
}

TEST(CheckTemplateTest, EmptyAllowList) {
  absl::Status s = CheckTemplate("subject", "Hi {firstname}", {});
  EXPECT_THAT(s.message(), HasSubstr("unknown merge tag {firstname}"));
  EXPECT_THAT(s.message(), HasSubstr("no merge tags are allowed here"));
}

TEST(CheckTemplateTest, RejectsOversizedText) {
  const std::string big(kMaxTemplateBytes + 1, 'a');
  absl::Status s = CheckTemplate("body_html", big, kAllowed);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(s), "body_html");
  EXPECT_THAT(s.message(), HasSubstr("512 KiB"));
  EXPECT_TRUE(CheckTemplate("body_html", big.substr(1), kAllowed).ok());
}

TEST(CheckTemplateTest, RejectsInvalidUtf8) {
  for (const std::string& bad :
       {std::string("ab\xff"), std::string("\xc3"), std::string("\xc0\xaf"),  // overlong '/'
        std::string("\xed\xa0\x80"),                                          // surrogate
        std::string("\xf4\x90\x80\x80"),                                      // > U+10FFFF
        std::string("ok\n\x80")}) {
    absl::Status s = CheckTemplate("body_text", bad, kAllowed);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(FieldOf(s), "body_text");
    EXPECT_THAT(s.message(), HasSubstr("not valid UTF-8"));
  }
  EXPECT_THAT(CheckTemplate("f", "ok\nab\xff", kAllowed).message(), HasSubstr("line 2, column 3"));
  EXPECT_TRUE(CheckTemplate("f", "\xf0\x9f\x91\x8b \xc3\xa9 \xe2\x82\xac", kAllowed).ok());
}

}  // namespace
}  // namespace store::newsletter
