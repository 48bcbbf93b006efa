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

#include <pqxx/pqxx>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
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

  absl::Status HandleOrderEvent(pqxx::work& tx, const common::v1::EventEnvelope& envelope);
  // Before the "customer-facts" transaction commits: the segment memberships
  // of every customer whose facts its order events changed.
  absl::Status FinishOrderEvents(pqxx::work& tx);
  absl::Status HandleErasureReport(pqxx::work& tx, const common::v1::EventEnvelope& envelope);
  // store.newsletter.subscribers.v1 (consumer "customer-newsletter"):
  // Subscribed / Unsubscribed become the customer's email consent.
  absl::Status HandleNewsletterEvent(pqxx::work& tx, const common::v1::EventEnvelope& envelope);

 private:
  const Clock& clock_;
  CustomerOptions options_;
  absl::Mutex mu_;
  // Customers whose facts changed in the consumer's open transaction.
  std::set<std::string> facts_changed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_APP_EVENT_HANDLERS_H_
