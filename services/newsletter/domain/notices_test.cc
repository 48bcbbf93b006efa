#include "services/newsletter/domain/notices.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/status.h"
#include "services/newsletter/domain/template.h"

namespace store::newsletter {
namespace {

using ::testing::HasSubstr;

TEST(NoticesTest, EveryTypeHasABuiltinTemplateThatUsesOnlyItsOwnTags) {
  EXPECT_EQ(AllNoticeTypes().size(), 13u);
  for (v1::NoticeType type : AllNoticeTypes()) {
    const v1::NoticeTemplate t = DefaultNotice(type);
    EXPECT_TRUE(t.enabled()) << NoticeName(type);
    EXPECT_FALSE(t.customized());
    EXPECT_TRUE(ValidateNotice(t).ok()) << NoticeName(type) << ": " << ValidateNotice(t);
    EXPECT_FALSE(t.text_body().empty());
    EXPECT_THAT(t.html_body(), HasSubstr("<html>"));
    for (const char* common : {"firstname", "lastname", "email", "store_name", "store_url"}) {
      EXPECT_TRUE(NoticeTags(type).contains(common)) << NoticeName(type);
    }
  }
}

TEST(NoticesTest, TheShippedNoticeCarriesCarrierAndTrackingLink) {
  const v1::NoticeTemplate t = DefaultNotice(v1::NOTICE_TYPE_ORDER_SHIPPED);
  EXPECT_EQ(NoticeName(v1::NOTICE_TYPE_ORDER_SHIPPED), "order_shipped");
  const std::string text = RenderTemplate(t.text_body(),
                                          {{"firstname", "Ann"},
                                           {"order_number", "10001"},
                                           {"carrier", "ups"},
                                           {"tracking_number", "1Z9"},
                                           {"tracking_url", "https://ups.example/t?n=1Z9&x=1"}},
                                          Escape::kNone);
  EXPECT_THAT(text, HasSubstr("Hello Ann,"));
  EXPECT_THAT(text, HasSubstr("#10001 has shipped with ups"));
  EXPECT_THAT(text, HasSubstr("https://ups.example/t?n=1Z9&x=1"));
  const std::string html = RenderTemplate(
      t.html_body(), {{"tracking_url", "https://ups.example/t?n=1Z9&x=1"}}, Escape::kHtml);
  EXPECT_THAT(html, HasSubstr("href=\"https://ups.example/t?n=1Z9&amp;x=1\""));
}

TEST(NoticesTest, EditsAreCheckedNamingTheField) {
  v1::NoticeTemplate t = DefaultNotice(v1::NOTICE_TYPE_ORDER_RECEIVED);
  t.set_text_body("Hi {firstname}, tracking: {tracking_url}");  // not an order-received tag
  absl::Status s = ValidateNotice(t);
  EXPECT_EQ(GetErrorInfo(s)->field(), "template.text_body");
  EXPECT_THAT(s.message(), HasSubstr("{tracking_url}"));

  t = DefaultNotice(v1::NOTICE_TYPE_ORDER_RECEIVED);
  t.set_subject("Two\r\nlines");
  EXPECT_EQ(GetErrorInfo(ValidateNotice(t))->field(), "template.subject");
  t.set_subject(" ");
  EXPECT_EQ(GetErrorInfo(ValidateNotice(t))->field(), "template.subject");

  t = DefaultNotice(v1::NOTICE_TYPE_ORDER_RECEIVED);
  t.clear_html_body();
  t.clear_text_body();
  EXPECT_EQ(GetErrorInfo(ValidateNotice(t))->field(), "template.text_body");
  t.set_html_body("<style>p { color: red }</style><p>{order_number}</p>");
  EXPECT_TRUE(ValidateNotice(t).ok());  // CSS braces are text

  t.set_type(v1::NOTICE_TYPE_UNSPECIFIED);
  EXPECT_EQ(GetErrorInfo(ValidateNotice(t))->field(), "template.type");
}

TEST(NoticesTest, SecurityMailsCannotBeSwitchedOff) {
  for (v1::NoticeType type : AllNoticeTypes()) {
    v1::NoticeTemplate t = DefaultNotice(type);
    t.set_enabled(false);
    const bool required = type == v1::NOTICE_TYPE_EMAIL_VERIFICATION ||
                          type == v1::NOTICE_TYPE_PASSWORD_RESET ||
                          type == v1::NOTICE_TYPE_SUBSCRIPTION_CONFIRMATION;
    EXPECT_EQ(NoticeRequired(type), required);
    EXPECT_EQ(ValidateNotice(t).ok(), !required) << NoticeName(type);
  }
}

}  // namespace
}  // namespace store::newsletter
