#include "services/order/app/order_app.h"

#include <functional>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "libs/core/paging.h"
#include "libs/core/status.h"
#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "libs/metrics/metrics.h"
#include "libs/pg/values.h"
#include "services/order/app/order_writes.h"
#include "services/order/domain/cart_rules.h"
#include "services/order/domain/order_changes.h"
#include "services/order/domain/order_rules.h"
#include "services/order/domain/order_state.h"
#include "services/order/store/order_store.h"
#include "services/order/store/settings_store.h"
#include "services/order/store/wallet_debit_store.h"
#include "store/order/v1/events.pb.h"
#include "store/topics.h"

namespace store::order {
namespace {

using google::protobuf::util::TimeUtil;

prometheus::Counter& OrdersPlaced() {
  static auto& c = prometheus::BuildCounter()
                       .Name("store_orders_placed_total")
                       .Help("Orders placed.")
                       .Register(metrics::Registry())
                       .Add({});
  return c;
}

prometheus::Family<prometheus::Counter>& StatusChanges() {
  static auto& f = prometheus::BuildCounter()
                       .Name("store_order_status_changes_total")
                       .Help("Order status changes, by new status.")
                       .Register(metrics::Registry());
  return f;
}

prometheus::Family<prometheus::Counter>& DebitsGivenBack() {
  static auto& f = prometheus::BuildCounter()
                       .Name("store_order_wallet_debits_given_back_total")
                       .Help(
                           "Store-credit debits given back because their order was not "
                           "stored: at once, or later by the wallet-reversals job.")
                       .Register(metrics::Registry());
  return f;
}

absl::Status CheckId(absl::string_view field, const std::string& id) {
  if (!IsUuid(id)) return InvalidField(field, "must be an order id (a UUID)");
  return absl::OkStatus();
}

using MutateFn =
    std::function<absl::StatusOr<OrderChange>(pqxx::transaction_base& tx, v1::Order& order)>;

// What a PlaceOrder retry returns for the order stored under its request_id.
absl::StatusOr<v1::Order> Replay(const OrderStore::ByRequest& existing, const std::string& hash) {
  if (existing.request_hash != hash) {
    return MakeError(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED", "request_id",
                     "request_id was already used for a different order; use a new UUID for "
                     "a new order");
  }
  return existing.order;
}

}  // namespace

// Loads the order for update, lets `fn` change it, then writes the order,
// one history entry and its event in the same transaction.
static absl::StatusOr<v1::Order> Mutate(pg::Pool& pool, const Clock& clock,
                                        const std::string& order_id, const std::string& actor,
                                        const MutateFn& fn) {
  STORE_RETURN_IF_ERROR(CheckId("order_id", order_id));
  v1::Order result;
  v1::OrderStatus from = v1::ORDER_STATUS_UNSPECIFIED;
  bool changed = false;
  absl::Status status = pool.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<v1::Order> order = OrderStore::Load(tx, order_id, /*for_update=*/true);
    if (!order.has_value()) return NotFound("order", order_id);
    from = order->status();
    const absl::Time now = TruncateToMicros(clock.Now());
    STORE_ASSIGN_OR_RETURN(OrderChange change, fn(tx, *order));
    if (change.noop) {
      result = *order;
      return absl::OkStatus();
    }
    WriteChange(tx, *order, from, change, actor, now);
    result = *order;
    changed = true;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (changed && from != result.status()) {
    StatusChanges().Add({{"to", StatusName(result.status())}}).Increment();
  }
  return result;
}

absl::StatusOr<v1::Order> OrderApp::PlaceOrder(const v1::PlaceOrderRequest& request,
                                               const std::string& actor,
                                               const PlacementHooks& hooks) {
  STORE_ASSIGN_OR_RETURN(v1::Order priced, BuildNewOrder(request));
  std::optional<absl::Time> processed;
  if (request.has_processed_time()) {
    const absl::Time t = TruncateToMicros(
        absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(request.processed_time())));
    const absl::Time now = clock_.Now();
    if (t > now + absl::Minutes(1))
      return InvalidField("processed_time", "must not be in the future");
    if (t < now - absl::Hours(24 * 3653)) {
      return InvalidField("processed_time", "must be within the last 10 years");
    }
    processed = t;
  }
  v1::PlaceOrderRequest fingerprinted = request;
  fingerprinted.clear_request_id();
  fingerprinted.clear_processed_time();
  const std::string hash = Fingerprint(fingerprinted);
  const std::string request_id = absl::AsciiStrToLower(request.request_id());
  auto find_stored = [&](std::optional<OrderStore::ByRequest>* stored) {
    return pool_.InTransaction([&](pqxx::work& tx) {
      *stored = OrderStore::FindByRequestId(tx, request_id);
      return absl::OkStatus();
    });
  };

