#include "services/order/domain/order_job.h"

#include <map>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/status.h"
#include "services/order/domain/order_state.h"
#include "store/order/v1/events.pb.h"

namespace store::order {
namespace {

using ::testing::HasSubstr;

constexpr char kRequestId[] = "3f8b2c1e-9d4a-4b7e-8f21-0a1b2c3d4e5f";
constexpr char kOrderA[] = "11111111-1111-4111-8111-111111111111";
constexpr char kOrderB[] = "22222222-2222-4222-8222-222222222222";

std::string FieldOf(const absl::Status& s) {
  auto info = GetErrorInfo(s);
  return info ? info->field() : "";
}

std::string ReasonOf(const absl::Status& s) {
  auto info = GetErrorInfo(s);
  return info ? info->reason() : "";
}

v1::CreateOrderJobRequest Job(v1::OrderJobAction action) {
  v1::CreateOrderJobRequest r;
  r.set_request_id(kRequestId);
  r.set_action(action);
  return r;
}

TEST(ValidateJobRequestTest, NamesTheFieldOfEveryMistake) {
  struct Case {
    std::string name;
    std::function<void(v1::CreateOrderJobRequest&)> edit;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"no request id", [](auto& r) { r.clear_request_id(); }, "request_id"},
      {"no action", [](auto& r) { r.set_action(v1::ORDER_JOB_ACTION_UNSPECIFIED); }, "action"},
      {"undo submitted", [](auto& r) { r.set_action(v1::ORDER_JOB_ACTION_UNDO); }, "action"},
      {"no orders", [](auto& r) { r.clear_order_ids(); }, "order_ids"},
      {"ids and filter", [](auto& r) { r.mutable_filter()->set_number(10001); }, "order_ids"},
      {"bad id", [](auto& r) { r.add_order_ids("10001"); }, "order_ids[1]"},
      {"id twice", [](auto& r) { r.add_order_ids(absl::AsciiStrToUpper(kOrderA)); },
       "order_ids[1]"},
      {"shipments on complete",
       [](auto& r) {
         r.clear_order_ids();
         r.set_shipments_csv("order_number,carrier,tracking_number\n1,ups,1Z\n");
       },
       "shipments_csv"},
      {"reason on complete", [](auto& r) { r.set_reason("why"); }, "reason"},
  };
  for (const Case& c : cases) {
    v1::CreateOrderJobRequest r = Job(v1::ORDER_JOB_ACTION_COMPLETE);
    r.add_order_ids(kOrderA);
    c.edit(r);
    absl::Status s = ValidateJobRequest(r);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(FieldOf(s), c.field) << c.name << ": " << s;
  }

  v1::CreateOrderJobRequest cancel = Job(v1::ORDER_JOB_ACTION_CANCEL);
  cancel.add_order_ids(kOrderA);
  EXPECT_EQ(FieldOf(ValidateJobRequest(cancel)), "reason");
  cancel.set_reason("out of stock");
  EXPECT_TRUE(ValidateJobRequest(cancel).ok());

  v1::CreateOrderJobRequest ship = Job(v1::ORDER_JOB_ACTION_SHIP);
  ship.add_order_ids(kOrderA);
  EXPECT_EQ(FieldOf(ValidateJobRequest(ship)), "shipments");

