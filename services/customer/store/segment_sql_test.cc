#include "services/customer/store/segment_sql.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/status.h"

namespace store::customer {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone());
}

// now = 2026-11-22T10:00:00Z (a Sunday), store currency with 2 decimals.
SegmentContext Ctx() {
  SegmentContext ctx;
  ctx.now = Utc(2026, 11, 22, 10);
  ctx.custom_fields = {
      {"birthday", CustomFieldType::kDate, {}},
      {"shoe_size", CustomFieldType::kNumber, {}},
      {"nickname", CustomFieldType::kText, {}},
      {"size", CustomFieldType::kChoice, {"S", "M", "L", "XL"}},
  };
  return ctx;
}

CompiledSegment Compile(const std::string& rule, const SegmentContext& ctx = Ctx()) {
  absl::StatusOr<CompiledSegment> compiled = CompileSegmentRule(rule, ctx);
  EXPECT_TRUE(compiled.ok()) << rule << ": " << compiled.status();
  return compiled.ok() ? *compiled : CompiledSegment{};
}

void ExpectSql(const std::string& rule, const std::string& sql,
               const std::vector<std::string>& params, const SegmentContext& ctx = Ctx()) {
  CompiledSegment c = Compile(rule, ctx);
  EXPECT_EQ(c.where_sql, sql) << rule;
  EXPECT_EQ(c.params, params) << rule;
}

// Expects a SEGMENT_RULE_INVALID error at line:column whose message has `text`.
void ExpectError(const std::string& rule, int line, int column, const std::string& text,
                 const SegmentContext& ctx = Ctx()) {
  absl::StatusOr<CompiledSegment> compiled = CompileSegmentRule(rule, ctx);
  ASSERT_FALSE(compiled.ok()) << rule << " compiled to " << compiled->where_sql;
  const absl::Status& st = compiled.status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_THAT(st.message(), HasSubstr(absl::StrCat("rule: at ", line, ":", column, ": "))) << rule;
  EXPECT_THAT(st.message(), HasSubstr(text)) << rule;
  std::optional<common::v1::ErrorInfo> info = GetErrorInfo(st);
  ASSERT_TRUE(info.has_value()) << st;
  EXPECT_EQ(info->reason(), "SEGMENT_RULE_INVALID");
  EXPECT_EQ(info->field(), "rule");
  EXPECT_EQ(info->metadata().at("line"), absl::StrCat(line)) << st;
  EXPECT_EQ(info->metadata().at("column"), absl::StrCat(column)) << st;
}

// --- The seed examples -----------------------------------------------------

TEST(SegmentRuleTest, TotalSpentInMajorUnits) {
  ExpectSql("total_spent > 5000", "(c.total_spent > $1::bigint)", {"500000"});
}

TEST(SegmentRuleTest, WithinDays) {
  ExpectSql("last_order_at within 30 days",
            "(c.last_order_at >= $1::timestamptz AND c.last_order_at <= $2::timestamptz)",
            {"2026-10-23T10:00:00Z", "2026-11-22T10:00:00Z"});
}

TEST(SegmentRuleTest, BeforeMonthsAgo) {
  ExpectSql("last_order_at before 6 months ago", "(c.last_order_at < $1::timestamptz)",
            {"2026-05-22T10:00:00Z"});
}

TEST(SegmentRuleTest, BoolEquals) {
  ExpectSql("accepts_marketing = true", "(c.accepts_marketing = $1::boolean)", {"true"});
  ExpectSql("accepts_marketing = FALSE", "(c.accepts_marketing = $1::boolean)", {"false"});
}

TEST(SegmentRuleTest, OrdersCount) {
  ExpectSql("orders_count = 1", "(c.orders_count = $1::bigint)", {"1"});
}

TEST(SegmentRuleTest, OnDaysAgoIsThatCalendarDay) {
  ExpectSql("last_order_at on 2 days ago",
            "(c.last_order_at >= $1::timestamptz AND c.last_order_at < $2::timestamptz)",
            {"2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z"});
}