  std::optional<OrderStore::ByRequest> stored;

  // ORD-13: may this buyer order, and at which group discount? Asked before
  // taking a number, so the call never sits in the serialised section below.
  const v1::OrderCustomer& buyer = priced.customer();
  absl::StatusOr<CheckoutDecision> checked =
      customers_.Check(buyer.customer_id(), buyer.email(), buyer.phone());
  if (!checked.ok()) {
    // A retry of a stored order gets that order back as it was placed: the
    // buyer was checked (and the wallet debited) then, and may have been
    // blocked since, or the customer service may be down now. (Looked up
    // only here: a retry that passes the check finds its order at insert.)
    STORE_RETURN_IF_ERROR(find_stored(&stored));
    if (stored.has_value()) return Replay(*stored, hash);
    return checked.status();
  }
  const CheckoutDecision decision = *checked;
  if (hooks.after_check) {
    if (absl::Status s = hooks.after_check(decision); !s.ok()) {
      STORE_RETURN_IF_ERROR(find_stored(&stored));
      if (stored.has_value()) return Replay(*stored, hash);
      return s;
    }
  }
  STORE_RETURN_IF_ERROR(
      ApplyGroupDiscount(decision.group_discount_bp, decision.group_name, &priced));

  // Store credit: the wallet is debited before the order is stored (keyed
  // by request_id, so a retry does not debit twice), and the order is then
  // stored already paid. A zero total needs no debit.
  const bool store_credit = priced.payment_method() == v1::PAYMENT_METHOD_STORE_CREDIT &&
                            priced.totals().total().amount_minor() > 0;
  // The debit is noted first (committed): should this process or the
  // customer service die before the order is stored, the wallet-reversals
  // job finds the note and gives the debit back.
  if (store_credit) {
    STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
      WalletDebitStore::Remember(tx, request_id, buyer.customer_id(), clock_.Now());
      return absl::OkStatus();
    }));
    absl::Status debited = customers_.DebitWallet(buyer.customer_id(), priced.totals().total(),
                                                  "order payment", request_id);
    if (!debited.ok()) {
      // Refused (INSUFFICIENT_FUNDS, ...): nothing was taken. Otherwise the
      // outcome is unknown: the debit may have been made, so give it back.
      if (debited.code() == absl::StatusCode::kUnavailable) {
        GiveBackDebit(buyer.customer_id(), request_id, debited);
      } else {
        ForgetDebit(request_id);
      }
      return debited;
    }
  }

  v1::Order order;
  bool duplicate = false;
  absl::Status status = pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    const absl::Time now = TruncateToMicros(clock_.Now());
    order = priced;  // from scratch on every attempt
    order.set_id(NewUuid());
    order.set_cart_id(hooks.cart_id);
    // From the sequence: no placement waits for another's number; one that
    // rolls back leaves its number unused.
    order.set_number(OrderStore::NextOrderNumber(tx));
    order.set_status(v1::ORDER_STATUS_PENDING);
    order.set_version(1);
    *order.mutable_create_time() = pg::ToTimestamp(processed.value_or(now));
    *order.mutable_update_time() = pg::ToTimestamp(now);
    v1::OrderPlaced placed;
    *placed.mutable_order() = order;
    const events::OutboxParams event(
        order::v1::kOrdersTopic,
        events::MakeEnvelope(placed, order.id(), order.version(), kSource, now));
    const bool inserted = OrderStore::InsertOrder(tx, order, request_id, hash, actor, event);
    if (!inserted) {
      duplicate = true;
      return absl::AbortedError("duplicate request");
    }
    if (hooks.in_transaction) STORE_RETURN_IF_ERROR(hooks.in_transaction(tx, order, now));
    if (store_credit) {
      // The debit is this order's payment, recorded as RecordPayment would
      // (OrderPaid, pending -> processing) in the same transaction.
      v1::Payment payment;
      payment.set_id(NewUuid());
      payment.set_provider(kStoreCreditProvider);
      payment.set_reference(request_id);
      *payment.mutable_amount() = order.totals().total();
      payment.set_outcome(v1::PAYMENT_OUTCOME_SUCCEEDED);
      *payment.mutable_create_time() = pg::ToTimestamp(now);
      OrderStore::InsertPayment(tx, order.id(), payment);
      STORE_ASSIGN_OR_RETURN(OrderChange paid, PaySucceeded(order, payment));
      WriteChange(tx, order, v1::ORDER_STATUS_PENDING, paid, actor, now);
      // The note goes with the order. Gone: this placement took so long
      // that the job gave the debit back; the order must not be stored paid.
      if (!WalletDebitStore::Settle(tx, request_id)) {
        return MakeError(absl::StatusCode::kUnavailable, "STORE_CREDIT_GIVEN_BACK", "",
                         "the store credit payment took too long and was given back; retry");
      }
    }
    return absl::OkStatus();
  });
  if (status.ok()) {
    OrdersPlaced().Increment();
    if (order.status() != v1::ORDER_STATUS_PENDING) {
      StatusChanges().Add({{"to", StatusName(order.status())}}).Increment();
    }
    log::Debug("order placed",
               {{"order_id", order.id()}, {"number", absl::StrCat(order.number())}});
    return order;
  }
  if (!duplicate && !store_credit) return status;

  // Not stored by this call: an identical request was stored first, or the
  // transaction failed (perhaps only seemingly: a commit whose outcome is
  // unknown). What is stored under request_id decides.
  absl::StatusOr<v1::Order> outcome =
      duplicate ? absl::AbortedError("concurrent request, retry") : status;
  stored.reset();
  const absl::Status looked = find_stored(&stored);
  if (looked.ok() && stored.has_value()) outcome = Replay(*stored, hash);
  // The debit belongs to the order stored under request_id, if that one is
  // paid with this customer's store credit; otherwise no order was placed
  // for it.
  const bool debit_used = looked.ok() && stored.has_value() &&
                          stored->order.payment_method() == v1::PAYMENT_METHOD_STORE_CREDIT &&
                          stored->order.customer().customer_id() == buyer.customer_id();
  if (store_credit && !debit_used) {
    GiveBackDebit(buyer.customer_id(), request_id, status);
  } else if (store_credit) {
    ForgetDebit(request_id);  // a retry's note; the order is stored
  }
  return outcome;
}