  v1::CreateOrderJobRequest filtered = Job(v1::ORDER_JOB_ACTION_MARK_PAID);
  filtered.mutable_filter()->set_number(-3);
  EXPECT_EQ(FieldOf(ValidateJobRequest(filtered)), "filter.number");
}

TEST(JobShipmentsTest, ReadsTheTrackingCsvAndNamesTheLineOfABadRow) {
  v1::CreateOrderJobRequest r = Job(v1::ORDER_JOB_ACTION_SHIP);
  r.set_shipments_csv(
      "\xEF\xBB\xBF"
      "Tracking_Number, Order_Number ,Carrier\r\n"
      "1Z999AA10123456784,#10001,UPS\r\n"
      "\r\n"
      "  9400111899223,10002 , usps\r\n");
  ASSERT_TRUE(ValidateJobRequest(r).ok());
  absl::StatusOr<std::vector<v1::OrderJobShipment>> got = JobShipments(r);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].order_number(), 10001);
  EXPECT_EQ((*got)[0].carrier(), "UPS");
  EXPECT_EQ((*got)[0].tracking_number(), "1Z999AA10123456784");
  EXPECT_EQ((*got)[1].order_number(), 10002);
  EXPECT_EQ((*got)[1].tracking_number(), "9400111899223");

  const std::map<std::string, std::string> bad = {
      {"order_number,carrier,tracking_number\n10001,ups,1Z1\nten,ups,1Z2\n",
       "line 3: order_number"},
      {"order_number,carrier,tracking_number\n10001,ups,1Z 1\n", "line 2: tracking_number"},
      {"order_number,carrier,tracking_number\n10001,,1Z1\n", "line 2: carrier"},
      {"order_number,carrier\n10001,ups\n", "header"},
      {"order_number,carrier,tracking_number,weight\n10001,ups,1Z1,3\n", "header"},
      {"order_number,carrier,tracking_number\n10001,ups,1Z1\n#10001,dhl,22\n", "listed twice"},
      {"order_number,carrier,tracking_number\n", "no rows"},
      {"order_number,carrier,tracking_number\n10001,\"ups,1Z1\n", "line 2"},
  };
  for (const auto& [csv, expected] : bad) {
    r.set_shipments_csv(csv);
    absl::StatusOr<std::vector<v1::OrderJobShipment>> s = JobShipments(r);
    ASSERT_FALSE(s.ok()) << csv;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << csv;
    EXPECT_EQ(FieldOf(s.status()), "shipments_csv") << csv;
    EXPECT_THAT(s.status().message(), HasSubstr(expected)) << csv;
  }

  v1::CreateOrderJobRequest listed = Job(v1::ORDER_JOB_ACTION_SHIP);
  auto* s = listed.add_shipments();
  s->set_order_id(kOrderA);
  s->set_carrier("ups");
  s->set_tracking_number("bad number!");
  EXPECT_EQ(FieldOf(JobShipments(listed).status()), "shipments[0].tracking_number");
  s->set_tracking_number("1Z1");
  s->set_order_number(10001);
  EXPECT_EQ(FieldOf(JobShipments(listed).status()), "shipments[0]");
  s->set_order_number(0);
  auto* twice = listed.add_shipments();
  *twice = *s;
  twice->set_order_id(kOrderB);
  EXPECT_TRUE(JobShipments(listed).ok());
  twice->set_order_id(kOrderA);
  EXPECT_EQ(FieldOf(JobShipments(listed).status()), "shipments[1]");
}

v1::Order OrderIn(v1::OrderStatus status) {
  v1::Order o;
  o.set_id(kOrderA);
  o.set_status(status);
  o.set_currency_code("EUR");
  o.set_version(4);
  o.mutable_totals()->mutable_total()->set_amount_minor(5000);
  o.mutable_totals()->mutable_paid()->set_amount_minor(status == v1::ORDER_STATUS_PENDING ? 1000
                                                                                          : 5000);
  return o;
}

// Which statuses each action changes, and to what; every other status fails
// with the lifecycle's reason and leaves the order as it was.
TEST(ApplyJobStepTest, EligibilityTable) {
  using S = v1::OrderStatus;
  const std::map<v1::OrderJobAction, std::map<S, S>> kChanges = {
      {v1::ORDER_JOB_ACTION_MARK_PAID,
       {{v1::ORDER_STATUS_PENDING, v1::ORDER_STATUS_PROCESSING},
        {v1::ORDER_STATUS_AWAITING_VERIFICATION, v1::ORDER_STATUS_PROCESSING}}},
      {v1::ORDER_JOB_ACTION_SHIP,
       {{v1::ORDER_STATUS_PROCESSING, v1::ORDER_STATUS_SHIPPED},
        {v1::ORDER_STATUS_PARTIALLY_REFUNDED, v1::ORDER_STATUS_SHIPPED}}},
      {v1::ORDER_JOB_ACTION_COMPLETE,
       {{v1::ORDER_STATUS_PROCESSING, v1::ORDER_STATUS_COMPLETED},
        {v1::ORDER_STATUS_SHIPPED, v1::ORDER_STATUS_COMPLETED},
        {v1::ORDER_STATUS_PARTIALLY_REFUNDED, v1::ORDER_STATUS_COMPLETED}}},
      {v1::ORDER_JOB_ACTION_CANCEL,
       {{v1::ORDER_STATUS_PENDING, v1::ORDER_STATUS_CANCELLED},
        {v1::ORDER_STATUS_AWAITING_VERIFICATION, v1::ORDER_STATUS_CANCELLED},
        {v1::ORDER_STATUS_PROCESSING, v1::ORDER_STATUS_CANCELLED}}},
      {v1::ORDER_JOB_ACTION_REJECT,
       {{v1::ORDER_STATUS_PENDING, v1::ORDER_STATUS_REJECTED},
        {v1::ORDER_STATUS_AWAITING_VERIFICATION, v1::ORDER_STATUS_REJECTED},
        {v1::ORDER_STATUS_PROCESSING, v1::ORDER_STATUS_REJECTED}}},
  };
  const absl::Time now = absl::FromUnixSeconds(1790000000);
  for (const auto& [action, changes] : kChanges) {
    JobStep step;
    step.action = action;
    step.job_id = "job-1";
    step.reason = "bulk";
    step.shipment.set_carrier("ups");
    step.shipment.set_tracking_number("1Z1");
    for (int s = 1; s <= 9; ++s) {
      const auto status = static_cast<S>(s);
      v1::Order order = OrderIn(status);
      const v1::Order before = order;
      absl::StatusOr<OrderChange> change = ApplyJobStep(step, order, "pay-1", now);
      const std::string label = absl::StrCat(JobActionName(action), " from ", StatusName(status));
      auto it = changes.find(status);
      if (it == changes.end()) {
        ASSERT_FALSE(change.ok()) << label;
        EXPECT_EQ(change.status().code(), absl::StatusCode::kFailedPrecondition) << label;
        EXPECT_THAT(ReasonOf(change.status()),
                    ::testing::AnyOf("ILLEGAL_TRANSITION", "ORDER_NOT_AWAITING_PAYMENT"))
            << label;
        EXPECT_EQ(order.status(), before.status()) << label;
        continue;
      }
      ASSERT_TRUE(change.ok()) << label << ": " << change.status();
      EXPECT_EQ(order.status(), it->second) << label;
      ASSERT_NE(change->event, nullptr) << label;
      if (action == v1::ORDER_JOB_ACTION_SHIP) {
        EXPECT_EQ(change->event->GetDescriptor()->name(), "OrderShipped");
        EXPECT_EQ(order.shipment().tracking_number(), "1Z1");
      }
      if (action == v1::ORDER_JOB_ACTION_MARK_PAID) {
        ASSERT_TRUE(change->new_payment.has_value());
        EXPECT_EQ(change->new_payment->amount().amount_minor(),
                  5000 - before.totals().paid().amount_minor());
        EXPECT_EQ(change->new_payment->provider(), "manual");
        EXPECT_EQ(change->new_payment->reference(), "job:job-1");
        EXPECT_EQ(order.totals().paid().amount_minor(), 5000);
      }
    }
  }
}

