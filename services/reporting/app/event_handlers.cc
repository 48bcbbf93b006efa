// The consumers' handlers: every order, customer and campaign event updates
// the read models in the consumer's transaction (the inbox makes a
// redelivered event a no-op, and each write is idempotent on its own: the
// newest order snapshot wins by version, refunds and payments by id), so a
// replay from offset 0 gives the same tables.
#include "absl/strings/ascii.h"
#include "libs/auth/digest.h"
#include "libs/core/status.h"
#include "libs/events/envelope.h"
#include "libs/pg/values.h"
#include "services/reporting/app/reporting_app.h"
#include "services/reporting/domain/report_range.h"
#include "services/reporting/store/report_store.h"
#include "store/customer/v1/events.pb.h"
#include "store/newsletter/v1/events.pb.h"
#include "store/order/v1/events.pb.h"

namespace store::reporting {
namespace {

namespace ov1 = order::v1;

using pg::TimeOf;

// The payment's own time, else the event's.
absl::Time PaymentTime(const ov1::Payment& payment, const common::v1::EventEnvelope& env) {
  return payment.has_create_time() ? TimeOf(payment.create_time()) : TimeOf(env.occurred_at());
}

Figures Scaled(const Figures& f, int sign) {
  return Figures{.orders = sign * f.orders,
                 .units = sign * f.units,
                 .gross = sign * f.gross,
                 .discounts = sign * f.discounts,
                 .returns = sign * f.returns,
                 .shipping = sign * f.shipping,
                 .taxes = sign * f.taxes};
}

std::string GuestKey(const ov1::Order& order) {
  return "guest:" + auth::Sha256Hex(absl::AsciiStrToLower(order.customer().email()));
}

}  // namespace

absl::Status ReportingApp::HandleOrderEvent(pqxx::work& tx, const common::v1::EventEnvelope& env) {
  return ApplyOrderEvent(tx, env, /*keep_days=*/true);
}

absl::Status ReportingApp::ApplyOrderEvent(pqxx::work& tx, const common::v1::EventEnvelope& env,
                                           bool keep_days) {
  const std::string& type = env.type();
  ov1::Order order;
  std::optional<absl::Time> became_paid;
  const ov1::Payment* payment = nullptr;
  const ov1::Refund* refund = nullptr;
  ov1::OrderPaid paid;
  ov1::OrderPaymentFailed failed;
  ov1::OrderRefunded refunded;
  if (type == "store.order.v1.OrderPlaced") {
    ov1::OrderPlaced e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    order = e.order();
  } else if (type == "store.order.v1.OrderStatusChanged") {
    ov1::OrderStatusChanged e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    order = e.order();
  } else if (type == "store.order.v1.OrderShipped") {
    ov1::OrderShipped e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    order = e.order();
  } else if (type == "store.order.v1.OrderEdited") {
    // ORD-06: the edited lines and totals replace the order's figures.
    ov1::OrderEdited e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    order = e.order();
  } else if (type == "store.order.v1.OrderReturned") {
    ov1::OrderReturned e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    order = e.order();
  } else if (type == "store.order.v1.OrderPaid") {
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &paid));
    order = paid.order();
    payment = &paid.payment();
    if (paid.fully_paid()) became_paid = PaymentTime(*payment, env);
  } else if (type == "store.order.v1.OrderPaymentFailed") {
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &failed));
    order = failed.order();
    payment = &failed.payment();
  } else if (type == "store.order.v1.OrderRefunded") {
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &refunded));
    order = refunded.order();
    refund = &refunded.refund();
  } else {
    return absl::OkStatus();  // an event the reports do not use
  }

  // The day of an instant in the store's zone: the grain of report_days.
  auto day_of = [this](absl::Time t) { return FormatDay(absl::ToCivilDay(t, options_.zone)); };
  const OrderFacts facts = FactsOf(order, GuestKey(order));
  const std::optional<ReportStore::OrderState> stored = ReportStore::LockOrder(tx, facts.order_id);
  std::optional<absl::Time> paid_at = stored ? stored->paid_at : std::nullopt;
  if (became_paid && (!paid_at || *became_paid < *paid_at)) paid_at = became_paid;
  // Where the order stands after this event: its day-row key and the moment
  // it counts from (nullopt: it does not count).
  ReportStore::SlotKey key = stored ? stored->key : ReportStore::SlotKey{};
  std::optional<absl::Time> counted_at = stored ? stored->counted_at : std::nullopt;
  if (!stored || stored->version < facts.version ||
      (stored->paid_at != paid_at && stored->version == facts.version)) {
    const std::optional<absl::Time> placed_count_at = CountedAt(CountFrom::kPlaced, facts, paid_at);
    const std::optional<absl::Time> paid_count_at = CountedAt(CountFrom::kPaid, facts, paid_at);
    key = {facts.currency, facts.status, facts.payment_method, facts.delivery_method};
    counted_at = options_.count_from == CountFrom::kPaid ? paid_count_at : placed_count_at;
    // The day rows: the old contribution out, the new one in (the order on
    // the day it counts on, its refunds on theirs).
    const Figures figures{.orders = 1,
                          .units = facts.units,
                          .gross = facts.gross,
                          .discounts = facts.discount,
                          .shipping = facts.shipping,
                          .taxes = facts.tax};
    const auto refunds = keep_days ? ReportStore::RefundsOf(tx, facts.order_id)
                                   : std::vector<std::pair<absl::Time, int64_t>>();
    auto apply = [&](int sign, const ReportStore::SlotKey& k, absl::Time at, const Figures& f) {
      ReportStore::AddToDay(tx, k, day_of(at), Scaled(f, sign));
      for (const auto& [refunded_at, amount] : refunds) {
        ReportStore::AddToDay(tx, k, day_of(refunded_at), Figures{.returns = sign * amount});
      }
    };
    if (keep_days && stored && stored->counted_at) {
      apply(-1, stored->key, *stored->counted_at, stored->figures);
    }
    ReportStore::SaveOrder(tx, facts, placed_count_at, paid_at, counted_at,
                           stored ? stored->lines_digest : "");
    if (keep_days && counted_at) apply(+1, key, *counted_at, figures);
  }
  if (payment != nullptr && !payment->id().empty()) {
    ReportStore::SavePayment(tx, payment->id(), facts.order_id, facts.payment_method,
                             payment->provider(), OutcomeName(payment->outcome()),
                             payment->amount().currency_code().empty()
                                 ? facts.currency
                                 : payment->amount().currency_code(),
                             payment->amount().amount_minor(), PaymentTime(*payment, env));
  }
  if (refund != nullptr && !refund->id().empty()) {
    const absl::Time at =
        refund->has_create_time() ? TimeOf(refund->create_time()) : TimeOf(env.occurred_at());
    const bool added =
        ReportStore::AddRefund(tx, facts.order_id, refund->id(), refund->amount().amount_minor(),
                               at, AttributeRefund(facts, *refund));
    if (keep_days && added && counted_at) {
      ReportStore::AddToDay(tx, key, day_of(at),
                            Figures{.returns = refund->amount().amount_minor()});
    }
  }
  return absl::OkStatus();
}