void OrderApp::ForgetDebit(const std::string& request_id) {
  const absl::Status s = pool_.InTransaction([&](pqxx::work& tx) {
    WalletDebitStore::Settle(tx, request_id);
    return absl::OkStatus();
  });
  // Left behind, the note costs the job one no-op reversal, later.
  if (!s.ok())
    log::Warning("could not forget a settled store credit debit", {{"error", s.ToString()}});
}

absl::StatusOr<int> OrderApp::GiveBackStrandedDebits() {
  int given_back = 0;
  for (int i = 0; i < 100; ++i) {
    bool found = false;
    const absl::Time now = clock_.Now();
    // One at a time, the note locked while the customer service is asked: a
    // placement finishing meanwhile waits for this, finds the note gone and
    // fails rather than store an order whose payment was given back.
    STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
      found = false;
      std::optional<PendingDebit> debit = WalletDebitStore::LockOldest(tx, now - debit_wait_);
      if (!debit.has_value()) return absl::OkStatus();
      found = true;
      std::optional<OrderStore::ByRequest> stored =
          OrderStore::FindByRequestId(tx, debit->request_id);
      if (stored.has_value() && stored->order.payment_method() == v1::PAYMENT_METHOD_STORE_CREDIT &&
          stored->order.customer().customer_id() == debit->customer_id) {
        WalletDebitStore::Settle(tx, debit->request_id);  // paid an order after all
        return absl::OkStatus();
      }
      const absl::StatusOr<bool> s =
          customers_.ReverseDebit(debit->customer_id, debit->request_id, "order not placed");
      if (!s.ok()) {
        log::Warning("store credit debit of an order not placed: cannot give it back yet",
                     {{"customer_id", debit->customer_id},
                      {"request_id", debit->request_id},
                      {"attempts", absl::StrCat(debit->attempts + 1)},
                      {"error", s.status().ToString()}});
        WalletDebitStore::Postpone(tx, debit->request_id, now, s.status().ToString());
        return absl::OkStatus();
      }
      WalletDebitStore::Settle(tx, debit->request_id);
      if (*s) {  // else the debit was never made: nothing to give back
        DebitsGivenBack().Add({{"when", "later"}}).Increment();
        log::Warning("store credit debit given back: its order was never stored",
                     {{"customer_id", debit->customer_id}, {"request_id", debit->request_id}});
        ++given_back;
      }
      return absl::OkStatus();
    }));
    if (!found) break;
  }
  return given_back;
}

