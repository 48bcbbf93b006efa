// The newsletter service's SQL, and nothing else. Every function runs in the
// caller's transaction.
#ifndef STORE_SERVICES_NEWSLETTER_STORE_NEWSLETTER_STORE_H_
#define STORE_SERVICES_NEWSLETTER_STORE_NEWSLETTER_STORE_H_

#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/core/paging.h"
#include "store/newsletter/v1/newsletter.pb.h"
#include "store/newsletter/v1/newsletter_service.pb.h"

namespace store::newsletter {

// A subscriber row with what the API does not show.
struct SubscriberRow {
  v1::Subscriber subscriber;
  std::string email_sha256;
  std::string request_id;
  std::string request_hash;
};

// A mail to put in the queue.
struct NewMail {
  std::string id;
  std::string dedupe_key;
  v1::MailKind kind = v1::MAIL_KIND_TRANSACTIONAL;
  v1::NoticeType notice_type = v1::NOTICE_TYPE_UNSPECIFIED;
  std::string recipient;
  std::string subscriber_id;
  std::string subject;
  std::string message;  // RFC 5322 text
  v1::MailStatus status = v1::MAIL_STATUS_QUEUED;
  std::string last_error;
  std::string origin;
  absl::Time now;
};

// A mail the sender claimed.
struct ClaimedMail {
  std::string id;
  v1::MailKind kind = v1::MAIL_KIND_UNSPECIFIED;
  std::string recipient;
  std::string recipient_sha256;
  std::string subscriber_id;
  // Empty for campaign mails: rendered for the recipient when sent.
  std::string message;
  int attempts = 0;
  std::string campaign_id;
  // The subscriber's names and status (campaign mails).
  std::string first_name;
  std::string last_name;
  v1::SubscriberStatus subscriber_status = v1::SUBSCRIBER_STATUS_UNSPECIFIED;
};

class NewsletterStore {
 public:
  // ---- subscribers ----
  static std::optional<SubscriberRow> SubscriberById(pqxx::transaction_base& tx,
                                                     const std::string& id, bool for_update);
  static std::optional<SubscriberRow> SubscriberByEmail(pqxx::transaction_base& tx,
                                                        const std::string& email, bool for_update);
  static std::optional<SubscriberRow> SubscriberByRequestId(pqxx::transaction_base& tx,
                                                            const std::string& request_id);
  // The subscriber whose pending confirmation token has this hash and has
  // not expired at `now`, locked.
  static std::optional<SubscriberRow> SubscriberByConfirmToken(pqxx::transaction_base& tx,
                                                               const std::string& token_sha256,
                                                               absl::Time now);
  // Remembers the request that last changed the subscriber (idempotency).
  static void SetRequestId(pqxx::transaction_base& tx, const std::string& subscriber_id,
                           const std::string& request_id, const std::string& request_hash);
  // Subscribers with this customer id or address hash, locked.
  static std::vector<SubscriberRow> SubscribersOfCustomer(pqxx::transaction_base& tx,
                                                          const std::string& customer_id,
                                                          const std::string& email_sha256);
  // Inserts (version 1) or writes back every column of the row.
  static void InsertSubscriber(pqxx::transaction_base& tx, const SubscriberRow& row);
  static void UpdateSubscriber(pqxx::transaction_base& tx, const v1::Subscriber& s);
  static void SetConfirmToken(pqxx::transaction_base& tx, const std::string& subscriber_id,
                              const std::string& token_sha256, std::optional<absl::Time> expire);
  // The confirmation token's expiry, if one is pending.
  static std::optional<absl::Time> ConfirmTokenExpiry(pqxx::transaction_base& tx,
                                                      const std::string& subscriber_id);
  static void DeleteSubscriber(pqxx::transaction_base& tx, const std::string& id);
  static void AddConsentRecord(pqxx::transaction_base& tx, const std::string& subscriber_id,
                               const std::string& action, const std::string& source,
                               const std::string& ip, const std::string& actor, absl::Time now);
  // The consent history of a subscriber, oldest first.
  static std::vector<v1::ConsentEntry> ConsentRecordsOf(pqxx::transaction_base& tx,
                                                        const std::string& subscriber_id);
  // The suppression entries of an address.
  static std::vector<v1::Suppression> SuppressionEntriesOf(pqxx::transaction_base& tx,
                                                           const std::string& email_sha256);
  // Newest first; up to limit + 1 rows.
  static std::vector<v1::Subscriber> ListSubscribers(pqxx::transaction_base& tx,
                                                     const v1::ListSubscribersRequest& filter,
                                                     const std::optional<KeysetCursor>& after,
                                                     int limit);
  static int64_t CountSubscribers(pqxx::transaction_base& tx,
                                  const v1::ListSubscribersRequest& filter);

