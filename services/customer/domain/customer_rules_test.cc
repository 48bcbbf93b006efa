#include "services/customer/domain/customer_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "libs/core/status.h"

namespace store::customer {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

WalletCredit Credit(std::string id, int64_t remaining, std::optional<absl::Duration> expires_in,
                    int64_t seq) {
  WalletCredit c;
  c.id = std::move(id);
  c.remaining = remaining;
  if (expires_in.has_value()) c.expires_at = kNow + *expires_in;
  c.seq = seq;
  return c;
}

TEST(WalletTest, DebitConsumesSoonestExpiringFirstAndNeverExpiringLast) {
  std::vector<WalletCredit> credits = {
      Credit("forever", 1000, std::nullopt, 1),
      Credit("late", 500, absl::Hours(48), 2),
      Credit("soon", 300, absl::Hours(1), 3),
  };
  auto a = AllocateDebit(credits, 700, kNow);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(*a, ElementsAre(Pair("soon", 300), Pair("late", 400)));
  auto b = AllocateDebit(credits, 1800, kNow);
  ASSERT_TRUE(b.ok());
  EXPECT_THAT(*b, ElementsAre(Pair("soon", 300), Pair("late", 500), Pair("forever", 1000)));
}

TEST(WalletTest, OlderCreditFirstAmongEqualExpiry) {
  std::vector<WalletCredit> credits = {Credit("b", 100, std::nullopt, 9),
                                       Credit("a", 100, std::nullopt, 2)};
  auto a = AllocateDebit(credits, 150, kNow);
  ASSERT_TRUE(a.ok());
  EXPECT_THAT(*a, ElementsAre(Pair("a", 100), Pair("b", 50)));
}

TEST(WalletTest, ExpiredCreditsAreNotSpendable) {
  std::vector<WalletCredit> credits = {Credit("old", 1000, -absl::Seconds(1), 1),
                                       Credit("ok", 200, std::nullopt, 2)};
  EXPECT_EQ(SpendableBalance(credits, kNow), 200);
  // Expiring exactly now counts as expired.
  credits.push_back(Credit("edge", 50, absl::ZeroDuration(), 3));
  EXPECT_EQ(SpendableBalance(credits, kNow), 200);
  auto a = AllocateDebit(credits, 300, kNow);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetErrorInfo(a.status())->reason(), "INSUFFICIENT_FUNDS");
  EXPECT_EQ(GetErrorInfo(a.status())->metadata().at("balance_minor"), "200");
}

TEST(WalletTest, ExactBalanceCanBeSpentAndZeroOrNegativeAmountsAreRefused) {
  std::vector<WalletCredit> credits = {Credit("a", 250, std::nullopt, 1)};
  auto all = AllocateDebit(credits, 250, kNow);
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, ElementsAre(Pair("a", 250)));
  EXPECT_EQ(AllocateDebit(credits, 0, kNow).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AllocateDebit(credits, -5, kNow).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AllocateDebit({}, 1, kNow).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(PasswordTest, Limits) {
  EXPECT_TRUE(ValidatePassword("password", "12345678").ok());
  EXPECT_EQ(ValidatePassword("password", "1234567").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetErrorInfo(ValidatePassword("password", "short"))->field(), "password");
  EXPECT_FALSE(ValidatePassword("password", std::string(257, 'x')).ok());
  EXPECT_FALSE(ValidatePassword("password", "          ").ok());
}

TEST(ProfileTest, NormalisesEmailPhoneAndCountry) {
  v1::Customer c;
  c.set_email("  Ann@Example.COM ");
  c.set_name(" Ann ");
  c.set_phone("00965 1234-5678");
  c.set_country_code("kw");
  ASSERT_TRUE(NormalizeProfile("customer.", c, true).ok());
  EXPECT_EQ(c.email(), "ann@example.com");
  EXPECT_EQ(c.name(), "Ann");
  EXPECT_EQ(c.phone(), "+96512345678");
  EXPECT_EQ(c.country_code(), "KW");
  c.set_phone("12345");
  absl::Status bad = NormalizeProfile("customer.", c, true);
  EXPECT_EQ(GetErrorInfo(bad)->field(), "customer.phone");
  c.set_phone("");
  c.set_country_code("Kuwait");
  EXPECT_EQ(GetErrorInfo(NormalizeProfile("customer.", c, true))->field(), "customer.country_code");
  c.set_country_code("");
  c.set_name("");
  EXPECT_EQ(GetErrorInfo(NormalizeProfile("customer.", c, true))->field(), "customer.name");
  EXPECT_TRUE(NormalizeProfile("customer.", c, false).ok());
}

TEST(CustomFieldTest, DefinitionsAreChecked) {
  v1::CustomField f;
  f.set_key("shoe_size");
  f.set_type(v1::CUSTOM_FIELD_TYPE_NUMBER);
  EXPECT_TRUE(ValidateCustomFieldDef(f).ok());
  f.set_key("Shoe");
  EXPECT_EQ(GetErrorInfo(ValidateCustomFieldDef(f))->field(), "field.key");
  f.set_key("tier");
  f.set_type(v1::CUSTOM_FIELD_TYPE_CHOICE);
  EXPECT_EQ(GetErrorInfo(ValidateCustomFieldDef(f))->field(), "field.choices");
  f.add_choices("gold");
  f.add_choices("gold");
  EXPECT_EQ(GetErrorInfo(ValidateCustomFieldDef(f))->field(), "field.choices[1]");
}

TEST(CustomFieldTest, ValuesAreNormalisedByType) {
  v1::CustomField num;
  num.set_key("size");
  num.set_type(v1::CUSTOM_FIELD_TYPE_NUMBER);
  EXPECT_EQ(*NormalizeCustomValue(num, "42.50"), "42.5");
  EXPECT_EQ(*NormalizeCustomValue(num, "-3"), "-3");
  EXPECT_EQ(*NormalizeCustomValue(num, "7.0"), "7");
  EXPECT_FALSE(NormalizeCustomValue(num, "1e9").ok());
  EXPECT_FALSE(NormalizeCustomValue(num, "abc").ok());
  EXPECT_EQ(GetErrorInfo(NormalizeCustomValue(num, "x").status())->field(), "custom_fields.size");

  v1::CustomField date;
  date.set_key("birthday");
  date.set_type(v1::CUSTOM_FIELD_TYPE_DATE);
  EXPECT_EQ(*NormalizeCustomValue(date, "2000-02-29"), "2000-02-29");
  EXPECT_FALSE(NormalizeCustomValue(date, "2001-02-29").ok());
  EXPECT_FALSE(NormalizeCustomValue(date, "2001-2-3").ok());

  v1::CustomField choice;
  choice.set_key("tier");
  choice.set_type(v1::CUSTOM_FIELD_TYPE_CHOICE);
  choice.add_choices("gold");
  choice.add_choices("silver");
  EXPECT_EQ(*NormalizeCustomValue(choice, "gold"), "gold");
  EXPECT_FALSE(NormalizeCustomValue(choice, "bronze").ok());

  v1::CustomField text;
  text.set_key("note");
  text.set_type(v1::CUSTOM_FIELD_TYPE_TEXT);
  text.set_max_length(5);
  EXPECT_TRUE(NormalizeCustomValue(text, "hello").ok());
  EXPECT_FALSE(NormalizeCustomValue(text, "hello!").ok());
  EXPECT_FALSE(NormalizeCustomValue(text, "a\nb").ok());
}

}  // namespace
}  // namespace store::customer
