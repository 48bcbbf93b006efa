// Use cases of the order service: each runs one database transaction that
// loads the aggregate, applies the domain rules, writes the order, its
// history and exactly one event to the outbox, and commits them together.
#ifndef STORE_SERVICES_ORDER_APP_ORDER_APP_H_
#define STORE_SERVICES_ORDER_APP_ORDER_APP_H_

#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "libs/core/clock.h"
#include "libs/pg/pool.h"
#include "store/order/v1/order.pb.h"
#include "store/order/v1/order_service.pb.h"

namespace store::order {

inline constexpr char kOrdersTopic[] = "store.order.orders.v1";
inline constexpr char kSource[] = "order-service";

class OrderApp {
 public:
  OrderApp(pg::Pool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}

  // `actor` is who acts ("staff:alice", "cli:root"); it goes in the history.
  absl::StatusOr<v1::Order> PlaceOrder(const v1::PlaceOrderRequest& request,
                                       const std::string& actor);
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
  absl::StatusOr<v1::OrderNote> AddNote(const v1::AddOrderNoteRequest& request,
                                        const std::string& actor);
  absl::StatusOr<v1::ListOrderNotesResponse> ListNotes(const v1::ListOrderNotesRequest& request);
  absl::StatusOr<v1::ListOrderHistoryResponse> ListHistory(const std::string& order_id);
  absl::StatusOr<v1::ListOrderPaymentsResponse> ListPayments(const std::string& order_id);

 private:
  pg::Pool& pool_;
  const Clock& clock_;
  std::mutex numbering_mu_;  // see PlaceOrder
};

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_APP_ORDER_APP_H_
