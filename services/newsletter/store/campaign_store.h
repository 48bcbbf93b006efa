// The campaigns' SQL (NEW-04), and nothing else. Every function runs in the
// caller's transaction.
#ifndef STORE_SERVICES_NEWSLETTER_STORE_CAMPAIGN_STORE_H_
#define STORE_SERVICES_NEWSLETTER_STORE_CAMPAIGN_STORE_H_

#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/core/paging.h"
#include "store/newsletter/v1/newsletter.pb.h"

namespace store::newsletter {

// A campaign row with what the API does not show.
struct CampaignRow {
  v1::Campaign campaign;
  // Queueing progress: the last subscriber id queued (every subscriber) or
  // the next segment page token ("" = from the start).
  std::string queue_cursor;
  std::string request_id;
  std::string request_hash;
};

// One batch of recipients put in the send queue.
struct QueuedBatch {
  int64_t scanned = 0;  // audience rows looked at
  int64_t queued = 0;   // mails inserted (a repeat inserts none)
  std::string last_id;  // the batch's last subscriber id ("" if none)
};

class CampaignStore {
 public:
  static void Insert(pqxx::transaction_base& tx, const CampaignRow& row);
  // Writes back every column but the cursor, counts and request id.
  static void Update(pqxx::transaction_base& tx, const v1::Campaign& c);
  static std::optional<CampaignRow> Load(pqxx::transaction_base& tx, const std::string& id,
                                         bool for_update);
  static std::optional<CampaignRow> LoadByRequestId(pqxx::transaction_base& tx,
                                                    const std::string& request_id);
  // Newest first; up to limit + 1 rows.
  static std::vector<v1::Campaign> List(pqxx::transaction_base& tx,
                                        const std::vector<int>& statuses,
                                        const std::optional<KeysetCursor>& after, int limit);
  // Delivery counts of the campaigns' mails and their unsubscribes.
  static std::map<std::string, v1::CampaignStats> Stats(pqxx::transaction_base& tx,
                                                        const std::vector<std::string>& ids);

  // Campaigns SENDING or SENT whose sending started at or after `since`.
  static std::vector<v1::Campaign> StartedSince(pqxx::transaction_base& tx, absl::Time since);
  // The serialized stats last published per campaign, and the new ones.
  static std::map<std::string, std::string> PublishedStats(pqxx::transaction_base& tx,
                                                           const std::vector<std::string>& ids);
  static void SavePublishedStats(pqxx::transaction_base& tx, const std::string& id,
                                 const std::string& stats, absl::Time now);

  // SCHEDULED campaigns due at `now` become SENDING; returns their ids.
  static std::vector<std::string> StartDue(pqxx::transaction_base& tx, absl::Time now);
  // A SENDING campaign no other replica is working on, locked.
  static std::optional<CampaignRow> NextSending(pqxx::transaction_base& tx);
  // Queues up to `limit` subscribed, unsuppressed subscribers after the
  // cursor id, in id order (every-subscriber audience).
  static QueuedBatch QueueSubscribers(pqxx::transaction_base& tx, const v1::Campaign& c,
                                      const std::string& after_id, int limit, absl::Time now);
  // Queues those of `emails` who are subscribed and unsuppressed (a page of
  // segment members).
  static QueuedBatch QueueEmails(pqxx::transaction_base& tx, const v1::Campaign& c,
                                 const std::vector<std::string>& emails, absl::Time now);
  static void SetProgress(pqxx::transaction_base& tx, const std::string& id,
                          const std::string& cursor, int64_t queued);
  // A cancelled campaign's mails not yet handed over: SUPPRESSED.
  static int64_t DropQueued(pqxx::transaction_base& tx, const std::string& id,
                            const std::string& why);
  // Tracking (NEW-06): false when the mail is gone (erased).
  static bool RecordOpen(pqxx::transaction_base& tx, const std::string& mail_id, absl::Time now);
  static bool RecordClick(pqxx::transaction_base& tx, const std::string& mail_id,
                          const std::string& url, absl::Time now);
  // Gives order `order_id` to the latest campaign mail sent to the address
  // within `window` before `now`; false when there is none (or the order
  // was counted already).
  static bool RecordConversion(pqxx::transaction_base& tx, const std::string& order_id,
                               const std::string& email_sha256, int64_t amount_minor,
                               const std::string& currency_code, absl::Time now,
                               absl::Duration window);
  static void AddUnsubscribe(pqxx::transaction_base& tx, const std::string& campaign_id,
                             const std::string& subscriber_id, absl::Time now);
};

}  // namespace store::newsletter

#endif  // STORE_SERVICES_NEWSLETTER_STORE_CAMPAIGN_STORE_H_