TEST(SegmentRuleTest, GroupCountryAndNot) {
  ExpectSql(
      R"(group = "VIP" and (country in ("DE", "AT") or not tax_exempt = true))",
      "((c.group_id IN (SELECT g.id FROM customer_groups g WHERE lower(g.name) = lower($1::text))) "
      "AND ((c.country IN ($2::text, $3::text)) OR "
      "(NOT COALESCE((c.tax_exempt = $4::boolean), false))))",
      {"VIP", "DE", "AT", "true"});
}

TEST(SegmentRuleTest, CustomDateOnToday) {
  ExpectSql("custom.birthday on today", "((c.custom->>$1::text)::date = $2::date)",
            {"birthday", "2026-11-22"});
}

TEST(SegmentRuleTest, CustomNumber) {
  ExpectSql("custom.shoe_size >= 42", "((c.custom->>$1::text)::numeric >= $2::numeric)",
            {"shoe_size", "42"});
}

TEST(SegmentRuleTest, NameContains) {
  ExpectSql(R"(name contains "smith")", "(strpos(lower(c.name), lower($1::text)) > 0)", {"smith"});
}

TEST(SegmentRuleTest, IsNotSet) {
  ExpectSql("last_order_at is not set", "(c.last_order_at IS NULL)", {});
}

TEST(SegmentRuleTest, AfterDateExcludesThatDay) {
  ExpectSql("created_at after 2026-01-01", "(c.created_at >= $1::timestamptz)",
            {"2026-01-02T00:00:00Z"});
}

// --- Structure ----------------------------------------------------------------

TEST(SegmentRuleTest, AndBindsTighterThanOr) {
  ExpectSql("orders_count = 1 or orders_count = 2 and orders_count = 3",
            "((c.orders_count = $1::bigint) OR "
            "((c.orders_count = $2::bigint) AND (c.orders_count = $3::bigint)))",
            {"1", "2", "3"});
}

TEST(SegmentRuleTest, ParenthesesGroup) {
  ExpectSql("(orders_count = 1 or orders_count = 2) and orders_count = 3",
            "(((c.orders_count = $1::bigint) OR (c.orders_count = $2::bigint)) AND "
            "(c.orders_count = $3::bigint))",
            {"1", "2", "3"});
  ExpectSql("((orders_count = 1))", "(c.orders_count = $1::bigint)", {"1"});
}

TEST(SegmentRuleTest, ChainsStayFlat) {
  ExpectSql("blocked or guest or active",
            "((c.blocked = $1::boolean) OR (c.guest = $2::boolean) OR (c.active = $3::boolean))",
            {"true", "true", "true"});
}

TEST(SegmentRuleTest, NotKeepsNullsOut) {
  ExpectSql("not orders_count = 1", "(NOT COALESCE((c.orders_count = $1::bigint), false))", {"1"});
  ExpectSql("not not blocked",
            "(NOT COALESCE((NOT COALESCE((c.blocked = $1::boolean), false)), false))", {"true"});
  ExpectSql("not (blocked or guest) and active",
            "((NOT COALESCE(((c.blocked = $1::boolean) OR (c.guest = $2::boolean)), false)) AND "
            "(c.active = $3::boolean))",
            {"true", "true", "true"});
}

TEST(SegmentRuleTest, BareBoolField) {
  ExpectSql("tax_exempt", "(c.tax_exempt = $1::boolean)", {"true"});
  ExpectSql("email_verified != false", "(NOT COALESCE((c.email_verified = $1::boolean), false))",
            {"false"});
}

TEST(SegmentRuleTest, InLists) {
  ExpectSql("orders_count in (1, 2, 3)", "(c.orders_count IN ($1::bigint, $2::bigint, $3::bigint))",
            {"1", "2", "3"});
  ExpectSql(R"(country not in ("de", "At"))",
            "(NOT COALESCE((c.country IN ($1::text, $2::text)), false))", {"DE", "AT"});
  ExpectSql(R"(email in ("a@x.io"))", "(lower(c.email) IN (lower($1::text)))", {"a@x.io"});
  ExpectSql(R"(group in ("VIP", "Wholesale"))",
            "(c.group_id IN (SELECT g.id FROM customer_groups g WHERE lower(g.name) IN "
            "(lower($1::text), lower($2::text))))",
            {"VIP", "Wholesale"});
  ExpectSql(R"(group not in ("VIP"))",
            "(NOT COALESCE((c.group_id IN (SELECT g.id FROM customer_groups g WHERE lower(g.name) "
            "IN (lower($1::text)))), false))",
            {"VIP"});
}