  // ---- suppression list ----
  // False when the entry existed already.
  static bool AddSuppression(pqxx::transaction_base& tx, const v1::Suppression& s);
  // Removes the entries of an address except ERASURE; returns how many.
  static int RemoveSuppressions(pqxx::transaction_base& tx, const std::string& email_sha256);
  static void RemoveSuppression(pqxx::transaction_base& tx, const std::string& email_sha256,
                                v1::SuppressionReason reason);
  // Counts one more soft bounce in a row; returns the count.
  static int CountSoftBounce(pqxx::transaction_base& tx, const std::string& email_sha256,
                             absl::Time now);
  // Erasure: suppression entries keep only the hash; bounce counts go.
  static void ForgetAddress(pqxx::transaction_base& tx, const std::string& email_sha256);
  // The reasons the address is on the list for.
  static std::vector<v1::SuppressionReason> SuppressionsOf(pqxx::transaction_base& tx,
                                                           const std::string& email_sha256);
  static std::vector<v1::Suppression> ListSuppressions(pqxx::transaction_base& tx,
                                                       const std::string& text,
                                                       const std::optional<KeysetCursor>& after,
                                                       int limit);

  // ---- notice templates ----
  static std::optional<v1::NoticeTemplate> LoadNotice(pqxx::transaction_base& tx,
                                                      v1::NoticeType type);
  static void SaveNotice(pqxx::transaction_base& tx, const v1::NoticeTemplate& t);

  // ---- send queue ----
  // False when a mail with the same dedupe key exists (nothing written).
  static bool EnqueueMail(pqxx::transaction_base& tx, const NewMail& mail);
  // Marks up to `limit` due mails SENDING (committed by the caller before
  // sending) and returns them: transactional mails first, each kind oldest
  // first. SKIP LOCKED: replicas share.
  static std::vector<ClaimedMail> ClaimDue(pqxx::transaction_base& tx, absl::Time now, int limit);
  // Renews the claim of a SENDING mail just before it is handed over; false
  // when it is no longer SENDING (declared INTERRUPTED meanwhile: skip it).
  static bool Touch(pqxx::transaction_base& tx, const std::string& id, absl::Time now);
  // The same for several mails; returns the ids still SENDING.
  static std::set<std::string> TouchMany(pqxx::transaction_base& tx,
                                         const std::vector<std::string>& ids, absl::Time now);
  // The suppression reasons of several addresses, by hash.
  static std::map<std::string, std::vector<v1::SuppressionReason>> SuppressionsOfMany(
      pqxx::transaction_base& tx, const std::vector<std::string>& email_sha256s);
  // The Mark* functions change only a mail that is still SENDING.
  // Several mails sent (one statement); their addresses' soft-bounce runs end.
  static void MarkSentMany(pqxx::transaction_base& tx, const std::vector<std::string>& ids,
                           const std::vector<std::string>& recipient_sha256s, absl::Time now);
  // Sent; the address's soft-bounce run ends.
  static void MarkSent(pqxx::transaction_base& tx, const std::string& id,
                       const std::string& recipient_sha256, absl::Time now);
  // Back to QUEUED with the error, due at `next`; or FAILED/SUPPRESSED.
  static void MarkRetry(pqxx::transaction_base& tx, const std::string& id, const std::string& error,
                        absl::Time next);
  static void MarkFinal(pqxx::transaction_base& tx, const std::string& id, v1::MailStatus status,
                        const std::string& error);
  // SENDING mails claimed before `before` (a process that died while
  // sending): INTERRUPTED. Returns how many.
  static int64_t InterruptStale(pqxx::transaction_base& tx, absl::Time before);
  // Queued mails to the address are dropped (SUPPRESSED) with the reason;
  // `marketing_only` leaves transactional mail queued.
  static int64_t SuppressQueued(pqxx::transaction_base& tx, const std::string& email_sha256,
                                bool marketing_only, const std::string& why);
  // CUS-13: deletes every mail to the address (queue and log).
  static int64_t DeleteMailsTo(pqxx::transaction_base& tx, const std::string& email_sha256);
  static std::vector<v1::Mail> ListMails(pqxx::transaction_base& tx,
                                         const v1::ListMailsRequest& filter,
                                         const std::optional<KeysetCursor>& after, int limit);
  // Mails per status (gauges).
  static std::vector<std::pair<int, int64_t>> CountMailsByStatus(pqxx::transaction_base& tx);
};

}  // namespace store::newsletter

#endif  // STORE_SERVICES_NEWSLETTER_STORE_NEWSLETTER_STORE_H_
