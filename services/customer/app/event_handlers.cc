#include "services/customer/app/event_handlers.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "libs/core/status.h"
#include "libs/events/envelope.h"
#include "services/customer/app/customer_app.h"
#include "services/customer/app/customer_options.h"
#include "services/customer/store/customer_store.h"
#include "services/customer/store/erasure_store.h"
#include "services/customer/store/facts_store.h"
#include "services/customer/store/segment_store.h"
#include "store/customer/v1/events.pb.h"
#include "store/newsletter/v1/events.pb.h"
#include "store/order/v1/events.pb.h"

namespace store::customer {

using google::protobuf::util::TimeUtil;

namespace {

// The order snapshot every order event carries.
bool OrderOf(const common::v1::EventEnvelope& env, order::v1::Order* out) {
  const std::string type = events::PayloadType(env);
  auto take = [&](auto msg) {
    if (!events::UnpackPayload(env, &msg).ok()) return false;
    *out = msg.order();
    return true;
  };
  if (type == "store.order.v1.OrderPlaced") return take(order::v1::OrderPlaced());
  if (type == "store.order.v1.OrderPaid") return take(order::v1::OrderPaid());
  if (type == "store.order.v1.OrderPaymentFailed") return take(order::v1::OrderPaymentFailed());
  if (type == "store.order.v1.OrderShipped") return take(order::v1::OrderShipped());
  if (type == "store.order.v1.OrderRefunded") return take(order::v1::OrderRefunded());
  if (type == "store.order.v1.OrderStatusChanged") return take(order::v1::OrderStatusChanged());
  // ORD-06: the purchase facts follow an edit (the order's new total).
  if (type == "store.order.v1.OrderEdited") return take(order::v1::OrderEdited());
  return false;
}

}  // namespace

absl::Status EventHandlers::HandleOrderEvent(pqxx::work& tx,
                                             const common::v1::EventEnvelope& env) {
  order::v1::Order o;
  if (!OrderOf(env, &o)) return absl::OkStatus();  // not an order snapshot: not ours
  OrderFact f;
  f.order_id = o.id();
  f.counts = o.status() != order::v1::ORDER_STATUS_CANCELLED &&
             o.status() != order::v1::ORDER_STATUS_REJECTED;
  // Amounts in another currency than the store's count as orders, not as spending.
  const bool same_currency = o.currency_code() == options_.store_currency;
  f.total_minor = same_currency ? o.totals().total().amount_minor() : 0;
  f.refunded_minor = same_currency ? o.totals().refunded().amount_minor() : 0;
  f.placed_at = absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(o.create_time()));
  f.order_version = o.version();
  // Most events of a known order (paid, shipped, completed) change none of
  // its figures: then only the version seen moves on, without the customer.
  std::optional<OrderFact> old = FactsStore::Find(tx, o.id());
  if (old.has_value() && old->order_version >= f.order_version) {
    return absl::OkStatus();  // an older or the same snapshot: seen already
  }
  const std::string& customer_id = o.customer().customer_id();
  if (old.has_value() && (customer_id.empty() || customer_id == old->customer_id) &&
      old->counts == f.counts && old->total_minor == f.total_minor &&
      old->refunded_minor == f.refunded_minor && old->placed_at == f.placed_at) {
    f.customer_id = old->customer_id;
    FactsStore::Upsert(tx, f);
    return absl::OkStatus();
  }
  const absl::Time now = clock_.Now();
  std::optional<v1::Customer> c;
  if (!o.customer().customer_id().empty()) {
    c = CustomerStore::Load(tx, options_.store_currency, o.customer().customer_id(), true, false);
    if (!c.has_value()) {
      log::Info("order of an unknown or deleted customer; no facts kept",
                {{"order_id", o.id()}, {"customer_id", o.customer().customer_id()}});
      return absl::OkStatus();
    }
  } else if (!o.customer().email().empty()) {
    // CUS-04: a guest order creates (or finds) the guest customer by email.
    c = CustomerStore::LoadByEmail(tx, options_.store_currency, o.customer().email(), true,
                                   /*with_addresses=*/false);
    if (!c.has_value()) {
      NewCustomer n;
      n.customer.set_email(o.customer().email());
      n.customer.set_name(o.customer().name());
      n.customer.set_phone(o.customer().phone());
      n.customer.set_country_code(o.shipping_address().country_code());
      n.customer.set_group_id(kGuestsGroupId);
      n.customer.set_state(v1::ACCOUNT_STATE_ACTIVE);
      n.customer.set_guest(true);
      const std::string id = NewUuid();
      if (!CustomerStore::Insert(tx, id, n, now)) {
        return absl::AbortedError("guest customer created concurrently; retry");
      }
      c = CustomerStore::Load(tx, options_.store_currency, id, true, false);
      v1::CustomerRegistered e;
      *e.mutable_customer() = *c;
      e.set_source("guest_order");
      PublishCustomerEvent(tx, e, id, c->version(), now);
    }
  } else {
    return absl::OkStatus();
  }
  if (absl::StartsWith(c->email(), "erased+")) return absl::OkStatus();
  f.customer_id = c->id();
  FactsStore::Upsert(tx, f);
  // The difference this snapshot makes, applied to the customer's facts in
  // O(1); only an order that stops counting needs first/last recomputed.
  auto spent = [](const OrderFact& x) { return x.counts ? x.total_minor - x.refunded_minor : 0; };
  const bool counted = old.has_value() && old->counts;
  const int64_t d_orders = (f.counts ? 1 : 0) - (counted ? 1 : 0);
  const int64_t d_spent = spent(f) - (old.has_value() ? spent(*old) : 0);
  absl::MutexLock lock(&mu_);
  if (counted && !f.counts) {
    // Recomputed from every stored fact, this transaction's included: the
    // deltas gathered so far are in it already.
    FactsStore::Recompute(tx, c->id(), now);
    deltas_.erase(c->id());
  } else if (d_orders != 0 || d_spent != 0) {
    FactsDelta& d = deltas_[c->id()];
    d.orders += d_orders;
    d.spent += d_spent;
    if (f.counts) {
      d.first_order =
          d.first_order.has_value() ? std::min(*d.first_order, f.placed_at) : f.placed_at;
      d.last_order = d.last_order.has_value() ? std::max(*d.last_order, f.placed_at) : f.placed_at;
    }
  } else {
    return absl::OkStatus();
  }
  facts_changed_.insert(c->id());
  return absl::OkStatus();
}