void OrderApp::GiveBackDebit(const std::string& customer_id, const std::string& request_id,
                             const absl::Status& cause) {
  const absl::StatusOr<bool> s =
      customers_.ReverseDebit(customer_id, request_id, "order not placed");
  if (s.ok()) {
    ForgetDebit(request_id);
    if (*s) {
      DebitsGivenBack().Add({{"when", "at_once"}}).Increment();
      log::Warning(
          "store credit debit given back: the order was not placed",
          {{"customer_id", customer_id}, {"request_id", request_id}, {"cause", cause.ToString()}});
    }
  } else {
    log::Warning(
        "store credit debit not given back yet: the order was not placed; the "
        "wallet-reversals job tries again",
        {{"customer_id", customer_id},
         {"request_id", request_id},
         {"cause", cause.ToString()},
         {"error", s.status().ToString()}});
  }
}

absl::StatusOr<v1::OrderSettings> OrderApp::GetSettings() {
  v1::OrderSettings settings;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
    settings = SettingsStore::Load(tx);
    return absl::OkStatus();
  }));
  return settings;
}

absl::StatusOr<v1::OrderSettings> OrderApp::UpdateSettings(
    const v1::UpdateOrderSettingsRequest& request) {
  v1::OrderSettings result;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    v1::OrderSettings settings = SettingsStore::Load(tx);
    STORE_RETURN_IF_ERROR(
        ApplySettingsUpdate(&settings, request.settings(), request.update_mask()));
    for (const std::string& path : request.update_mask().paths()) {
      if (path != "order_number_start") continue;
      if (!SettingsStore::SetNextOrderNumber(tx, settings.order_number_start())) {
        return InvalidField("settings.order_number_start",
                            absl::StrCat("must be above the last order number, ",
                                         SettingsStore::LastOrderNumber(tx)));
      }
    }
    SettingsStore::Save(tx, settings, TruncateToMicros(clock_.Now()));
    result = SettingsStore::Load(tx);
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<v1::Order> OrderApp::GetOrder(const std::string& id) {
  STORE_RETURN_IF_ERROR(CheckId("id", id));
  std::optional<v1::Order> order;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
    order = OrderStore::Load(tx, id, false);
    return absl::OkStatus();
  }));
  if (!order.has_value()) return NotFound("order", id);
  return *order;
}

absl::StatusOr<v1::ListOrdersResponse> OrderApp::ListOrders(const v1::ListOrdersRequest& req) {
  STORE_ASSIGN_OR_RETURN(const int size, PageSize(req.page_size()));
  const v1::OrderFilter& f = req.filter();
  STORE_RETURN_IF_ERROR(ValidateOrderFilter(f));
  const bool asc = req.sort_direction() == common::v1::SORT_DIRECTION_ASC;
  const v1::OrderSortField sort =
      req.sort_field() == v1::ORDER_SORT_FIELD_TOTAL ? v1::ORDER_SORT_FIELD_TOTAL
                                                      : v1::ORDER_SORT_FIELD_CREATE_TIME;
  const std::string binding = absl::StrCat(Fingerprint(f), "|", static_cast<int>(sort), asc);
  std::optional<KeysetCursor> after;
  if (!req.page_token().empty()) {
    STORE_ASSIGN_OR_RETURN(after, DecodePageToken(req.page_token(), binding));
  }
  std::vector<v1::Order> rows;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
    rows = OrderStore::List(tx, f, sort, asc, after, size);
    return absl::OkStatus();
  }));
  v1::ListOrdersResponse resp;
  const bool more = static_cast<int>(rows.size()) > size;
  if (more) rows.resize(size);
  for (auto& o : rows) *resp.add_orders() = std::move(o);
  if (more) {
    const v1::Order& last = resp.orders(resp.orders_size() - 1);
    KeysetCursor c;
    c.id = last.id();
    c.sort_value = sort == v1::ORDER_SORT_FIELD_TOTAL
                       ? last.totals().total().amount_minor()
                       : TimeUtil::TimestampToMicroseconds(last.create_time());
    resp.set_next_page_token(EncodePageToken(c, binding));
  }
  return resp;
}