TEST(SegmentRuleTest, NotEqualsMatchesUnset) {
  ExpectSql(R"(group != "VIP")",
            "(NOT COALESCE((c.group_id IN (SELECT g.id FROM customer_groups g WHERE lower(g.name) "
            "= lower($1::text))), false))",
            {"VIP"});
  ExpectSql("total_spent != 0", "(NOT COALESCE((c.total_spent = $1::bigint), false))", {"0"});
}

TEST(SegmentRuleTest, TextFieldsCompareCaseInsensitively) {
  ExpectSql(R"(email = "Ann@Example.com")", "(lower(c.email) = lower($1::text))",
            {"Ann@Example.com"});
  ExpectSql(R"(email contains "@example.")", "(strpos(lower(c.email), lower($1::text)) > 0)",
            {"@example."});
  ExpectSql(R"(country = "de")", "(c.country = $1::text)", {"DE"});
}

TEST(SegmentRuleTest, IsSet) {
  ExpectSql("email is set", "(length(c.email) > 0)", {});
  ExpectSql("name is not set", "(COALESCE(length(c.name), 0) = 0)", {});
  ExpectSql("group is set", "(c.group_id IS NOT NULL)", {});
  ExpectSql("first_order_at is set", "(c.first_order_at IS NOT NULL)", {});
  ExpectSql("custom.nickname is set", "(length(c.custom->>$1::text) > 0)", {"nickname"});
  ExpectSql("custom.birthday is not set", "(COALESCE(length(c.custom->>$1::text), 0) = 0)",
            {"birthday"});
}

TEST(SegmentRuleTest, KeywordsAndBuiltInFieldsAreCaseInsensitive) {
  ExpectSql("TOTAL_SPENT > 10 AND Last_Order_At WITHIN 3 DAYS Or NOT Tax_Exempt Is Set",
            "(((c.total_spent > $1::bigint) AND (c.last_order_at >= $2::timestamptz AND "
            "c.last_order_at <= $3::timestamptz)) OR "
            "(NOT COALESCE((c.tax_exempt IS NOT NULL), false)))",
            {"1000", "2026-11-19T10:00:00Z", "2026-11-22T10:00:00Z"});
  ExpectSql("created_at BEFORE 1 Month AGO", "(c.created_at < $1::timestamptz)",
            {"2026-10-22T10:00:00Z"});
}

TEST(SegmentRuleTest, Comments) {
  ExpectSql("# VIP customers\ntotal_spent > 5000  # major units\n# the end\n",
            "(c.total_spent > $1::bigint)", {"500000"});
  ExpectSql("total_spent > 5000 # and orders_count = 1", "(c.total_spent > $1::bigint)",
            {"500000"});
}

TEST(SegmentRuleTest, FirstParam) {
  SegmentContext ctx = Ctx();
  ctx.first_param = 3;
  ExpectSql("orders_count = 1 and custom.shoe_size > 40",
            "((c.orders_count = $3::bigint) AND ((c.custom->>$4::text)::numeric > $5::numeric))",
            {"1", "shoe_size", "40"}, ctx);
}

// --- Times ----------------------------------------------------------------------

