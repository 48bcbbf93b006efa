#include "services/order/app/order_writes.h"

#include <utility>

#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "libs/pg/values.h"
#include "services/order/app/order_app.h"
#include "services/order/store/order_store.h"
#include "store/order/v1/events.pb.h"
#include "store/topics.h"

namespace store::order {
namespace {

using google::protobuf::Message;

// Fills the `order` and `status_change` fields every order event has.
void CompleteEvent(Message* event, const v1::Order& order, v1::OrderStatus from,
                   const OrderChange& change, const std::string& actor, const std::string& job_id) {
  const auto* desc = event->GetDescriptor();
  const auto* refl = event->GetReflection();
  if (const auto* f = desc->FindFieldByName("order")) {
    refl->MutableMessage(event, f)->CopyFrom(order);
  }
  if (const auto* f = desc->FindFieldByName("status_change")) {
    v1::StatusChange sc;
    sc.set_from_status(from);
    sc.set_to_status(order.status());
    sc.set_reason(change.reason);
    sc.set_actor(actor);
    sc.set_job_id(job_id);
    refl->MutableMessage(event, f)->CopyFrom(sc);
  }
}

// The next version at `now`, and the event completed for it.
common::v1::EventEnvelope Advance(v1::Order& order, v1::OrderStatus from, OrderChange& change,
                                  const std::string& actor, const std::string& job_id,
                                  absl::Time now) {
  order.set_version(order.version() + 1);
  *order.mutable_update_time() = pg::ToTimestamp(now);
  CompleteEvent(change.event.get(), order, from, change, actor, job_id);
  return events::MakeEnvelope(*change.event, order.id(), order.version(), kSource, now);
}

}  // namespace

void WriteChange(pqxx::transaction_base& tx, v1::Order& order, v1::OrderStatus from,
                 OrderChange& change, const std::string& actor, absl::Time now) {
  const common::v1::EventEnvelope envelope = Advance(order, from, change, actor, "", now);
  if (change.new_payment.has_value())
    OrderStore::InsertPayment(tx, order.id(), *change.new_payment);
  OrderStore::Update(tx, order);
  OrderStore::AppendHistory(tx, order.id(), from, order.status(), change.action, actor,
                            change.reason, now);
  events::AppendToOutbox(tx, order::v1::kOrdersTopic, envelope);
}

void ChangeBatch::Add(v1::Order& order, v1::OrderStatus from, OrderChange& change) {
  events_.push_back(Advance(order, from, change, actor_, job_id_, now_));
  if (change.new_payment.has_value()) payments_.emplace_back(order.id(), *change.new_payment);
  history_.push_back({order.id(), from, order.status(), change.action, change.reason});
  orders_.push_back(order);
}

void ChangeBatch::Write(pqxx::transaction_base& tx) {
  if (orders_.empty()) return;
  for (const auto& [order_id, payment] : payments_)
    OrderStore::InsertPayment(tx, order_id, payment);
  std::vector<const v1::Order*> orders;
  orders.reserve(orders_.size());
  for (const v1::Order& o : orders_) orders.push_back(&o);
  OrderStore::UpdateMany(tx, orders);
  OrderStore::AppendHistoryMany(tx, history_, actor_, now_, job_id_);
  events::AppendManyToOutbox(tx, order::v1::kOrdersTopic, events_);
}

}  // namespace store::order