absl::StatusOr<int64_t> OrderApp::CountUnprocessed() {
  int64_t count = 0;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
    count = OrderStore::CountUnprocessed(tx);
    return absl::OkStatus();
  }));
  return count;
}

absl::StatusOr<v1::RecordPaymentResponse> OrderApp::RecordPayment(
    const v1::RecordPaymentRequest& request, const std::string& actor) {
  v1::Payment payment;
  absl::StatusOr<v1::Order> order = Mutate(
      pool_, clock_, request.order_id(), actor,
      [&](pqxx::transaction_base& tx, v1::Order& order) -> absl::StatusOr<OrderChange> {
        STORE_RETURN_IF_ERROR(ValidatePayment(request, order));
        if (auto existing = OrderStore::FindPayment(tx, order.id(), request.provider(),
                                                    request.reference())) {
          // A retried webhook or confirmation: the first record stands.
          if (existing->amount().amount_minor() != request.amount().amount_minor() ||
              existing->outcome() != request.outcome()) {
            return MakeError(absl::StatusCode::kAlreadyExists, "PAYMENT_REFERENCE_REUSED",
                             "reference",
                             "a different payment with this provider and reference is recorded");
          }
          payment = *existing;
          payment.mutable_amount()->set_currency_code(order.currency_code());
          return NoChange();
        }
        // An edit (ORD-06) can leave a processing order owing a balance.
        const bool awaiting = order.status() == v1::ORDER_STATUS_PENDING ||
                              order.status() == v1::ORDER_STATUS_AWAITING_VERIFICATION;
        const bool owes_edit_balance =
            !awaiting && IsEditable(order) && BalanceOf(order).amount_due > 0;
        if (!awaiting && !owes_edit_balance) {
          return Precondition("ORDER_NOT_AWAITING_PAYMENT",
                              absl::StrCat("payments are recorded for pending or "
                                           "awaiting_verification orders, or for the balance of "
                                           "an edit; this order is ",
                                           StatusName(order.status()), " and owes nothing"),
                              {{"status", StatusName(order.status())}});
        }
        if (owes_edit_balance && request.outcome() != v1::PAYMENT_OUTCOME_SUCCEEDED &&
            request.outcome() != v1::PAYMENT_OUTCOME_FAILED) {
          return InvalidField("outcome", "the balance of an edit is paid (succeeded) or failed");
        }
        payment.set_id(NewUuid());
        payment.set_provider(request.provider());
        payment.set_reference(request.reference());
        *payment.mutable_amount() = request.amount();
        payment.mutable_amount()->set_currency_code(order.currency_code());
        payment.set_outcome(request.outcome());
        payment.set_failure_reason(request.failure_reason());
        *payment.mutable_create_time() = pg::ToTimestamp(TruncateToMicros(clock_.Now()));
        OrderStore::InsertPayment(tx, order.id(), payment);
        OrderChange change;
        change.action = "payment";
        switch (request.outcome()) {
          case v1::PAYMENT_OUTCOME_FAILED: {
            change.reason = absl::StrCat("payment failed: ", request.failure_reason());
            auto event = std::make_unique<v1::OrderPaymentFailed>();
            *event->mutable_payment() = payment;
            change.event = std::move(event);
            return change;
          }
          case v1::PAYMENT_OUTCOME_PENDING_VERIFICATION: {
            change.reason = "payment received, to be verified";
            STORE_RETURN_IF_ERROR(Transition(order, v1::ORDER_STATUS_AWAITING_VERIFICATION));
            change.event = std::make_unique<v1::OrderStatusChanged>();
            return change;
          }
          default:
            return PaySucceeded(order, payment);
        }
      });
  if (!order.ok()) return order.status();
  v1::RecordPaymentResponse resp;
  *resp.mutable_order() = *order;
  *resp.mutable_payment() = payment;
  return resp;
}