TEST(SegmentRuleTest, TimeComparisons) {
  const std::string ts = "(c.last_order_at ";
  ExpectSql("last_order_at > 30 days ago", ts + "> $1::timestamptz)", {"2026-10-23T10:00:00Z"});
  ExpectSql("last_order_at <= 2 hours ago", ts + "<= $1::timestamptz)", {"2026-11-22T08:00:00Z"});
  // A date stands for its whole day.
  ExpectSql("last_order_at >= 2026-11-01", ts + ">= $1::timestamptz)", {"2026-11-01T00:00:00Z"});
  ExpectSql("last_order_at > 2026-11-01", ts + ">= $1::timestamptz)", {"2026-11-02T00:00:00Z"});
  ExpectSql("last_order_at < 2026-11-01", ts + "< $1::timestamptz)", {"2026-11-01T00:00:00Z"});
  ExpectSql("last_order_at <= 2026-11-01", ts + "< $1::timestamptz)", {"2026-11-02T00:00:00Z"});
  ExpectSql("last_order_at before 2026-11-01", ts + "< $1::timestamptz)", {"2026-11-01T00:00:00Z"});
  ExpectSql("last_order_at before today", ts + "< $1::timestamptz)", {"2026-11-22T00:00:00Z"});
  ExpectSql("last_order_at after yesterday", ts + ">= $1::timestamptz)", {"2026-11-22T00:00:00Z"});
  ExpectSql("last_order_at before now", ts + "< $1::timestamptz)", {"2026-11-22T10:00:00Z"});
  ExpectSql("last_order_at after 1 week ago", ts + "> $1::timestamptz)", {"2026-11-15T10:00:00Z"});
}

TEST(SegmentRuleTest, WithinUnits) {
  const std::string sql = "(c.created_at >= $1::timestamptz AND c.created_at <= $2::timestamptz)";
  ExpectSql("created_at within 12 hours", sql, {"2026-11-21T22:00:00Z", "2026-11-22T10:00:00Z"});
  ExpectSql("created_at within 2 weeks", sql, {"2026-11-08T10:00:00Z", "2026-11-22T10:00:00Z"});
  ExpectSql("created_at within 1 year", sql, {"2025-11-22T10:00:00Z", "2026-11-22T10:00:00Z"});
  ExpectSql("created_at within 0 days", sql, {"2026-11-22T10:00:00Z", "2026-11-22T10:00:00Z"});
}

TEST(SegmentRuleTest, OnDays) {
  const std::string sql = "(c.created_at >= $1::timestamptz AND c.created_at < $2::timestamptz)";
  ExpectSql("created_at on today", sql, {"2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z"});
  ExpectSql("created_at on yesterday", sql, {"2026-11-21T00:00:00Z", "2026-11-22T00:00:00Z"});
  ExpectSql("created_at on 2026-02-28", sql, {"2026-02-28T00:00:00Z", "2026-03-01T00:00:00Z"});
  ExpectSql("created_at on 1 month ago", sql, {"2026-10-22T00:00:00Z", "2026-10-23T00:00:00Z"});
}

TEST(SegmentRuleTest, MonthsAreCalendarMonthsClamped) {
  SegmentContext ctx = Ctx();
  ctx.now = Utc(2026, 3, 31, 12);
  ExpectSql("created_at before 1 month ago", "(c.created_at < $1::timestamptz)",
            {"2026-02-28T12:00:00Z"}, ctx);
  ExpectSql("created_at before 13 months ago", "(c.created_at < $1::timestamptz)",
            {"2025-02-28T12:00:00Z"}, ctx);
  ctx.now = Utc(2024, 3, 31, 12);
  ExpectSql("created_at before 1 month ago", "(c.created_at < $1::timestamptz)",
            {"2024-02-29T12:00:00Z"}, ctx);
  ctx.now = Utc(2024, 2, 29);
  ExpectSql("created_at before 1 year ago", "(c.created_at < $1::timestamptz)",
            {"2023-02-28T00:00:00Z"}, ctx);
}

TEST(SegmentRuleTest, SubsecondNowIsKept) {
  SegmentContext ctx = Ctx();
  ctx.now = Utc(2026, 11, 22, 10) + absl::Milliseconds(250);
  ExpectSql("created_at before 1 month ago", "(c.created_at < $1::timestamptz)",
            {"2026-10-22T10:00:00.25Z"}, ctx);
}

