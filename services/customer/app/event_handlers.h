// What the customer service does with other services' events:
// - store.order.orders.v1 (consumer "customer-facts"): guest customers from
//   guest orders (CUS-04) and purchase facts (CUS-09);
// - store.privacy.erasures.v1 (consumer "customer-erasures"): each service's
//   report of an erasure, added to the proof-of-erasure record (CUS-13);
// - store.newsletter.subscribers.v1 (consumer "customer-newsletter"): the
//   newsletter's subscriptions as email consent (NEW-01).
// Both run inside the consumer's transaction, with its inbox dedupe.
#ifndef STORE_SERVICES_CUSTOMER_APP_EVENT_HANDLERS_H_
#define STORE_SERVICES_CUSTOMER_APP_EVENT_HANDLERS_H_

#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/core/clock.h"
#include "services/customer/app/customer_options.h"
#include "store/common/v1/event.pb.h"

namespace store::customer {

// The actor of consent lines that follow the newsletter (its own name).
inline constexpr char kNewsletterActor[] = "newsletter-service";

class EventHandlers {
 public:
  explicit EventHandlers(const Clock& clock, CustomerOptions options = {})
      : clock_(clock), options_(std::move(options)) {}

  // The "customer-facts" consumer's transaction: BeginOrderEvents, then
  // HandleOrderEvent for each new event (each order's fact is stored; what it
  // changes for its customer is gathered), then FinishOrderEvents: each
  // customer's facts updated once (one UPDATE for all the orders of the
  // transaction) and their segment memberships refreshed.
  void BeginOrderEvents();
  absl::Status HandleOrderEvent(pqxx::work& tx, const common::v1::EventEnvelope& envelope);
  absl::Status FinishOrderEvents(pqxx::work& tx);
  absl::Status HandleErasureReport(pqxx::work& tx, const common::v1::EventEnvelope& envelope);
  // store.newsletter.subscribers.v1 (consumer "customer-newsletter"):
  // Subscribed / Unsubscribed become the customer's email consent.
  absl::Status HandleNewsletterEvent(pqxx::work& tx, const common::v1::EventEnvelope& envelope);

 private:
  const Clock& clock_;
  CustomerOptions options_;
  // What the open transaction's events change for one customer.
  struct FactsDelta {
    int64_t orders = 0;
    int64_t spent = 0;
    std::optional<absl::Time> first_order;  // earliest counting order placed
    std::optional<absl::Time> last_order;   // latest
  };
  absl::Mutex mu_;
  // By customer id: deltas still to apply, and every customer whose facts
  // changed (recomputed ones too), in the consumer's open transaction.
  std::map<std::string, FactsDelta> deltas_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> facts_changed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_APP_EVENT_HANDLERS_H_