absl::Status ReportingApp::HandleCustomerEvent(pqxx::work& tx,
                                               const common::v1::EventEnvelope& env) {
  const std::string& type = env.type();
  if (type == "store.customer.v1.CustomerRegistered") {
    customer::v1::CustomerRegistered e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    ReportStore::SaveCustomer(tx, e.customer().id(), e.customer().group_id(),
                              e.customer().country_code(), env.aggregate_version());
  } else if (type == "store.customer.v1.CustomerUpdated") {
    customer::v1::CustomerUpdated e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    ReportStore::SaveCustomer(tx, e.customer().id(), e.customer().group_id(),
                              e.customer().country_code(), env.aggregate_version());
  } else if (type == "store.customer.v1.CustomerDeleted") {
    customer::v1::CustomerDeleted e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    ReportStore::DeleteCustomer(tx, e.customer_id());
  } else if (type == "store.customer.v1.CustomerErased") {
    customer::v1::CustomerErased e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    ReportStore::DeleteCustomer(tx, e.customer_id());
  }
  return absl::OkStatus();
}

absl::Status ReportingApp::HandleCampaignEvent(pqxx::work& tx,
                                               const common::v1::EventEnvelope& env) {
  newsletter::v1::Campaign campaign;
  if (env.type() == "store.newsletter.v1.CampaignSent") {
    newsletter::v1::CampaignSent e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    campaign = e.campaign();
  } else if (env.type() == "store.newsletter.v1.CampaignStatsUpdated") {
    newsletter::v1::CampaignStatsUpdated e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    campaign = e.campaign();
  } else {
    return absl::OkStatus();
  }
  const newsletter::v1::CampaignStats& s = campaign.stats();
  v1::CampaignRow row;
  row.set_campaign_id(campaign.id());
  row.set_name(campaign.name());
  *row.mutable_sent_time() =
      campaign.has_send_start_time() ? campaign.send_start_time() : env.occurred_at();
  row.set_recipients(s.recipients());
  row.set_sent(s.sent());
  row.set_bounced(s.failed());
  row.set_opened(s.unique_opens());
  row.set_clicked(s.unique_clicks());
  row.set_unsubscribed(s.unsubscribes());
  row.set_converted(s.conversions());
  *row.mutable_conversion_revenue() = s.conversion_revenue();
  *row.mutable_stats_time() = env.occurred_at();
  ReportStore::SaveCampaign(tx, row, s.conversion_revenue().currency_code());
  return absl::OkStatus();
}

}  // namespace store::reporting
