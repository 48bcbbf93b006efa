// Bulk jobs (ORD-09, ORD-16) against real PostgreSQL and the broker: the dry
// run changes nothing; a job over 2,000 orders with some ineligible ones;
// idempotent submission; the tracking CSV (a bad row, an unknown number);
// undo with a conflict; the results CSV.
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/csv_reader.h"
#include "libs/core/ids.h"
#include "libs/testing/wait.h"
#include "tests/integration/order/order_fixture.h"

namespace store::order {
namespace {

using ::testing::HasSubstr;

class OrderJobTest : public OrderServiceFixture {
 protected:
  // `n` orders placed by 8 clients at once, returned in placing order.
  std::vector<v1::Order> PlaceMany(int n) {
    std::vector<v1::Order> orders(n);
    std::vector<std::thread> threads;
    std::atomic<int> next{0};
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        auto stub = v1::OrderService::NewStub(Channel());
        for (int i = next++; i < n; i = next++) {
          grpc::Status s = stub->PlaceOrder(Ctx().get(), GuestOrder(), &orders[i]);
          EXPECT_TRUE(s.ok()) << s.error_message();
        }
      });
    }
    for (auto& t : threads) t.join();
    return orders;
  }

  v1::OrderJob Submit(const v1::CreateOrderJobRequest& req) {
    v1::OrderJob job;
    grpc::Status s = stub_->CreateOrderJob(Ctx().get(), req, &job);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return job;
  }

  // Runs the service's job task (periodic in the service, by hand here) and
  // polls the job until it is done (its progress only grows).
  v1::OrderJob AwaitDone(const std::string& job_id) {
    v1::OrderJob job;
    int last_pending = 1 << 30;
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          absl::Status ran = RunPeriodic("order-jobs");
          EXPECT_TRUE(ran.ok()) << ran;
          v1::GetOrderJobRequest req;
          req.set_job_id(job_id);
          job.Clear();
          if (!stub_->GetOrderJob(Ctx().get(), req, &job).ok()) return false;
          EXPECT_LE(job.pending_count(), last_pending);
          last_pending = job.pending_count();
          return job.state() == v1::ORDER_JOB_STATE_DONE;
        },
        absl::Seconds(60)));
    EXPECT_EQ(job.pending_count(), 0);
    EXPECT_EQ(job.changed_count() + job.failed_count() + job.conflict_count(), job.total_count());
    EXPECT_TRUE(job.has_finish_time());
    return job;
  }

  std::vector<v1::OrderJobItem> Items(const std::string& job_id,
                                      v1::OrderJobItemOutcome outcome = {}) {
    std::vector<v1::OrderJobItem> out;
    v1::ListOrderJobItemsRequest req;
    req.set_job_id(job_id);
    req.set_outcome(outcome);
    req.set_page_size(700);
    do {
      v1::ListOrderJobItemsResponse resp;
      grpc::Status s = stub_->ListOrderJobItems(Ctx().get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const auto& i : resp.items()) out.push_back(i);
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty());
    return out;
  }

  std::vector<std::vector<std::string>> ResultsCsv(const std::string& job_id) {
    v1::ExportOrderJobItemsRequest req;
    req.set_job_id(job_id);
    auto ctx = Ctx();
    auto reader = stub_->ExportOrderJobItems(ctx.get(), req);
    v1::DocumentChunk chunk;
    CsvReader csv;
    bool first = true;
    while (reader->Read(&chunk)) {
      if (first) {
        EXPECT_EQ(chunk.content_type(), "text/csv; charset=utf-8");
      }
      first = false;
      csv.Feed(chunk.data());
    }
    csv.Finish();
    grpc::Status s = reader->Finish();
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::vector<std::string>> rows;
    CsvReader::Record r;
    while (csv.Next(r)) rows.push_back(r.fields);
    return rows;
  }

  static v1::CreateOrderJobRequest JobOf(v1::OrderJobAction action) {
    v1::CreateOrderJobRequest req;
    req.set_request_id(NewUuid());
    req.set_action(action);
    return req;
  }

  int64_t Events(const std::string& type) {
    return Count("SELECT count(*) FROM outbox WHERE event_type = '" + type + "'");
  }
};