absl::StatusOr<v1::Order> OrderApp::ShipOrder(const v1::ShipOrderRequest& request,
                                              const std::string& actor) {
  STORE_ASSIGN_OR_RETURN(v1::Shipment shipment, BuildShipment(request));
  return Mutate(pool_, clock_, request.order_id(), actor,
                [&](pqxx::transaction_base&, v1::Order& order) {
                  return Ship(order, shipment, TruncateToMicros(clock_.Now()));
                });
}

absl::StatusOr<v1::Order> OrderApp::CompleteOrder(const v1::CompleteOrderRequest& request,
                                                  const std::string& actor) {
  return Mutate(pool_, clock_, request.order_id(), actor,
                [&](pqxx::transaction_base&, v1::Order& order) { return Complete(order); });
}

absl::StatusOr<v1::Order> OrderApp::CancelOrder(const v1::CancelOrderRequest& request,
                                                const std::string& actor) {
  STORE_RETURN_IF_ERROR(ValidateReason("reason", request.reason()));
  return Mutate(pool_, clock_, request.order_id(), actor,
                [&](pqxx::transaction_base&, v1::Order& order) {
                  return Cancel(order, request.reason(), request.initiator());
                });
}

absl::StatusOr<v1::Order> OrderApp::RejectOrder(const v1::RejectOrderRequest& request,
                                                const std::string& actor) {
  STORE_RETURN_IF_ERROR(ValidateReason("reason", request.reason()));
  return Mutate(
      pool_, clock_, request.order_id(), actor,
      [&](pqxx::transaction_base&, v1::Order& order) { return Reject(order, request.reason()); });
}

absl::StatusOr<v1::RefundOrderResponse> OrderApp::RefundOrder(
    const v1::RefundOrderRequest& request, const std::string& actor) {
  if (!IsUuid(request.request_id())) {
    return InvalidField("request_id", "must be a UUID chosen by the caller (it makes retries safe)");
  }
  v1::RefundOrderRequest fingerprinted = request;
  fingerprinted.clear_request_id();
  const std::string hash = Fingerprint(fingerprinted);
  v1::Refund refund;
  absl::StatusOr<v1::Order> order = Mutate(
      pool_, clock_, request.order_id(), actor,
      [&](pqxx::transaction_base& tx, v1::Order& order) -> absl::StatusOr<OrderChange> {
        if (auto existing = OrderStore::FindRefund(tx, request.request_id())) {
          if (existing->request_hash != hash || existing->order_id != order.id()) {
            return MakeError(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED",
                             "request_id", "request_id was already used for a different refund");
          }
          refund = existing->refund;
          return NoChange();
        }
        STORE_ASSIGN_OR_RETURN(int64_t amount, ApplyRefund(request, &order));
        const bool full = order.totals().refunded().amount_minor() >=
                          order.totals().paid().amount_minor();
        STORE_RETURN_IF_ERROR(Transition(
            order, full ? v1::ORDER_STATUS_REFUNDED : v1::ORDER_STATUS_PARTIALLY_REFUNDED));
        refund.set_id(NewUuid());
        refund.mutable_amount()->set_amount_minor(amount);
        refund.mutable_amount()->set_currency_code(order.currency_code());
        *refund.mutable_lines() = request.lines();
        refund.set_reason(request.reason());
        *refund.mutable_create_time() = pg::ToTimestamp(TruncateToMicros(clock_.Now()));
        OrderStore::InsertRefund(tx, order.id(), request.request_id(), hash, refund);
        OrderChange change;
        change.action = "refund";
        change.reason = request.reason();
        auto event = std::make_unique<v1::OrderRefunded>();
        *event->mutable_refund() = refund;
        event->set_fully_refunded(full);
        change.event = std::move(event);
        return change;
      });
  if (!order.ok()) return order.status();
  v1::RefundOrderResponse resp;
  *resp.mutable_order() = *order;
  *resp.mutable_refund() = refund;
  return resp;
}

