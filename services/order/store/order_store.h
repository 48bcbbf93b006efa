// The order service's SQL, and nothing else. Every function runs inside the
// caller's transaction; statements are prepared once per connection
// (pg::Statement) and always parameterised.
#ifndef STORE_SERVICES_ORDER_STORE_ORDER_STORE_H_
#define STORE_SERVICES_ORDER_STORE_ORDER_STORE_H_

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/arena.h"
#include "libs/core/paging.h"
#include "libs/events/outbox.h"
#include "libs/pg/pool.h"
#include "libs/pg/values.h"
#include "store/order/v1/order.pb.h"
#include "store/order/v1/order_service.pb.h"

namespace store::order {

// Statements of PlaceOrder, exposed so the benchmark's pgbench script runs
// exactly what the service runs.
extern const pg::Statement kNextOrderNumber;
extern const pg::Statement kInsertOrder;

// Value helpers of every store (libs/pg/values.h).
using pg::Bytes;
using pg::ContainsPattern;
using pg::PgTime;
using pg::TimestampFromMicros;
using pg::TruncateToMicros;

class OrderStore {
 public:
  // Takes the next order number (locks the counter row until commit).
  static int64_t NextOrderNumber(pqxx::transaction_base& tx);

  // Inserts a new order with its items, the "placed" history entry and its
  // event's outbox row, in one statement. False when an order with the same
  // request_id exists (nothing written).
  static bool InsertOrder(pqxx::transaction_base& tx, const v1::Order& order,
                          const std::string& request_id, const std::string& request_hash,
                          const std::string& actor, const events::OutboxParams& event);

  struct ByRequest {
    v1::Order order;
    std::string request_hash;
  };
  static std::optional<ByRequest> FindByRequestId(pqxx::transaction_base& tx,
                                                  const std::string& request_id);

  // The order, optionally locked for update until commit.
  static std::optional<v1::Order> Load(pqxx::transaction_base& tx, const std::string& id,
                                       bool for_update);

  // Writes the aggregate back (body and projections).
  static void Update(pqxx::transaction_base& tx, const v1::Order& order);
  // Bulk jobs: the orders of `ids` that exist, ordered by id, optionally
  // locked for update (always in id order, so two jobs never deadlock).
  static std::vector<v1::Order> LoadMany(pqxx::transaction_base& tx,
                                         const std::vector<std::string>& ids, bool for_update);
  // Update of many orders in one statement.
  static void UpdateMany(pqxx::transaction_base& tx, const std::vector<const v1::Order*>& orders);
  // Id and number of the orders with these ids, or with these numbers.
  struct OrderRef {
    std::string id;
    int64_t number = 0;
  };
  static std::vector<OrderRef> FindRefs(pqxx::transaction_base& tx,
                                        const std::vector<std::string>& ids);
  static std::vector<OrderRef> FindRefsByNumber(pqxx::transaction_base& tx,
                                                const std::vector<int64_t>& numbers);

  static void AppendHistory(pqxx::transaction_base& tx, const std::string& order_id,
                            v1::OrderStatus from, v1::OrderStatus to, const std::string& action,
                            const std::string& actor, const std::string& reason, absl::Time at);
  // Many history entries in one statement, each naming `job_id` (a bulk
  // job) when set.
  struct HistoryRow {
    std::string order_id;
    v1::OrderStatus from = v1::ORDER_STATUS_UNSPECIFIED;
    v1::OrderStatus to = v1::ORDER_STATUS_UNSPECIFIED;
    std::string action;
    std::string reason;
  };
  static void AppendHistoryMany(pqxx::transaction_base& tx, const std::vector<HistoryRow>& rows,
                                const std::string& actor, absl::Time at, const std::string& job_id);
  static std::vector<v1::HistoryEntry> ListHistory(pqxx::transaction_base& tx,
                                                   const std::string& order_id);

  // False when the (order, provider, reference) payment exists already.
  static bool InsertPayment(pqxx::transaction_base& tx, const std::string& order_id,
                            const v1::Payment& payment);
  static std::optional<v1::Payment> FindPayment(pqxx::transaction_base& tx,
                                                const std::string& order_id,
                                                const std::string& provider,
                                                const std::string& reference);
  static std::vector<v1::Payment> ListPayments(pqxx::transaction_base& tx,
                                               const std::string& order_id,
                                               const std::string& currency);

  static void InsertRefund(pqxx::transaction_base& tx, const std::string& order_id,
                           const std::string& request_id, const std::string& request_hash,
                           const v1::Refund& refund);
  struct RefundByRequest {
    std::string order_id;
    std::string request_hash;
    v1::Refund refund;
  };
  static std::optional<RefundByRequest> FindRefund(pqxx::transaction_base& tx,
                                                   const std::string& request_id);
  struct ReturnByRequest {
    std::string order_id;
    std::string request_hash;
    v1::Return ret;
  };
  static void InsertReturn(pqxx::transaction_base& tx, const std::string& request_id,
                           const std::string& request_hash, const v1::Return& ret);
  static std::optional<ReturnByRequest> FindReturn(pqxx::transaction_base& tx,
                                                   const std::string& request_id);
  static std::vector<v1::Return> ListReturns(pqxx::transaction_base& tx,
                                             const std::string& order_id);
  static std::vector<v1::Refund> ListRefunds(pqxx::transaction_base& tx,
                                             const std::string& order_id);

  static void InsertNote(pqxx::transaction_base& tx, const v1::OrderNote& note);
  static std::vector<v1::OrderNote> ListNotes(pqxx::transaction_base& tx,
                                              const std::string& order_id,
                                              v1::NoteVisibility visibility);

  static int64_t CountUnprocessed(pqxx::transaction_base& tx);

  // CUS-13: every order of `customer_id` and every guest order whose
  // (lower-cased) email has the SHA-256 hex digest `email_sha256` (none
  // when empty), locked for update. Scans the guest orders: erasures are
  // rare.
  static std::vector<v1::Order> LockForErasure(pqxx::transaction_base& tx,
                                               const std::string& customer_id,
                                               const std::string& email_sha256);
  // Replaces every occurrence of the `erased` strings (case-insensitive) in
  // the order's notes and history reasons with "[erased]"; returns the
  // number of rows changed.
  static int ScrubFreeText(pqxx::transaction_base& tx, const std::string& order_id,
                           const std::vector<std::string>& erased);
  // A page of orders. `after` is the keyset cursor (sort value, id) of the
  // last row of the previous page. Returns up to `limit` + 1 rows, so the
  // caller can tell whether another page follows.
  // The cursor's sort value is micros since the epoch, or the total in minor
  // units.
  static std::vector<v1::Order> List(pqxx::transaction_base& tx, const v1::OrderFilter& filter,
                                     v1::OrderSortField sort, bool ascending,
                                     const std::optional<KeysetCursor>& after, int limit);
  // The same rows as List, parsed into `arena` (one release for a whole
  // page) and appended to `*out`: for exports.
  static void ListInto(pqxx::transaction_base& tx, const v1::OrderFilter& filter,
                       v1::OrderSortField sort, bool ascending,
                       const std::optional<KeysetCursor>& after, int limit,
                       google::protobuf::Arena* arena, std::vector<v1::Order*>* out);
};

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_STORE_ORDER_STORE_H_
