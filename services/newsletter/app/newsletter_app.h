// Use cases of the newsletter and mail service. Each runs in one
// transaction that writes the subscriber, the queued mail and the events
// (outbox) together; the same operations serve the RPCs and the consumers of
// the order and customer topics.
#ifndef STORE_SERVICES_NEWSLETTER_APP_NEWSLETTER_APP_H_
#define STORE_SERVICES_NEWSLETTER_APP_NEWSLETTER_APP_H_

#include <map>
#include <pqxx/pqxx>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/core/clock.h"
#include "libs/pg/pool.h"
#include "services/newsletter/domain/mail_message.h"
#include "store/common/v1/event.pb.h"
#include "store/newsletter/v1/newsletter_service.pb.h"

namespace store::newsletter {

inline constexpr char kSource[] = "newsletter-service";
// One consumer group for the order and customer topics.
inline constexpr char kConsumerName[] = "newsletter";
// Purpose strings of the signed tokens.
inline constexpr char kUnsubscribePurpose[] = "unsubscribe";
inline constexpr char kOpenPurpose[] = "open";
inline constexpr char kClickPurpose[] = "click";

struct NewsletterOptions {
  // Shown in mails ({store_name}) and as the sender's name.
  std::string store_name = "Store";
  // The storefront ({store_url}); account, order, confirmation and
  // password pages are below it (see README).
  std::string store_url = "http://localhost:3000";
  // The gateway's public address: the one-click unsubscribe URL of the
  // List-Unsubscribe header points at it.
  std::string public_api_url = "http://127.0.0.1:8080";
  // Sender of every mail (also the SMTP envelope sender).
  MailAddress from{"shop@example.com", "Store"};
  // HMAC key of the unsubscribe tokens (at least 32 bytes).
  std::string token_secret;
  // How long a subscription confirmation link works.
  absl::Duration confirm_ttl = absl::Hours(48);
  // A new confirmation mail to the same address at most this often.
  absl::Duration confirm_resend_interval = absl::Minutes(5);
  // Soft bounces in a row that suppress an address.
  int soft_bounce_limit = 7;
  // An order placed this long after a campaign mail counts for it (NEW-06).
  absl::Duration conversion_window = absl::Hours(24 * 7);
};

// A mail rendered for its recipient.
struct ComposedMail {
  std::string subject;
  std::string message;  // RFC 5322 text
};

// Who called (for consent records).
struct Caller {
  std::string actor;  // "public", "staff:alice", "marketing:bob"
  std::string ip;
};

class NewsletterApp {
 public:
  NewsletterApp(pg::Pool& pool, const Clock& clock, NewsletterOptions options);

  // ---- subscribers ----
  absl::StatusOr<v1::SubscribeResponse> Subscribe(const v1::SubscribeRequest& req,
                                                  const Caller& caller);
  absl::StatusOr<v1::Subscriber> ConfirmSubscription(const std::string& token,
                                                     const Caller& caller);
  absl::StatusOr<v1::UnsubscribeResponse> Unsubscribe(const std::string& token,
                                                      const Caller& caller);
  absl::StatusOr<v1::Subscriber> CreateSubscriber(const v1::CreateSubscriberRequest& req,
                                                  const Caller& caller);
  absl::StatusOr<v1::Subscriber> GetSubscriber(const std::string& id);
  absl::StatusOr<v1::ListSubscribersResponse> ListSubscribers(
      const v1::ListSubscribersRequest& req);
  // The signed one-click unsubscribe link of subscriber `id` (no campaign).
  absl::StatusOr<v1::UnsubscribeLink> GetUnsubscribeLink(const std::string& id);
  absl::StatusOr<v1::Subscriber> UnsubscribeSubscriber(const std::string& id,
                                                       const std::string& reason,
                                                       const Caller& caller);
  // The token that goes into a subscriber's unsubscribe links; with a
  // campaign id, the unsubscribe counts for that campaign.
  std::string UnsubscribeToken(const std::string& subscriber_id,
                               const std::string& campaign_id = "") const;
  // Renders `campaign` for one recipient: merge tags, the unsubscribe link
  // and the List-Unsubscribe / List-Unsubscribe-Post headers (RFC 8058) for
  // a subscriber; for a test send (no subscriber id) a link that does
  // nothing. INVALID_ARGUMENT when the message cannot be built.
  absl::StatusOr<ComposedMail> ComposeCampaignMail(const v1::Campaign& campaign,
                                                   const std::string& mail_id,
                                                   const std::string& email,
                                                   const std::string& first_name,
                                                   const std::string& last_name,
                                                   const std::string& subscriber_id) const;