namespace {

void FillBalance(v1::OrderEditResult& result) {
  const EditBalance balance = BalanceOf(result.order());
  const std::string& currency = result.order().currency_code();
  result.mutable_amount_due()->set_amount_minor(balance.amount_due);
  result.mutable_amount_due()->set_currency_code(currency);
  result.mutable_refundable()->set_amount_minor(balance.refundable);
  result.mutable_refundable()->set_currency_code(currency);
}

}  // namespace

absl::StatusOr<v1::OrderEditResult> OrderApp::PreviewEdit(const v1::EditOrderRequest& request) {
  STORE_ASSIGN_OR_RETURN(v1::Order order, GetOrder(request.order_id()));
  v1::OrderEditResult result;
  result.set_base_version(order.version());
  *result.mutable_previous_total() = order.totals().total();
  STORE_RETURN_IF_ERROR(Edit(order, request).status());
  *result.mutable_order() = std::move(order);
  FillBalance(result);
  return result;
}

absl::StatusOr<v1::OrderEditResult> OrderApp::EditOrder(const v1::EditOrderRequest& request,
                                                        const std::string& actor) {
  if (request.expected_version() <= 0) {
    return InvalidField("expected_version",
                        "is required: the version the edit was previewed on (PreviewOrderEdit's "
                        "base_version)");
  }
  v1::OrderEditResult result;
  absl::StatusOr<v1::Order> order =
      Mutate(pool_, clock_, request.order_id(), actor,
             [&](pqxx::transaction_base&, v1::Order& order) -> absl::StatusOr<OrderChange> {
               if (order.version() != request.expected_version()) {
                 return MakeError(absl::StatusCode::kAborted, "VERSION_CHANGED", "expected_version",
                                  absl::StrCat("the order changed since the preview (version ",
                                               request.expected_version(), " then, ",
                                               order.version(), " now); preview the edit again"),
                                  {{"version", absl::StrCat(order.version())}});
               }
               result.set_base_version(order.version());
               *result.mutable_previous_total() = order.totals().total();
               return Edit(order, request);
             });
  if (!order.ok()) return order.status();
  *result.mutable_order() = *order;
  FillBalance(result);
  return result;
}

absl::StatusOr<v1::OrderNote> OrderApp::AddNote(const v1::AddOrderNoteRequest& request,
                                                const std::string& actor) {
  STORE_RETURN_IF_ERROR(CheckId("order_id", request.order_id()));
  if (request.text().empty() || request.text().size() > 5000) {
    return InvalidField("text", "must be 1..5000 characters");
  }
  if (request.visibility() == v1::NOTE_VISIBILITY_UNSPECIFIED ||
      !v1::NoteVisibility_IsValid(request.visibility())) {
    return InvalidField("visibility", "must be internal or customer");
  }
  v1::OrderNote note;
  note.set_id(NewUuid());
  note.set_order_id(request.order_id());
  note.set_text(request.text());
  note.set_visibility(request.visibility());
  note.set_author(actor);
  const absl::Time now = TruncateToMicros(clock_.Now());
  *note.mutable_create_time() = pg::ToTimestamp(now);
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<v1::Order> order = OrderStore::Load(tx, request.order_id(), false);
    if (!order.has_value()) return NotFound("order", request.order_id());
    OrderStore::InsertNote(tx, note);
    OrderStore::AppendHistory(tx, note.order_id(), order->status(), order->status(),
                              request.visibility() == v1::NOTE_VISIBILITY_CUSTOMER
                                  ? "customer_note"
                                  : "internal_note",
                              actor, "", now);
    return absl::OkStatus();
  }));
  return note;
}

absl::StatusOr<v1::ListOrderNotesResponse> OrderApp::ListNotes(
    const v1::ListOrderNotesRequest& request) {
  STORE_RETURN_IF_ERROR(CheckId("order_id", request.order_id()));
  v1::ListOrderNotesResponse resp;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    if (!OrderStore::Load(tx, request.order_id(), false)) return NotFound("order", request.order_id());
    for (auto& n : OrderStore::ListNotes(tx, request.order_id(), request.visibility())) {
      *resp.add_notes() = std::move(n);
    }
    return absl::OkStatus();
  }));
  return resp;
}

