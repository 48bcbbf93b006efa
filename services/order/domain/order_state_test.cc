#include "services/order/domain/order_state.h"

#include <set>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/status.h"

namespace store::order {
namespace {

using ::testing::HasSubstr;
using v1::OrderStatus;

// The legal transitions, written out independently of the implementation's
// table: every other pair must be refused.
const std::set<std::pair<std::string, std::string>> kLegal = {
    {"pending", "awaiting_verification"}, {"pending", "processing"},
    {"pending", "cancelled"},             {"pending", "rejected"},
    {"awaiting_verification", "processing"}, {"awaiting_verification", "pending"},
    {"awaiting_verification", "cancelled"},  {"awaiting_verification", "rejected"},
    {"processing", "shipped"},            {"processing", "completed"},
    {"processing", "cancelled"},          {"processing", "rejected"},
    {"processing", "refunded"},           {"processing", "partially_refunded"},
    {"shipped", "completed"},             {"shipped", "refunded"},
    {"shipped", "partially_refunded"},    {"completed", "refunded"},
    {"completed", "partially_refunded"},  {"partially_refunded", "partially_refunded"},
    {"partially_refunded", "refunded"},   {"partially_refunded", "shipped"},
    {"partially_refunded", "completed"},  {"cancelled", "refunded"},
    {"cancelled", "partially_refunded"},  {"rejected", "refunded"},
    {"rejected", "partially_refunded"},
};

std::vector<OrderStatus> AllStatuses() {
  std::vector<OrderStatus> all;
  for (int s = 1; s <= 9; ++s) all.push_back(static_cast<OrderStatus>(s));
  return all;
}

TEST(OrderStateTest, EveryPairIsLegalExactlyWhenTheTableSaysSo) {
  int legal = 0;
  for (OrderStatus from : AllStatuses()) {
    for (OrderStatus to : AllStatuses()) {
      const bool expected = kLegal.count({StatusName(from), StatusName(to)}) > 0;
      absl::Status s = CheckTransition(from, to);
      EXPECT_EQ(s.ok(), expected) << StatusName(from) << " -> " << StatusName(to);
      if (!expected) {
        EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_THAT(s.message(), HasSubstr(StatusName(from)));
        EXPECT_THAT(s.message(), HasSubstr(StatusName(to)));
        EXPECT_EQ(GetErrorInfo(s)->reason(), "ILLEGAL_TRANSITION");
        EXPECT_EQ(GetErrorInfo(s)->metadata().at("from"), StatusName(from));
      } else {
        ++legal;
      }
    }
  }
  EXPECT_EQ(legal, static_cast<int>(kLegal.size()));
}

TEST(OrderStateTest, RefusalListsTheLegalNextStatuses) {
  absl::Status s = CheckTransition(v1::ORDER_STATUS_SHIPPED, v1::ORDER_STATUS_PENDING);
  EXPECT_THAT(s.message(), HasSubstr("completed, refunded, partially_refunded"));
  EXPECT_THAT(CheckTransition(v1::ORDER_STATUS_REFUNDED, v1::ORDER_STATUS_PENDING).message(),
              HasSubstr("final"));
}

TEST(OrderStateTest, NamesRoundTrip) {
  for (OrderStatus s : AllStatuses()) EXPECT_EQ(StatusFromName(StatusName(s)), s);
  EXPECT_EQ(StatusName(v1::ORDER_STATUS_AWAITING_VERIFICATION), "awaiting_verification");
  EXPECT_EQ(StatusFromName("bogus"), v1::ORDER_STATUS_UNSPECIFIED);
}

TEST(OrderStateTest, UnprocessedAndTerminal) {
  EXPECT_TRUE(IsUnprocessed(v1::ORDER_STATUS_PENDING));
  EXPECT_TRUE(IsUnprocessed(v1::ORDER_STATUS_PROCESSING));
  EXPECT_FALSE(IsUnprocessed(v1::ORDER_STATUS_SHIPPED));
  EXPECT_TRUE(IsTerminal(v1::ORDER_STATUS_REFUNDED));
  EXPECT_FALSE(IsTerminal(v1::ORDER_STATUS_CANCELLED));
}

}  // namespace
}  // namespace store::order
