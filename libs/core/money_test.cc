#include "libs/core/money.h"

#include "gtest/gtest.h"

namespace store {
namespace {

TEST(CurrencyTest, KnowsExponents) {
  EXPECT_EQ(CurrencyExponent("USD"), 2);
  EXPECT_EQ(CurrencyExponent("KWD"), 3);
  EXPECT_EQ(CurrencyExponent("JPY"), 0);
  EXPECT_FALSE(CurrencyExponent("usd").has_value());
  EXPECT_FALSE(CurrencyExponent("XXX").has_value());
  EXPECT_FALSE(ValidateCurrency("currency_code", "ABC").ok());
  EXPECT_TRUE(ValidateCurrency("currency_code", "EUR").ok());
}

TEST(BasisPointsTest, RoundsHalfAwayFromZero) {
  EXPECT_EQ(ApplyBasisPoints(1000, 1000), 100);  // 10% of 10.00
  EXPECT_EQ(ApplyBasisPoints(5, 1000), 1);       // 0.5 -> 1
  EXPECT_EQ(ApplyBasisPoints(4, 1000), 0);       // 0.4 -> 0
  EXPECT_EQ(ApplyBasisPoints(-5, 1000), -1);
  EXPECT_EQ(ApplyBasisPoints(1999, 2000), 400);  // 399.8 -> 400
  EXPECT_EQ(ApplyBasisPoints(kMaxAmountMinor, 10000), kMaxAmountMinor);
}

TEST(FormatDecimalTest, IsTheAmountAloneInTheCurrencyDigits) {
  EXPECT_EQ(FormatDecimal(1250, "USD"), "12.50");
  EXPECT_EQ(FormatDecimal(-5, "EUR"), "-0.05");
  EXPECT_EQ(FormatDecimal(1250, "KWD"), "1.250");
  EXPECT_EQ(FormatDecimal(1200, "JPY"), "1200");
}

TEST(FormatMoneyTest, UsesTheCurrencyExponent) {
  EXPECT_EQ(FormatMoney(1250, "USD"), "12.50 USD");
  EXPECT_EQ(FormatMoney(1250, "KWD"), "1.250 KWD");
  EXPECT_EQ(FormatMoney(1250, "JPY"), "1250 JPY");
  EXPECT_EQ(FormatMoney(-5, "EUR"), "-0.05 EUR");
}

TEST(ParseMoneyTest, ParsesDecimalText) {
  EXPECT_EQ(*ParseMoney("12.5", "USD"), 1250);
  EXPECT_EQ(*ParseMoney("12", "USD"), 1200);
  EXPECT_EQ(*ParseMoney("1.234", "KWD"), 1234);
  EXPECT_FALSE(ParseMoney("1.234", "USD").ok());
  EXPECT_FALSE(ParseMoney("-1", "USD").ok());
  EXPECT_FALSE(ParseMoney("abc", "USD").ok());
  EXPECT_FALSE(ParseMoney("1.-5", "USD").ok());
}

}  // namespace
}  // namespace store

namespace store {
namespace {

TEST(AllocateTest, SharesAddUpExactly) {
  EXPECT_EQ(AllocateProportionally(100, {333, 333, 333}), (std::vector<int64_t>{34, 33, 33}));
  EXPECT_EQ(AllocateProportionally(10, {1, 3}), (std::vector<int64_t>{3, 7}));  // 2.5 / 7.5
  EXPECT_EQ(AllocateProportionally(0, {5, 5}), (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(AllocateProportionally(7, {0, 0}), (std::vector<int64_t>{7, 0}));
  EXPECT_TRUE(AllocateProportionally(5, {}).empty());
}

}  // namespace
}  // namespace store
