// NewsletterApp: its part of a customer erasure (CUS-13).
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/auth/digest.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "libs/core/status.h"
#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "libs/pg/values.h"
#include "services/newsletter/app/newsletter_app.h"
#include "services/newsletter/app/newsletter_app_internal.h"
#include "services/newsletter/store/newsletter_store.h"
#include "store/customer/v1/events.pb.h"
#include "store/topics.h"

namespace store::newsletter {
namespace {

using namespace internal;  // NOLINT: this service's own helpers

}  // namespace

// CUS-13: the subscriber and every mail to the address go; the address
// stays suppressed by its hash only; the step is reported.
absl::Status NewsletterApp::Erase(pqxx::work& tx, const common::v1::EventEnvelope& env,
                                  absl::Time now) {
  cv1::CustomerErased e;
  STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
  if (!e.email_sha256().empty() && !IsSha256Hex(e.email_sha256())) {
    return absl::InvalidArgumentError("CustomerErased: email_sha256 is not a SHA-256 hex digest");
  }
  const std::string customer_id = absl::AsciiStrToLower(e.customer_id());
  const std::string email_sha256 = absl::AsciiStrToLower(e.email_sha256());
  std::vector<std::string> hashes;
  if (!email_sha256.empty()) hashes.push_back(email_sha256);
  int64_t subscribers = 0;
  for (const SubscriberRow& row :
       NewsletterStore::SubscribersOfCustomer(tx, customer_id, email_sha256)) {
    if (row.email_sha256 != email_sha256) hashes.push_back(row.email_sha256);
    NewsletterStore::DeleteSubscriber(tx, row.subscriber.id());
    // Published or not, the subscriber's events carry the address; the
    // customer service, their only other reader, erases the customer too.
    events::DeleteEvents(tx, newsletter::v1::kSubscribersTopic, row.subscriber.id(),
                         /*sent_only=*/false);
    ++subscribers;
  }
  int64_t mails = 0;
  for (const std::string& hash : hashes) {
    mails += NewsletterStore::DeleteMailsTo(tx, hash);
    NewsletterStore::ForgetAddress(tx, hash);
    v1::Suppression entry;
    entry.set_email_sha256(hash);
    entry.set_reason(v1::SUPPRESSION_REASON_ERASURE);
    entry.set_detail(absl::StrCat("erasure ", e.erasure_id()));
    *entry.mutable_create_time() = ToTimestamp(now);
    NewsletterStore::AddSuppression(tx, entry);
  }
  cv1::ErasureStepCompleted done;
  done.set_erasure_id(e.erasure_id());
  done.set_customer_id(customer_id);
  cv1::ErasureStep* step = done.mutable_step();
  step->set_service(kSource);
  step->set_summary(absl::StrCat(subscribers, subscribers == 1 ? " subscriber" : " subscribers",
                                 " and ", mails, mails == 1 ? " mail" : " mails",
                                 " deleted; address kept suppressed as a hash"));
  step->set_records(subscribers + mails);
  *step->mutable_complete_time() = ToTimestamp(now);
  events::AppendToOutbox(tx, customer::v1::kErasuresTopic,
                         events::MakeEnvelope(done, customer_id, 0, kSource, now));
  log::Info("customer erased from the mailer", {{"erasure_id", e.erasure_id()},
                                                {"subscribers", absl::StrCat(subscribers)},
                                                {"mails", absl::StrCat(mails)}});
  return absl::OkStatus();
}

}  // namespace store::newsletter