TEST_F(OrderJobTest, DryRunPredictsAndChangesNothing) {
  std::vector<v1::Order> orders = PlaceMany(5);
  Pay(orders[0]);
  v1::CancelOrderRequest cancel;
  cancel.set_order_id(orders[1].id());
  cancel.set_reason("customer changed their mind");
  v1::Order cancelled;
  ASSERT_TRUE(stub_->CancelOrder(Ctx().get(), cancel, &cancelled).ok());

  const int64_t outbox = Count("SELECT count(*) FROM outbox");
  const int64_t history = Count("SELECT count(*) FROM order_history");
  v1::CreateOrderJobRequest req = JobOf(v1::ORDER_JOB_ACTION_MARK_PAID);
  for (const auto& o : orders) req.add_order_ids(o.id());
  req.add_order_ids(NewUuid());  // no such order
  v1::PreviewOrderJobResponse preview;
  grpc::Status s = stub_->PreviewOrderJob(Ctx().get(), req, &preview);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(preview.total_count(), 6);
  EXPECT_EQ(preview.change_count(), 3);
  EXPECT_EQ(preview.fail_count(), 3);
  ASSERT_EQ(preview.items_size(), 6);
  EXPECT_EQ(preview.items(0).outcome(), v1::ORDER_JOB_ITEM_OUTCOME_FAILED);
  EXPECT_EQ(preview.items(0).error_code(), "ORDER_NOT_AWAITING_PAYMENT");
  EXPECT_EQ(preview.items(0).from_status(), v1::ORDER_STATUS_PROCESSING);
  EXPECT_EQ(preview.items(1).error_code(), "ORDER_NOT_AWAITING_PAYMENT");
  EXPECT_THAT(preview.items(1).error_message(), HasSubstr("cancelled"));
  for (int i = 2; i < 5; ++i) {
    EXPECT_EQ(preview.items(i).outcome(), v1::ORDER_JOB_ITEM_OUTCOME_CHANGED);
    EXPECT_EQ(preview.items(i).from_status(), v1::ORDER_STATUS_PENDING);
    EXPECT_EQ(preview.items(i).to_status(), v1::ORDER_STATUS_PROCESSING);
    EXPECT_EQ(preview.items(i).order_number(), orders[i].number());
  }
  EXPECT_EQ(preview.items(5).error_code(), "ORDER_NOT_FOUND");

  // Nothing stored, nothing published, no order touched.
  EXPECT_EQ(Count("SELECT count(*) FROM outbox"), outbox);
  EXPECT_EQ(Count("SELECT count(*) FROM order_history"), history);
  EXPECT_EQ(Count("SELECT count(*) FROM order_jobs"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM order_payments WHERE provider = 'manual'"), 0);
  EXPECT_EQ(GetOrder(orders[3].id()).status(), v1::ORDER_STATUS_PENDING);
  EXPECT_EQ(GetOrder(orders[3].id()).version(), orders[3].version());

  // The same mistakes as CreateOrderJob, by field.
  req.set_action(v1::ORDER_JOB_ACTION_SHIP);
  s = stub_->PreviewOrderJob(Ctx().get(), req, &preview);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "shipments");
}

TEST_F(OrderJobTest, AJobOverTwoThousandOrdersChangesTheEligibleOnesOnceAndReportsTheRest) {
  std::vector<v1::Order> orders = PlaceMany(2000);
  // Seven cannot be marked paid any more.
  for (int i = 0; i < 2000; i += 300) {
    v1::RejectOrderRequest reject;
    reject.set_order_id(orders[i].id());
    reject.set_reason("fraud check failed");
    v1::Order out;
    ASSERT_TRUE(stub_->RejectOrder(Ctx().get(), reject, &out).ok());
  }
  v1::CreateOrderJobRequest req = JobOf(v1::ORDER_JOB_ACTION_MARK_PAID);
  req.mutable_filter()->add_statuses(v1::ORDER_STATUS_PENDING);
  req.mutable_filter()->add_statuses(v1::ORDER_STATUS_REJECTED);
  const int64_t paid_events = Events("store.order.v1.OrderPaid");
  v1::OrderJob job = Submit(req);
  EXPECT_EQ(job.total_count(), 2000);
  EXPECT_EQ(job.action(), v1::ORDER_JOB_ACTION_MARK_PAID);
  EXPECT_EQ(job.actor(), "staff:test");
  // An order placed now is not in the job: the matches were fixed.
  const v1::Order late = Place(GuestOrder());

  // A retry is the same job; the same request_id for another job is refused.
  v1::OrderJob again = Submit(req);
  EXPECT_EQ(again.id(), job.id());
  v1::CreateOrderJobRequest other = req;
  other.mutable_filter()->clear_statuses();
  other.mutable_filter()->set_number(orders[5].number());
  v1::OrderJob refused;
  grpc::Status s = stub_->CreateOrderJob(Ctx().get(), other, &refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(s), "REQUEST_ID_REUSED");

  job = AwaitDone(job.id());
  EXPECT_EQ(job.changed_count(), 1993);
  EXPECT_EQ(job.failed_count(), 7);
  EXPECT_EQ(GetOrder(late.id()).status(), v1::ORDER_STATUS_PENDING);
  // One payment, one history entry naming the job and one OrderPaid per
  // changed order.
  EXPECT_EQ(Events("store.order.v1.OrderPaid") - paid_events, 1993);
  EXPECT_EQ(Count("SELECT count(*) FROM order_payments WHERE provider = 'manual' AND reference = "
                  "'job:" +
                  job.id() + "'"),
            1993);
  EXPECT_EQ(Count("SELECT count(*) FROM (SELECT order_id FROM order_history WHERE job_id = '" +
                  job.id() + "' GROUP BY order_id HAVING count(*) = 1) x"),
            1993);
  const v1::Order paid = GetOrder(orders[1].id());
  EXPECT_EQ(paid.status(), v1::ORDER_STATUS_PROCESSING);
  EXPECT_EQ(paid.totals().paid().amount_minor(), paid.totals().total().amount_minor());
  v1::ListOrderHistoryRequest hreq;
  hreq.set_order_id(orders[1].id());
  v1::ListOrderHistoryResponse history;
  ASSERT_TRUE(stub_->ListOrderHistory(Ctx().get(), hreq, &history).ok());
  ASSERT_GE(history.entries_size(), 2);
  EXPECT_EQ(history.entries(history.entries_size() - 1).job_id(), job.id());
  EXPECT_EQ(history.entries(history.entries_size() - 1).actor(), "staff:test");

  std::vector<v1::OrderJobItem> failed = Items(job.id(), v1::ORDER_JOB_ITEM_OUTCOME_FAILED);
  ASSERT_EQ(failed.size(), 7u);
  for (const auto& item : failed) {
    EXPECT_EQ(item.error_code(), "ORDER_NOT_AWAITING_PAYMENT");
    EXPECT_EQ(item.from_status(), v1::ORDER_STATUS_REJECTED);
  }
  EXPECT_EQ(Items(job.id()).size(), 2000u);

  const auto rows = ResultsCsv(job.id());
  ASSERT_EQ(rows.size(), 2001u);
  EXPECT_EQ(rows[0][0], "order_number");
  int csv_failed = 0;
  for (size_t i = 1; i < rows.size(); ++i) csv_failed += rows[i][2] == "failed";
  EXPECT_EQ(csv_failed, 7);

  v1::ListOrderJobsRequest lreq;
  v1::ListOrderJobsResponse listed;
  ASSERT_TRUE(stub_->ListOrderJobs(Ctx().get(), lreq, &listed).ok());
  ASSERT_EQ(listed.jobs_size(), 1);
  EXPECT_EQ(listed.jobs(0).id(), job.id());
  EXPECT_EQ(listed.jobs(0).changed_count(), 1993);
}

TEST_F(OrderJobTest, ShipsFromATrackingCsvAndReportsAnUnknownNumber) {
  std::vector<v1::Order> orders = PlaceMany(3);
  for (const auto& o : orders) Pay(o);

  // A malformed row: refused whole, naming its line; nothing stored.
  v1::CreateOrderJobRequest bad = JobOf(v1::ORDER_JOB_ACTION_SHIP);
  bad.set_shipments_csv(absl::StrCat("order_number,carrier,tracking_number\n", orders[0].number(),
                                     ",ups,1Z999AA10123456784\n", orders[1].number(),
                                     ",dhl,not a number!\n"));
  v1::OrderJob none;
  grpc::Status s = stub_->CreateOrderJob(Ctx().get(), bad, &none);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "shipments_csv");
  EXPECT_THAT(s.error_message(), HasSubstr("line 3: tracking_number"));
  EXPECT_EQ(Count("SELECT count(*) FROM order_jobs"), 0);

  const int64_t shipped_events = Events("store.order.v1.OrderShipped");
  v1::CreateOrderJobRequest req = JobOf(v1::ORDER_JOB_ACTION_SHIP);
  req.set_shipments_csv(absl::StrCat(
      "order_number,carrier,tracking_number\r\n", "#", orders[0].number(),
      ",UPS,1Z999AA10123456784\r\n", orders[1].number(), ",dhl,JD014600006281230704\r\n",
      "99999999,ups,1Z000\r\n", orders[2].number(), ",usps,9400111899223100000000\r\n"));
  v1::OrderJob job = AwaitDone(Submit(req).id());
  EXPECT_EQ(job.total_count(), 4);
  EXPECT_EQ(job.changed_count(), 3);
  EXPECT_EQ(job.failed_count(), 1);
  const auto failed = Items(job.id(), v1::ORDER_JOB_ITEM_OUTCOME_FAILED);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].order_number(), 99999999);
  EXPECT_EQ(failed[0].error_code(), "ORDER_NOT_FOUND");
  const v1::Order ups = GetOrder(orders[0].id());
  EXPECT_EQ(ups.status(), v1::ORDER_STATUS_SHIPPED);
  EXPECT_EQ(ups.shipment().carrier(), "ups");
  EXPECT_EQ(ups.shipment().tracking_number(), "1Z999AA10123456784");
  EXPECT_THAT(ups.shipment().tracking_url(), HasSubstr("1Z999AA10123456784"));
  EXPECT_EQ(GetOrder(orders[1].id()).shipment().tracking_number(), "JD014600006281230704");
  // One OrderShipped (one tracking mail) per order, carrying the job.
  EXPECT_EQ(Events("store.order.v1.OrderShipped") - shipped_events, 3);
  EXPECT_EQ(Count("SELECT count(DISTINCT aggregate_id) FROM outbox WHERE event_type = "
                  "'store.order.v1.OrderShipped'"),
            3);
}

