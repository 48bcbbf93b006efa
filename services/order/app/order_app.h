// Use cases of the order service: each runs one database transaction that
// loads the aggregate, applies the domain rules, writes the order, its
// history and exactly one event to the outbox, and commits them together.
// PlaceOrder first asks the customer service (CustomerGate) whether the
// buyer may order (ORD-13); HandleCustomerEvent applies the customer
// service's erasures to orders (CUS-13).
#ifndef STORE_SERVICES_ORDER_APP_ORDER_APP_H_
#define STORE_SERVICES_ORDER_APP_ORDER_APP_H_

#include <functional>
#include <mutex>
#include <pqxx/pqxx>
#include <string>

#include "absl/status/statusor.h"
#include "libs/core/clock.h"
#include "libs/pg/pool.h"
#include "services/order/app/customer_gate.h"
#include "store/common/v1/event.pb.h"
#include "store/order/v1/order.pb.h"
#include "store/order/v1/order_service.pb.h"
#include "store/topics.h"

namespace store::order {

inline constexpr char kSource[] = "order-service";
// Consumed: the customer service's events (CustomerErased).
inline constexpr char kErasureConsumer[] = "order-erasure";
// Published: ErasureStepCompleted, keyed by customer id.
// Payment provider of orders paid with store credit (the reference is the
// order's request_id, also the wallet debit's idempotency key).
inline constexpr char kStoreCreditProvider[] = "store_credit";

// What a checkout adds to PlaceOrder (CartApp::Checkout): a check once the
// buyer is known, and writes in the placing transaction.
struct PlacementHooks {
  // Recorded on the order (Order.cart_id).
  std::string cart_id;
  // After the customer service checked the buyer (their group is known),
  // before anything is debited or stored; an error stops the placement.
  std::function<absl::Status(const CheckoutDecision&)> after_check;
  // In the placing transaction, after the order was inserted: an error
  // rolls everything back (and gives back a store-credit debit).
  std::function<absl::Status(pqxx::work& tx, const v1::Order& order, absl::Time now)>
      in_transaction;
};

class OrderApp {
 public:
  // `debit_wait`: how long a store-credit debit may wait for its order to
  // be stored before GiveBackStrandedDebits gives it back (far longer than a
  // placement takes: a placement that finds its debit given back fails).
  OrderApp(pg::Pool& pool, const Clock& clock, CustomerGate& customers,
           absl::Duration debit_wait = absl::Seconds(60))
      : pool_(pool), clock_(clock), customers_(customers), debit_wait_(debit_wait) {}

  // `actor` is who acts ("staff:alice", "cli:root"); it goes in the history.
  // Before the order is numbered, the customer service checks the buyer and
  // gives the group discount; store credit is debited before the order is
  // stored, and given back if it then is not. A retry of a stored request
  // returns that order without asking the customer service again.
  absl::StatusOr<v1::Order> PlaceOrder(const v1::PlaceOrderRequest& request,
                                       const std::string& actor,
                                       const PlacementHooks& hooks = {});
  // The periodic `wallet-reversals` job: gives back every store-credit
  // debit that waited longer than `debit_wait` for an order that was never
  // stored (the customer service, or this one, died mid-placement, and the
  // client did not retry), and forgets the ones whose order was stored.
  // Returns how many were given back; one that cannot be given back now is
  // tried again after another `debit_wait`.
  absl::StatusOr<int> GiveBackStrandedDebits();
  absl::StatusOr<v1::Order> GetOrder(const std::string& id);
  absl::StatusOr<v1::ListOrdersResponse> ListOrders(const v1::ListOrdersRequest& request);
  absl::StatusOr<int64_t> CountUnprocessed();
  absl::StatusOr<v1::RecordPaymentResponse> RecordPayment(const v1::RecordPaymentRequest& request,
                                                          const std::string& actor);
  absl::StatusOr<v1::Order> ShipOrder(const v1::ShipOrderRequest& request,
                                      const std::string& actor);
  absl::StatusOr<v1::Order> CompleteOrder(const v1::CompleteOrderRequest& request,
                                          const std::string& actor);
  absl::StatusOr<v1::Order> CancelOrder(const v1::CancelOrderRequest& request,
                                        const std::string& actor);
  absl::StatusOr<v1::Order> RejectOrder(const v1::RejectOrderRequest& request,
                                        const std::string& actor);
  absl::StatusOr<v1::RefundOrderResponse> RefundOrder(const v1::RefundOrderRequest& request,
                                                      const std::string& actor);
  // ORD-06: an edit before shipping, previewed (nothing written) or
  // committed on the version it was previewed on (ABORTED VERSION_CHANGED
  // otherwise).
  absl::StatusOr<v1::OrderEditResult> PreviewEdit(const v1::EditOrderRequest& request);
  absl::StatusOr<v1::OrderEditResult> EditOrder(const v1::EditOrderRequest& request,
                                                const std::string& actor);
  absl::StatusOr<v1::OrderNote> AddNote(const v1::AddOrderNoteRequest& request,
                                        const std::string& actor);
  absl::StatusOr<v1::ListOrderNotesResponse> ListNotes(const v1::ListOrderNotesRequest& request);
  absl::StatusOr<v1::ListOrderHistoryResponse> ListHistory(const std::string& order_id);
  absl::StatusOr<v1::ListOrderPaymentsResponse> ListPayments(const std::string& order_id);
  absl::StatusOr<v1::RecordReturnResponse> RecordReturn(const v1::RecordReturnRequest& request,
                                                        const std::string& actor);
  absl::StatusOr<v1::ListOrderReturnsResponse> ListReturns(const std::string& order_id);

  // Store settings (ORD-15).
  absl::StatusOr<v1::OrderSettings> GetSettings();
  absl::StatusOr<v1::OrderSettings> UpdateSettings(const v1::UpdateOrderSettingsRequest& request);

  // Consumer handler for customer::v1::kCustomersTopic (runs in the consumer's
  // transaction, with its inbox row). On store.customer.v1.CustomerErased
  // it anonymises every order of the customer and every guest order placed
  // with their email (matched by SHA-256), then writes one
  // ErasureStepCompleted to the outbox. Other event types are ignored.
  absl::Status HandleCustomerEvent(pqxx::work& tx, const common::v1::EventEnvelope& envelope);

 private:
  // Gives back a store-credit debit of an order that was not stored, and
  // forgets it once given back (else the job tries again later).
  void GiveBackDebit(const std::string& customer_id, const std::string& request_id,
                     const absl::Status& cause);
  // Forgets the pending debit `request_id` (stored, refused or given back).
  void ForgetDebit(const std::string& request_id);

  pg::Pool& pool_;
  const Clock& clock_;
  CustomerGate& customers_;
  absl::Duration debit_wait_;
};

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_APP_ORDER_APP_H_