TEST(SegmentRuleTest, CustomDateFieldsWorkByDay) {
  const std::string d = "((c.custom->>$1::text)::date ";
  ExpectSql("custom.birthday before 2000-01-01", d + "< $2::date)", {"birthday", "2000-01-01"});
  ExpectSql("custom.birthday after yesterday", d + "> $2::date)", {"birthday", "2026-11-21"});
  ExpectSql("custom.birthday = 1990-05-17", d + "= $2::date)", {"birthday", "1990-05-17"});
  ExpectSql("custom.birthday <= 3 days ago", d + "<= $2::date)", {"birthday", "2026-11-19"});
  ExpectSql("custom.birthday within 7 days",
            "((c.custom->>$1::text)::date >= $2::date AND (c.custom->>$1::text)::date <= $3::date)",
            {"birthday", "2026-11-15", "2026-11-22"});
}

// --- Money ------------------------------------------------------------------------

TEST(SegmentRuleTest, MoneyIsConvertedExactly) {
  ExpectSql("total_spent >= 12.5", "(c.total_spent >= $1::bigint)", {"1250"});
  ExpectSql("total_spent >= 12.05", "(c.total_spent >= $1::bigint)", {"1205"});
  ExpectSql("total_spent >= 0.1", "(c.total_spent >= $1::bigint)", {"10"});
  ExpectSql("wallet_balance < -0.01", "(c.wallet_balance < $1::bigint)", {"-1"});
  ExpectSql("wallet_balance in (0, 007.10)", "(c.wallet_balance IN ($1::bigint, $2::bigint))",
            {"0", "710"});
  SegmentContext kwd = Ctx();
  kwd.currency_exponent = 3;
  ExpectSql("total_spent > 12.345", "(c.total_spent > $1::bigint)", {"12345"}, kwd);
}

TEST(SegmentRuleTest, MoneyWithoutDecimalsJpy) {
  SegmentContext jpy = Ctx();
  jpy.currency_exponent = 0;
  ExpectSql("total_spent > 5000", "(c.total_spent > $1::bigint)", {"5000"}, jpy);
  ExpectError("total_spent > 5000.5", 1, 15, "no decimals", jpy);
}

TEST(SegmentRuleTest, MoneyWithTooManyDecimals) {
  ExpectError("total_spent > 12.345", 1, 15, "at most 2 decimals, but 12.345 has 3");
  ExpectError("total_spent > 12.340", 1, 15, "at most 2 decimals");
}

TEST(SegmentRuleTest, MoneyTooLarge) {
  ExpectError("total_spent > 99999999999999999999999", 1, 15, "too large");
  ExpectError("total_spent > 10000000000000.01", 1, 15, "too large");
  ExpectSql("total_spent < 10000000000000", "(c.total_spent < $1::bigint)", {"1000000000000000"});
}

// --- Custom fields -------------------------------------------------------------------

TEST(SegmentRuleTest, CustomText) {
  ExpectSql(R"(custom.nickname = "Bob")", "(lower(c.custom->>$1::text) = lower($2::text))",
            {"nickname", "Bob"});
  ExpectSql(R"(custom.nickname contains "ob")",
            "(strpos(lower(c.custom->>$1::text), lower($2::text)) > 0)", {"nickname", "ob"});
}

TEST(SegmentRuleTest, CustomNumberIn) {
  ExpectSql("custom.shoe_size in (42, 42.5, -1)",
            "((c.custom->>$1::text)::numeric IN ($2::numeric, $3::numeric, $4::numeric))",
            {"shoe_size", "42", "42.5", "-1"});
}

TEST(SegmentRuleTest, CustomChoice) {
  ExpectSql(R"(custom.size = "xl")", "((c.custom->>$1::text) = $2::text)", {"size", "XL"});
  ExpectSql(R"(custom.size in ("S", "M"))", "((c.custom->>$1::text) IN ($2::text, $3::text))",
            {"size", "S", "M"});
  ExpectSql(R"(custom.size != "L")", "(NOT COALESCE(((c.custom->>$1::text) = $2::text), false))",
            {"size", "L"});
  ExpectError(R"(custom.size = "XXL")", 1, 15,
              R"("XXL" is not a choice of custom.size; the choices are "S", "M", "L", "XL")");
  ExpectError(R"(custom.size in ("S", "huge"))", 1, 22, "is not a choice");
}