TEST_F(OrderJobTest, UndoTakesBackWhatTheJobDidAndReportsConflicts) {
  std::vector<v1::Order> orders = PlaceMany(3);
  for (const auto& o : orders) Pay(o);
  v1::CreateOrderJobRequest req = JobOf(v1::ORDER_JOB_ACTION_SHIP);
  for (const auto& o : orders) {
    auto* s = req.add_shipments();
    s->set_order_id(o.id());
    s->set_carrier("ups");
    s->set_tracking_number(absl::StrCat("1ZUNDO", o.number()));
  }
  v1::OrderJob job = AwaitDone(Submit(req).id());
  ASSERT_EQ(job.changed_count(), 3);
  // One order moved on after the job: the undo must leave it alone.
  v1::CompleteOrderRequest complete;
  complete.set_order_id(orders[2].id());
  v1::Order completed;
  ASSERT_TRUE(stub_->CompleteOrder(Ctx().get(), complete, &completed).ok());

  v1::UndoOrderJobRequest undo;
  undo.set_job_id(job.id());
  undo.set_request_id(NewUuid());
  v1::OrderJob undo_job;
  grpc::Status s = stub_->UndoOrderJob(Ctx().get(), undo, &undo_job);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(undo_job.action(), v1::ORDER_JOB_ACTION_UNDO);
  EXPECT_EQ(undo_job.undo_of_job_id(), job.id());
  v1::OrderJob retried;
  ASSERT_TRUE(stub_->UndoOrderJob(Ctx().get(), undo, &retried).ok());
  EXPECT_EQ(retried.id(), undo_job.id());
  undo_job = AwaitDone(undo_job.id());
  EXPECT_EQ(undo_job.changed_count(), 2);
  EXPECT_EQ(undo_job.conflict_count(), 1);
  const auto conflicts = Items(undo_job.id(), v1::ORDER_JOB_ITEM_OUTCOME_CONFLICT);
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].order_id(), orders[2].id());
  EXPECT_EQ(conflicts[0].error_code(), "CHANGED_SINCE_JOB");
  EXPECT_EQ(GetOrder(orders[2].id()).status(), v1::ORDER_STATUS_COMPLETED);
  for (int i = 0; i < 2; ++i) {
    const v1::Order back = GetOrder(orders[i].id());
    EXPECT_EQ(back.status(), v1::ORDER_STATUS_PROCESSING);
    EXPECT_FALSE(back.has_shipment());
  }
  EXPECT_EQ(Count("SELECT count(*) FROM order_history WHERE job_id = '" + undo_job.id() +
                  "' AND action = 'shipment_withdrawn'"),
            2);

  v1::GetOrderJobRequest get;
  get.set_job_id(job.id());
  v1::OrderJob original;
  ASSERT_TRUE(stub_->GetOrderJob(Ctx().get(), get, &original).ok());
  EXPECT_EQ(original.undone_by_job_id(), undo_job.id());
  undo.set_request_id(NewUuid());
  s = stub_->UndoOrderJob(Ctx().get(), undo, &retried);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "JOB_ALREADY_UNDONE");
  undo.set_job_id(undo_job.id());
  s = stub_->UndoOrderJob(Ctx().get(), undo, &retried);
  EXPECT_EQ(ReasonOf(s), "JOB_NOT_UNDOABLE");

  // The orders taken back can be shipped again, by hand or by a job.
  EXPECT_EQ(Ship(orders[0]).status(), v1::ORDER_STATUS_SHIPPED);

  v1::CreateOrderJobRequest cancel = JobOf(v1::ORDER_JOB_ACTION_CANCEL);
  cancel.set_reason("warehouse flooded");
  cancel.add_order_ids(orders[1].id());
  v1::OrderJob cancelled = AwaitDone(Submit(cancel).id());
  EXPECT_EQ(cancelled.changed_count(), 1);
  undo.set_job_id(cancelled.id());
  undo.set_request_id(NewUuid());
  s = stub_->UndoOrderJob(Ctx().get(), undo, &retried);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "JOB_NOT_UNDOABLE");
}