void EventHandlers::BeginOrderEvents() {
  absl::MutexLock lock(&mu_);
  deltas_.clear();
  facts_changed_.clear();
}

absl::Status EventHandlers::FinishOrderEvents(pqxx::work& tx) {
  std::map<std::string, FactsDelta> deltas;
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    deltas.swap(deltas_);
    ids.assign(facts_changed_.begin(), facts_changed_.end());
    facts_changed_.clear();
  }
  const absl::Time now = clock_.Now();
  for (const auto& [id, d] : deltas) {
    if (d.orders == 0 && d.spent == 0 && !d.first_order.has_value()) continue;
    FactsStore::Apply(tx, id, d.orders, d.spent, d.first_order, d.last_order, now);
  }
  // Facts follow order events, which other services see themselves: no
  // CustomerUpdated for them (it would double the event traffic of every
  // order). The segment joins and leaves they cause are published.
  return SegmentStore::RefreshFor(tx, options_.store_currency, ids, now);
}

absl::Status EventHandlers::HandleErasureReport(pqxx::work& tx,
                                                const common::v1::EventEnvelope& env) {
  if (events::PayloadType(env) != "store.customer.v1.ErasureStepCompleted") return absl::OkStatus();
  v1::ErasureStepCompleted e;
  STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
  if (!IsUuid(e.erasure_id())) return absl::OkStatus();
  if (!ErasureStore::InsertStep(tx, e.erasure_id(), e.step())) {
    log::Info("erasure step for an unknown erasure or seen before",
              {{"erasure_id", e.erasure_id()}, {"service", e.step().service()}});
  }
  return absl::OkStatus();
}

// The newsletter's subscriber changes become the customer's email consent
// (NEW-01 both ways). Lines recorded here carry actor newsletter-service,
// which the newsletter ignores when they come back as ConsentChanged; and no
// change records nothing, so the two services never echo each other.
absl::Status EventHandlers::HandleNewsletterEvent(pqxx::work& tx,
                                                  const common::v1::EventEnvelope& envelope) {
  namespace nv1 = store::newsletter::v1;
  nv1::Subscriber sub;
  bool granted = false;
  std::string source = "newsletter";
  if (envelope.type() == "store.newsletter.v1.Subscribed") {
    nv1::Subscribed e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(envelope, &e));
    sub = e.subscriber();
    granted = true;
  } else if (envelope.type() == "store.newsletter.v1.Unsubscribed") {
    nv1::Unsubscribed e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(envelope, &e));
    sub = e.subscriber();
    source = absl::StrCat("newsletter-", e.reason().empty() ? "unsubscribe" : e.reason());
  } else {
    return absl::OkStatus();
  }
  if (sub.email().empty()) return absl::OkStatus();
  std::optional<v1::Customer> c =
      CustomerStore::LoadByEmail(tx, options_.store_currency, sub.email(), true, false);
  if (!c.has_value()) return absl::OkStatus();  // a subscriber who is no customer
  const v1::ConsentState& current = c->email_marketing();
  const v1::ConsentLevel level =
      granted ? v1::CONSENT_LEVEL_CONFIRMED_OPT_IN : v1::CONSENT_LEVEL_UNSPECIFIED;
  if (current.granted() == granted && (!granted || current.level() == level)) {
    return absl::OkStatus();
  }
  if (!granted && !current.granted()) return absl::OkStatus();
  const absl::Time now = clock_.Now();
  RecordConsent(tx, c->id(), c->email(), v1::CONSENT_CHANNEL_EMAIL, granted, level,
                source.substr(0, 64), "", sub.consent_ip().substr(0, 64), kNewsletterActor, now);
  return FinishUpdate(tx, options_, c->id(), {"email_marketing"}, now).status();
}

}  // namespace store::customer