TEST(SegmentRuleTest, UnknownCustomField) {
  ExpectError("custom.nope = 1", 1, 1,
              "unknown custom field \"custom.nope\"; the custom fields "
              "are custom.birthday, custom.shoe_size");
  SegmentContext none = Ctx();
  none.custom_fields.clear();
  ExpectError("custom.birthday is set", 1, 1, "the store has no custom fields", none);
  ExpectError("custom = 1", 1, 1, "custom.<key>");
}

TEST(SegmentRuleTest, CustomKeysAreCaseSensitive) {
  ExpectError("custom.Birthday on today", 1, 1, "unknown custom field");
  ExpectSql("CUSTOM.birthday is set", "(length(c.custom->>$1::text) > 0)", {"birthday"});
}

// --- Injection ------------------------------------------------------------------

TEST(SegmentRuleTest, HostileStringsOnlyReachParams) {
  const std::string hostile = "x'); DROP TABLE customers; --";
  for (const std::string& rule :
       {"name = \"" + hostile + "\"", "email contains \"" + hostile + "\"",
        "group in (\"" + hostile + "\")", "custom.nickname != \"" + hostile + "\""}) {
    CompiledSegment c = Compile(rule);
    EXPECT_THAT(c.where_sql, Not(HasSubstr("'"))) << rule;
    EXPECT_THAT(c.where_sql, Not(HasSubstr("DROP"))) << rule;
    EXPECT_THAT(c.where_sql, Not(HasSubstr("--"))) << rule;
    EXPECT_THAT(c.params, testing::Contains(hostile)) << rule;
  }
  ExpectError("name = \"x\" or 1=1; DROP TABLE customers", 1, 15, "expected a field");
}

TEST(SegmentRuleTest, NumbersAndKeysAreParamsToo) {
  CompiledSegment c = Compile("custom.shoe_size > 40 and orders_count = 7");
  EXPECT_THAT(c.where_sql, Not(HasSubstr("shoe_size")));
  EXPECT_THAT(c.where_sql, Not(HasSubstr("40")));
  EXPECT_THAT(c.where_sql, Not(HasSubstr("7")));
}

TEST(SegmentRuleTest, StringEscapes) {
  ExpectSql(R"(name = "say \"hi\" \\ ok")", "(lower(c.name) = lower($1::text))",
            {R"(say "hi" \ ok)"});
  ExpectSql(R"(name = "Zoë")", "(lower(c.name) = lower($1::text))", {"Zoë"});
  ExpectSql(R"(name = "")", "(lower(c.name) = lower($1::text))", {""});
}

// --- Errors ---------------------------------------------------------------------

TEST(SegmentRuleErrorTest, UnknownFieldListsTheKnownOnes) {
  ExpectError("foo = 1", 1, 1, "unknown field \"foo\"; the fields are total_spent, wallet_balance");
  ExpectError("orders_count = 1 and\n  spent > 3", 2, 3, "custom.<key>");
}

TEST(SegmentRuleErrorTest, WrongValueType) {
  ExpectError(R"(total_spent > "abc")", 1, 15,
              R"(expected a number for total_spent after '>' but found "abc")");
  ExpectError("total_spent > abc", 1, 15,
              R"(expected a value after '>' but found "abc" (strings need double quotes))");
  ExpectError("orders_count = 1.5", 1, 16, "expected a whole number for orders_count");
  ExpectError("tax_exempt = 1", 1, 14, "expected TRUE or FALSE for tax_exempt after '='");
  ExpectError("name = 5", 1, 8, "expected a string for name after '=' but found 5");
  ExpectError("last_order_at > 5", 1, 17, "expected a date (YYYY-MM-DD)");
  ExpectError(R"(country in ("DE", 5))", 1, 19, "expected a string for country in the list");
  ExpectError(R"(country = "Germany")", 1, 11, "two-letter ISO 3166 code");
  ExpectError("orders_count = 3 days ago", 1, 16, "but found 3 days ago");
}