TEST(ApplyJobStepTest, UndoTakesBackOnlyAnOrderAsTheJobLeftIt) {
  const absl::Time now = absl::FromUnixSeconds(1790000000);
  JobStep ship;
  ship.action = v1::ORDER_JOB_ACTION_SHIP;
  ship.shipment.set_carrier("ups");
  ship.shipment.set_tracking_number("1Z1");
  v1::Order order = OrderIn(v1::ORDER_STATUS_PROCESSING);
  ASSERT_TRUE(ApplyJobStep(ship, order, "", now).ok());
  order.set_version(5);  // as the job wrote it

  JobStep undo;
  undo.action = v1::ORDER_JOB_ACTION_UNDO;
  undo.undone_action = v1::ORDER_JOB_ACTION_SHIP;
  undo.status_before = v1::ORDER_STATUS_PROCESSING;
  undo.version_after = 5;

  v1::Order changed_since = order;
  changed_since.set_version(6);
  absl::StatusOr<OrderChange> conflict = ApplyJobStep(undo, changed_since, "", now);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(ReasonOf(conflict.status()), kChangedSinceJob);
  EXPECT_EQ(changed_since.status(), v1::ORDER_STATUS_SHIPPED);

  absl::StatusOr<OrderChange> undone = ApplyJobStep(undo, order, "", now);
  ASSERT_TRUE(undone.ok()) << undone.status();
  EXPECT_EQ(order.status(), v1::ORDER_STATUS_PROCESSING);
  EXPECT_FALSE(order.has_shipment());
  EXPECT_EQ(undone->action, "shipment_withdrawn");
  EXPECT_THAT(undone->reason, HasSubstr("ups 1Z1"));

  v1::Order completed = OrderIn(v1::ORDER_STATUS_COMPLETED);
  undo.undone_action = v1::ORDER_JOB_ACTION_COMPLETE;
  undo.status_before = v1::ORDER_STATUS_SHIPPED;
  undo.version_after = completed.version();
  ASSERT_TRUE(ApplyJobStep(undo, completed, "", now).ok());
  EXPECT_EQ(completed.status(), v1::ORDER_STATUS_SHIPPED);

  EXPECT_TRUE(IsUndoable(v1::ORDER_JOB_ACTION_SHIP));
  EXPECT_TRUE(IsUndoable(v1::ORDER_JOB_ACTION_COMPLETE));
  for (auto a : {v1::ORDER_JOB_ACTION_MARK_PAID, v1::ORDER_JOB_ACTION_CANCEL,
                 v1::ORDER_JOB_ACTION_REJECT, v1::ORDER_JOB_ACTION_UNDO}) {
    EXPECT_FALSE(IsUndoable(a)) << JobActionName(a);
  }
  // The corrections an undo may make, and no other.
  EXPECT_TRUE(CheckCorrection(v1::ORDER_STATUS_SHIPPED, v1::ORDER_STATUS_PROCESSING).ok());
  EXPECT_FALSE(CheckCorrection(v1::ORDER_STATUS_CANCELLED, v1::ORDER_STATUS_PROCESSING).ok());
  EXPECT_FALSE(CheckCorrection(v1::ORDER_STATUS_PROCESSING, v1::ORDER_STATUS_PENDING).ok());
}

}  // namespace
}  // namespace store::order
