// ListOrders: every filter of ORD-08, sorting, and keyset paging.
#include <set>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "google/protobuf/util/time_util.h"
#include "libs/grpcx/status.h"
#include "tests/integration/order/order_fixture.h"

namespace store::order {
namespace {

using google::protobuf::util::TimeUtil;

class OrderListTest : public OrderServiceFixture {
 protected:
  std::vector<int64_t> Numbers(const v1::ListOrdersRequest& req) {
    v1::ListOrdersResponse resp;
    grpc::Status s = stub_->ListOrders(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<int64_t> out;
    for (const auto& o : resp.orders()) out.push_back(o.number());
    return out;
  }

  std::vector<int64_t> NumbersWhere(const std::function<void(v1::OrderFilter*)>& fill) {
    v1::ListOrdersRequest req;
    fill(req.mutable_filter());
    req.set_sort_direction(common::v1::SORT_DIRECTION_ASC);
    return Numbers(req);
  }
};

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_F(OrderListTest, EachFilter) {
  const absl::Time t0 = clock_.Now();
  v1::Order a = Place(GuestOrder("ann@example.com", 1000, 1));       // 10001: 15.00 pending
  clock_.Advance(absl::Hours(1));
  v1::PlaceOrderRequest rb = GuestOrder("bob@example.com", 5000, 2);  // 10002: 105.00
  rb.set_payment_method(v1::PAYMENT_METHOD_PAYPAL);
  rb.mutable_delivery_method()->set_code("express");
  rb.mutable_items(0)->set_sku("LAMP-9");
  rb.mutable_items(0)->set_name("Brass lamp");
  v1::Order b = Pay(Place(rb));
  clock_.Advance(absl::Hours(1));
  v1::PlaceOrderRequest rc = GuestOrder("Cleo@Example.com", 200, 1);  // 10003: 7.00
  rc.mutable_customer()->set_customer_id("5b0c8c36-2f6e-4b8b-9b57-1a2a3b4c5d6e");
  v1::Order c = Ship(Pay(Place(rc)));

  EXPECT_THAT(NumbersWhere([](auto* f) { f->add_statuses(v1::ORDER_STATUS_PENDING); }),
              ElementsAre(10001));
  EXPECT_THAT(NumbersWhere([](auto* f) {
                f->add_statuses(v1::ORDER_STATUS_PROCESSING);
                f->add_statuses(v1::ORDER_STATUS_SHIPPED);
              }),
              ElementsAre(10002, 10003));
  EXPECT_THAT(NumbersWhere([](auto* f) { f->set_email("BOB@example.com"); }), ElementsAre(10002));
  EXPECT_THAT(NumbersWhere([](auto* f) { f->set_customer_id("5b0c8c36-2f6e-4b8b-9b57-1a2a3b4c5d6e"); }),
              ElementsAre(10003));
  EXPECT_THAT(NumbersWhere([](auto* f) { f->set_number(10002); }), ElementsAre(10002));
  EXPECT_THAT(NumbersWhere([&](auto* f) {
                *f->mutable_create_time_from() = TimeUtil::MicrosecondsToTimestamp(
                    absl::ToUnixMicros(t0 + absl::Minutes(30)));
                *f->mutable_create_time_to() = TimeUtil::MicrosecondsToTimestamp(
                    absl::ToUnixMicros(t0 + absl::Minutes(90)));
              }),
              ElementsAre(10002));
  EXPECT_THAT(NumbersWhere([](auto* f) {
                f->mutable_total()->set_min_minor(1000);
                f->mutable_total()->set_max_minor(2000);
              }),
              ElementsAre(10001));
  EXPECT_THAT(NumbersWhere([](auto* f) { f->add_payment_methods(v1::PAYMENT_METHOD_PAYPAL); }),
              ElementsAre(10002));
  EXPECT_THAT(NumbersWhere([](auto* f) { f->add_delivery_methods("express"); }), ElementsAre(10002));
  EXPECT_THAT(NumbersWhere([](auto* f) { f->set_query("brass"); }), ElementsAre(10002));
  EXPECT_THAT(NumbersWhere([](auto* f) { f->set_query("#10003"); }), ElementsAre(10003));
  EXPECT_THAT(NumbersWhere([](auto* f) { f->set_query("cleo@"); }), ElementsAre(10003));
  // SQL metacharacters are matched literally, never interpreted.
  EXPECT_THAT(NumbersWhere([](auto* f) { f->set_query("%' OR 1=1 --"); }), IsEmpty());
  EXPECT_THAT(NumbersWhere([](auto* f) { f->set_query("_"); }), IsEmpty());
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 3);
}

TEST_F(OrderListTest, SortsByDateOrTotalBothWays) {
  Place(GuestOrder("a@example.com", 300, 1));
  clock_.Advance(absl::Seconds(1));
  Place(GuestOrder("b@example.com", 100, 1));
  clock_.Advance(absl::Seconds(1));
  Place(GuestOrder("c@example.com", 200, 1));
  v1::ListOrdersRequest req;
  EXPECT_THAT(Numbers(req), ElementsAre(10003, 10002, 10001));  // newest first
  req.set_sort_field(v1::ORDER_SORT_FIELD_TOTAL);
  EXPECT_THAT(Numbers(req), ElementsAre(10001, 10003, 10002));
  req.set_sort_direction(common::v1::SORT_DIRECTION_ASC);
  EXPECT_THAT(Numbers(req), ElementsAre(10002, 10003, 10001));
}

TEST_F(OrderListTest, PagingStaysCorrectWhileOrdersAreInserted) {
  for (int i = 0; i < 25; ++i) {
    Place(GuestOrder());  // same timestamp: the id breaks ties
    if (i % 3 == 0) clock_.Advance(absl::Seconds(1));
  }
  v1::ListOrdersRequest req;
  req.set_page_size(7);
  std::set<int64_t> seen;
  int pages = 0;
  do {
    v1::ListOrdersResponse resp;
    ASSERT_TRUE(stub_->ListOrders(Ctx().get(), req, &resp).ok());
    for (const auto& o : resp.orders()) EXPECT_TRUE(seen.insert(o.number()).second) << o.number();
    // New orders arrive between pages; they are newer, so they sort before
    // the cursor and do not disturb the pages still to come.
    clock_.Advance(absl::Seconds(5));
    Place(GuestOrder());
    req.set_page_token(resp.next_page_token());
    ++pages;
  } while (!req.page_token().empty());
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_EQ(*seen.begin(), 10001);
  EXPECT_EQ(*seen.rbegin(), 10025);
  EXPECT_EQ(pages, 4);
}

TEST_F(OrderListTest, PageSizeAndTokenAreChecked) {
  for (int i = 0; i < 3; ++i) Place(GuestOrder());
  v1::ListOrdersRequest req;
  req.set_page_size(100000);  // capped, not refused
  EXPECT_EQ(Numbers(req).size(), 3u);
  req.set_page_size(-1);
  v1::ListOrdersResponse resp;
  EXPECT_EQ(stub_->ListOrders(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.set_page_size(1);
  ASSERT_TRUE(stub_->ListOrders(Ctx().get(), req, &resp).ok());
  req.set_page_token(resp.next_page_token());
  req.mutable_filter()->set_email("other@example.com");  // a token is bound to its filter
  grpc::Status s = stub_->ListOrders(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(grpcx::ErrorInfoOf(s)->field(), "page_token");
  req.set_page_token("garbage");
  EXPECT_EQ(stub_->ListOrders(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace store::order