TEST_F(OrderJobTest, BadInputNamesTheFieldAndACustomerCannotRunJobs) {
  v1::OrderJob job;
  v1::CreateOrderJobRequest req = JobOf(v1::ORDER_JOB_ACTION_COMPLETE);
  grpc::Status s = stub_->CreateOrderJob(Ctx().get(), req, &job);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "order_ids");
  req.mutable_filter()->set_email("nobody@example.com");
  s = stub_->CreateOrderJob(Ctx().get(), req, &job);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "filter");
  EXPECT_THAT(s.error_message(), HasSubstr("matches no order"));

  v1::GetOrderJobRequest get;
  get.set_job_id("nope");
  s = stub_->GetOrderJob(Ctx().get(), get, &job);
  EXPECT_EQ(FieldOf(s), "job_id");
  get.set_job_id(NewUuid());
  s = stub_->GetOrderJob(Ctx().get(), get, &job);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);

  grpc::ClientContext ctx;
  ctx.AddMetadata("x-actor", "customer:c1");
  ctx.AddMetadata("x-customer-id", NewUuid());
  req.mutable_filter()->clear_email();
  req.add_order_ids(NewUuid());
  s = stub_->CreateOrderJob(&ctx, req, &job);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Count("SELECT count(*) FROM order_jobs"), 0);
}

}  // namespace
}  // namespace store::order
