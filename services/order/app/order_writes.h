// Writing a change of an order (domain/order_changes.h): the next version,
// the aggregate, a history entry, a payment it made and its event's outbox
// row, in the caller's transaction. One change (an RPC) is a handful of
// single-row statements; a bulk job's batch writes all its changes with one
// multi-row statement per table.
#ifndef STORE_SERVICES_ORDER_APP_ORDER_WRITES_H_
#define STORE_SERVICES_ORDER_APP_ORDER_WRITES_H_

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/order/domain/order_changes.h"
#include "services/order/store/order_store.h"
#include "store/common/v1/event.pb.h"
#include "store/order/v1/order.pb.h"

namespace store::order {

// Bumps `order`'s version and update time, then writes it with its
// history entry, payment and event (moved from status `from`).
void WriteChange(pqxx::transaction_base& tx, v1::Order& order, v1::OrderStatus from,
                 OrderChange& change, const std::string& actor, absl::Time now);

// The changes of one bulk-job batch, written together.
class ChangeBatch {
 public:
  ChangeBatch(std::string actor, std::string job_id, absl::Time now)
      : actor_(std::move(actor)), job_id_(std::move(job_id)), now_(now) {}

  // Bumps `order`'s version and update time and queues its writes; the
  // order is copied.
  void Add(v1::Order& order, v1::OrderStatus from, OrderChange& change);
  // Writes what was queued.
  void Write(pqxx::transaction_base& tx);
  size_t size() const { return orders_.size(); }

 private:
  const std::string actor_;
  const std::string job_id_;
  const absl::Time now_;
  std::vector<v1::Order> orders_;
  std::vector<std::pair<std::string, v1::Payment>> payments_;
  std::vector<OrderStore::HistoryRow> history_;
  std::vector<common::v1::EventEnvelope> events_;
};

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_APP_ORDER_WRITES_H_