TEST(SegmentRuleErrorTest, OperatorNotForType) {
  ExpectError(R"(orders_count contains "1")", 1, 14,
              "CONTAINS does not apply to orders_count, an integer field; use =, !=");
  ExpectError("last_order_at = 2026-01-01", 1, 15, "use ON");
  ExpectError(R"(country contains "D")", 1, 9, "CONTAINS does not apply to country");
  ExpectError("tax_exempt > true", 1, 12, "'>' does not apply to tax_exempt");
  ExpectError("created_at in (2026-01-01)", 1, 12, "IN does not apply to created_at");
  ExpectError("total_spent within 3 days", 1, 13, "WITHIN does not apply to total_spent");
  ExpectError(R"(custom.size contains "X")", 1, 13, "a custom choice field");
}

TEST(SegmentRuleErrorTest, UnterminatedString) {
  ExpectError(R"(name = "abc)", 1, 8, "unterminated string");
  ExpectError("name = \"abc\nand x", 1, 8, "unterminated string");
  ExpectError(R"(name = "abc\)", 1, 8, "unterminated string");
}

TEST(SegmentRuleErrorTest, BadStrings) {
  ExpectError(R"(name = "a\nb")", 1, 10, "unknown escape");
  ExpectError("name = \"a\tb\"", 1, 10, "control characters");
  ExpectError("name = \"a\xff\"", 1, 10, "invalid UTF-8");
  ExpectError("group = 'VIP'", 1, 9, "double quotes");
}

TEST(SegmentRuleErrorTest, UnexpectedTokenOrEnd) {
  ExpectError("total_spent > 5 5", 1, 17, "expected AND, OR or the end of the rule but found 5");
  ExpectError("total_spent >", 1, 14, "expected a value after '>' but found the end of the rule");
  ExpectError("total_spent", 1, 12, "expected an operator after total_spent");
  ExpectError("(total_spent > 5", 1, 17, "expected AND, OR or ')'");
  ExpectError("total_spent > 5)", 1, 16, "but found ')'");
  ExpectError("and total_spent > 5", 1, 1, "expected a field, NOT or '(' but found AND");
  ExpectError("total_spent > 5 and", 1, 20, "expected a field, NOT or '('");
  ExpectError("country in \"DE\"", 1, 12, "expected '(' after IN");
  ExpectError("country in ()", 1, 13, "expected a value in the IN list but found ')'");
  ExpectError("country in (\"DE\" \"AT\")", 1, 18, "expected ',' or ')'");
  ExpectError("country not \"DE\"", 1, 13, "expected IN after NOT");
  ExpectError("country is", 1, 11, "expected SET or NOT SET after IS");
  ExpectError("last_order_at before 3 days", 1, 28, "expected AGO after \"3 days\"");
  ExpectError("total_spent ! 5", 1, 13, "unexpected character '!'");
  ExpectError("total_spent > 5 & guest", 1, 17, "unexpected character '&'");
  ExpectError("total_spent > 5.", 1, 15, "digits after the decimal point");
}

TEST(SegmentRuleErrorTest, BadTimes) {
  ExpectError("last_order_at within 3 fortnights", 1, 24,
              "unknown unit \"fortnights\"; expected hours, days, weeks, months or years");
  ExpectError("last_order_at before 3 fortnights ago", 1, 24, "unknown unit \"fortnights\"");
  ExpectError("last_order_at within days", 1, 22, "expected a number of hours");
  ExpectError("last_order_at within 1.5 days", 1, 22, "expected a whole number 0..100000");
  ExpectError("last_order_at within 100001 days", 1, 22, "expected a whole number 0..100000");
  ExpectError("created_at after 2026-02-30", 1, 18, "not a valid date");
  ExpectError("created_at after 2026-2-3", 1, 18, "not a valid date");
  ExpectError("created_at on now", 1, 15, "ON takes a day");
  ExpectError("created_at on 3 hours ago", 1, 15, "ON takes a day");
  ExpectError("created_at before 100000 years ago", 1, 19, "out of range");
  ExpectError("created_at after 9999-12-31", 1, 18, "out of range");
}