  // ---- suppression list ----
  absl::StatusOr<v1::Suppression> AddSuppression(const v1::AddSuppressionRequest& req,
                                                 const Caller& caller);
  absl::StatusOr<v1::RemoveSuppressionResponse> RemoveSuppression(const std::string& email);
  absl::StatusOr<v1::ListSuppressionsResponse> ListSuppressions(
      const v1::ListSuppressionsRequest& req);
  absl::StatusOr<v1::RecordBounceResponse> RecordBounce(const v1::RecordBounceRequest& req);
  // The bounce rules in the caller's transaction (the sender uses it for
  // SMTP refusals too).
  v1::RecordBounceResponse ApplyBounce(pqxx::transaction_base& tx, const std::string& email,
                                       v1::BounceKind kind, const std::string& detail,
                                       absl::Time now);

  // ---- notices ----
  absl::StatusOr<v1::ListNoticeTemplatesResponse> ListNoticeTemplates();
  absl::StatusOr<v1::NoticeTemplate> GetNoticeTemplate(v1::NoticeType type);
  absl::StatusOr<v1::NoticeTemplate> UpdateNoticeTemplate(
      const v1::UpdateNoticeTemplateRequest& req);

  // ---- tracking (NEW-06) ----
  // The 1x1 GIF of the open pixel; records an open of the token's mail.
  absl::StatusOr<std::string> TrackOpen(const std::string& token);
  // Records a click and returns the link's address.
  absl::StatusOr<std::string> TrackClick(const std::string& token);

  // ---- privacy (CUS-13) ----
  absl::StatusOr<v1::SubscriberData> ExportSubscriberData(
      const v1::ExportSubscriberDataRequest& req);

  // ---- mail log ----
  absl::StatusOr<v1::ListMailsResponse> ListMails(const v1::ListMailsRequest& req);

  // ---- consumers ----
  // store.order.orders.v1 and store.customer.customers.v1 (one group):
  // transactional notices, consent, erasure.
  absl::Status HandleEvent(pqxx::work& tx, const common::v1::EventEnvelope& env);

  const NewsletterOptions& options() const { return options_; }

 private:
  struct Recipient {
    std::string email;
    std::string first_name;
    std::string last_name;
  };
  // Renders `type` for `to` and queues it under `dedupe_key`; nothing when
  // the notice is switched off, a SUPPRESSED log entry when the address
  // may not receive it.
  void QueueNotice(pqxx::transaction_base& tx, v1::NoticeType type, const Recipient& to,
                   std::map<std::string, std::string> values, const std::string& dedupe_key,
                   const std::string& origin, const std::string& subscriber_id, absl::Time now);
  // Sends the double opt-in link (a new token) unless one went out lately.
  void SendConfirmation(pqxx::transaction_base& tx, const v1::Subscriber& s, absl::Time now);
  // Status changes with their consent record and event.
  void MarkSubscribed(pqxx::transaction_base& tx, v1::Subscriber& s, const std::string& action,
                      const Caller& caller, absl::Time now);
  void MarkLeft(pqxx::transaction_base& tx, v1::Subscriber& s, v1::SubscriberStatus status,
                const std::string& reason, const Caller& caller, absl::Time now);
  void Save(pqxx::transaction_base& tx, v1::Subscriber& s, absl::Time now);
  std::string AddTracking(const std::string& html, const std::string& mail_id,
                          const std::string& unsubscribe_url) const;

  absl::Status HandleOrderEvent(pqxx::work& tx, const common::v1::EventEnvelope& env,
                                absl::Time now);
  absl::Status HandleCustomerEvent(pqxx::work& tx, const common::v1::EventEnvelope& env,
                                   absl::Time now);
  absl::Status FollowConsent(pqxx::work& tx, const common::v1::EventEnvelope& env, absl::Time now);
  absl::Status Erase(pqxx::work& tx, const common::v1::EventEnvelope& env, absl::Time now);

  pg::Pool& pool_;
  const Clock& clock_;
  const NewsletterOptions options_;
};

}  // namespace store::newsletter

#endif  // STORE_SERVICES_NEWSLETTER_APP_NEWSLETTER_APP_H_