absl::StatusOr<v1::ListOrderHistoryResponse> OrderApp::ListHistory(const std::string& order_id) {
  STORE_RETURN_IF_ERROR(CheckId("order_id", order_id));
  v1::ListOrderHistoryResponse resp;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    if (!OrderStore::Load(tx, order_id, false)) return NotFound("order", order_id);
    for (auto& e : OrderStore::ListHistory(tx, order_id)) *resp.add_entries() = std::move(e);
    return absl::OkStatus();
  }));
  return resp;
}

absl::StatusOr<v1::ListOrderPaymentsResponse> OrderApp::ListPayments(const std::string& order_id) {
  STORE_RETURN_IF_ERROR(CheckId("order_id", order_id));
  v1::ListOrderPaymentsResponse resp;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<v1::Order> order = OrderStore::Load(tx, order_id, false);
    if (!order) return NotFound("order", order_id);
    for (auto& p : OrderStore::ListPayments(tx, order_id, order->currency_code())) {
      *resp.add_payments() = std::move(p);
    }
    for (auto& r : OrderStore::ListRefunds(tx, order_id)) *resp.add_refunds() = std::move(r);
    return absl::OkStatus();
  }));
  return resp;
}

absl::StatusOr<v1::RecordReturnResponse> OrderApp::RecordReturn(
    const v1::RecordReturnRequest& request, const std::string& actor) {
  if (!IsUuid(request.request_id())) {
    return InvalidField("request_id",
                        "must be a UUID chosen by the caller (it makes retries safe)");
  }
  v1::RecordReturnRequest fingerprinted = request;
  fingerprinted.clear_request_id();
  const std::string hash = Fingerprint(fingerprinted);
  v1::Return ret;
  absl::StatusOr<v1::Order> order = Mutate(
      pool_, clock_, request.order_id(), actor,
      [&](pqxx::transaction_base& tx, v1::Order& order) -> absl::StatusOr<OrderChange> {
        if (auto existing = OrderStore::FindReturn(tx, request.request_id())) {
          if (existing->request_hash != hash || existing->order_id != order.id()) {
            return MakeError(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED", "request_id",
                             "request_id was already used for a different return");
          }
          ret = existing->ret;
          return NoChange();
        }
        STORE_ASSIGN_OR_RETURN(std::vector<v1::ReturnLine> lines, ApplyReturn(request, &order));
        ret.set_id(NewUuid());
        ret.set_order_id(order.id());
        for (v1::ReturnLine& line : lines) *ret.add_lines() = std::move(line);
        ret.set_reason(request.reason());
        *ret.mutable_create_time() = pg::ToTimestamp(TruncateToMicros(clock_.Now()));
        OrderStore::InsertReturn(tx, request.request_id(), hash, ret);
        OrderChange change;
        change.action = "returned";
        std::vector<std::string> parts;
        for (const v1::ReturnLine& l : ret.lines()) {
          parts.push_back(absl::StrCat(l.sku(), " ", l.quantity_received(), " received ",
                                       l.quantity_damaged(), " damaged"));
        }
        change.reason = absl::StrJoin(parts, ", ");
        if (!request.reason().empty()) absl::StrAppend(&change.reason, ": ", request.reason());
        auto event = std::make_unique<v1::OrderReturned>();
        *event->mutable_return_() = ret;
        change.event = std::move(event);
        return change;
      });
  if (!order.ok()) return order.status();
  v1::RecordReturnResponse resp;
  *resp.mutable_order() = *order;
  *resp.mutable_return_() = ret;
  return resp;
}

absl::StatusOr<v1::ListOrderReturnsResponse> OrderApp::ListReturns(const std::string& order_id) {
  STORE_RETURN_IF_ERROR(CheckId("order_id", order_id));
  v1::ListOrderReturnsResponse resp;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    if (!OrderStore::Load(tx, order_id, false)) return NotFound("order", order_id);
    for (auto& r : OrderStore::ListReturns(tx, order_id)) *resp.add_returns() = std::move(r);
    return absl::OkStatus();
  }));
  return resp;
}

}  // namespace store::order