TEST(SegmentRuleErrorTest, ContainsNeedsText) {
  ExpectError(R"(name contains "")", 1, 15, "non-empty");
}

TEST(SegmentRuleErrorTest, EmptyRule) {
  ExpectError("", 1, 1, "the rule is empty");
  ExpectError("  \n # nothing here\n", 1, 1, "the rule is empty");
}

TEST(SegmentRuleErrorTest, TooLong) {
  std::string rule = "orders_count = 1";
  rule.resize(kMaxSegmentRuleLength, ' ');
  Compile(rule);
  rule.push_back(' ');
  ExpectError(rule, 1, kMaxSegmentRuleLength + 1, "longer than 4000 characters");
}

TEST(SegmentRuleErrorTest, NestingDepth) {
  const std::string ok = std::string(32, '(') + "blocked" + std::string(32, ')');
  ExpectSql(ok, "(c.blocked = $1::boolean)", {"true"});
  const std::string deep = std::string(33, '(') + "blocked" + std::string(33, ')');
  ExpectError(deep, 1, 33, "deeper than 32 levels");
  ExpectError(std::string(3999, '('), 1, 33, "deeper than 32 levels");
  std::string nots;
  for (int i = 0; i < 40; ++i) nots += "not ";
  ExpectError(nots + "blocked", 1, 129, "deeper than 32 levels");
}

TEST(SegmentRuleErrorTest, PositionsCountCharactersAndLines) {
  // "ü" is two bytes, one column.
  absl::StatusOr<CompiledSegment> c = CompileSegmentRule("name = \"ü\" and x = 1", Ctx());
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("at 1:16:"));
  EXPECT_EQ(GetErrorInfo(c.status())->metadata().at("offset"), "16");
  ExpectError("orders_count = 1\r\n  and foo = 2", 2, 7, "unknown field \"foo\"");
}

TEST(SegmentRuleErrorTest, BadContext) {
  SegmentContext ctx = Ctx();
  ctx.currency_exponent = 7;
  EXPECT_EQ(CompileSegmentRule("blocked", ctx).status().code(), absl::StatusCode::kInvalidArgument);
  ctx = Ctx();
  ctx.first_param = 0;
  EXPECT_EQ(CompileSegmentRule("blocked", ctx).status().code(), absl::StatusCode::kInvalidArgument);
}

// --- Introspection --------------------------------------------------------------

TEST(SegmentRuleFieldsTest, ListsFieldsOnceInOrder) {
  absl::StatusOr<std::vector<std::string>> fields = SegmentRuleFields(
      R"(Group = "VIP" and (country in ("DE") or custom.size = "S" or group is set))");
  ASSERT_TRUE(fields.ok()) << fields.status();
  EXPECT_THAT(*fields, ElementsAre("group", "country", "custom.size"));
  // Custom keys are not checked without a context.
  EXPECT_THAT(*SegmentRuleFields("custom.anything is set"), ElementsAre("custom.anything"));
  EXPECT_FALSE(SegmentRuleFields("foo = 1").ok());
  EXPECT_FALSE(SegmentRuleFields("").ok());
}

TEST(SegmentRuleFieldsTest, TimeRelative) {
  EXPECT_FALSE(*SegmentRuleIsTimeRelative("created_at after 2026-01-01"));
  EXPECT_FALSE(*SegmentRuleIsTimeRelative("total_spent > 1 or tax_exempt"));
  EXPECT_TRUE(*SegmentRuleIsTimeRelative("total_spent > 1 or last_order_at within 30 days"));
  EXPECT_TRUE(*SegmentRuleIsTimeRelative("not last_order_at before 6 months ago"));
  EXPECT_TRUE(*SegmentRuleIsTimeRelative("custom.birthday on today"));
  EXPECT_TRUE(*SegmentRuleIsTimeRelative("created_at > yesterday"));
  EXPECT_TRUE(*SegmentRuleIsTimeRelative("created_at < now"));
  EXPECT_FALSE(SegmentRuleIsTimeRelative("created_at <").ok());
}

}  // namespace
}  // namespace store::customer
