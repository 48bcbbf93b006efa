// Campaigns (NEW-04): drafts, test sends, sending now or at a time,
// cancelling; the audience (every subscriber, or a customer segment's
// subscribed members) is put in the send queue in batches that survive
// restarts, one mail per recipient; the mail is rendered for its recipient
// when it is sent (MailSender).
#ifndef STORE_SERVICES_NEWSLETTER_APP_CAMPAIGN_APP_H_
#define STORE_SERVICES_NEWSLETTER_APP_CAMPAIGN_APP_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/core/clock.h"
#include "libs/pg/pool.h"
#include "services/newsletter/app/newsletter_app.h"
#include "services/newsletter/store/campaign_store.h"
#include "store/newsletter/v1/newsletter_service.pb.h"

namespace store::newsletter {

// One page of a customer segment's members (their emails) and the token of
// the next page ("" after the last). NOT_FOUND for an unknown segment.
struct SegmentPage {
  std::vector<std::string> emails;
  std::string next_page_token;
};
using SegmentSource = std::function<absl::StatusOr<SegmentPage>(const std::string& segment_id,
                                                                const std::string& page_token)>;

// The merge tags a campaign may use.
const absl::flat_hash_set<std::string>& CampaignTags();

class CampaignApp {
 public:
  CampaignApp(pg::Pool& pool, const Clock& clock, NewsletterApp& newsletter, SegmentSource segments,
              int batch_size = 2000);

  absl::StatusOr<v1::Campaign> CreateCampaign(const v1::CreateCampaignRequest& req);
  absl::StatusOr<v1::Campaign> GetCampaign(const std::string& id);
  absl::StatusOr<v1::ListCampaignsResponse> ListCampaigns(const v1::ListCampaignsRequest& req);
  absl::StatusOr<v1::Campaign> UpdateCampaign(const v1::UpdateCampaignRequest& req);
  absl::StatusOr<v1::SendTestCampaignResponse> SendTestCampaign(
      const v1::SendTestCampaignRequest& req);
  absl::StatusOr<v1::Campaign> SendCampaign(const std::string& id);
  absl::StatusOr<v1::Campaign> ScheduleCampaign(const v1::ScheduleCampaignRequest& req);
  absl::StatusOr<v1::Campaign> CancelCampaign(const std::string& id);

  // Starts the scheduled campaigns that are due and queues recipients of
  // sending ones, batch by batch, until none is left or `budget` passed;
  // returns how many mails were queued. Safe with several replicas.
  absl::StatusOr<int64_t> Dispatch(absl::Duration budget);

  // The "campaign-stats" job (REP-05): publishes CampaignStatsUpdated for
  // each campaign whose sending started within `window` and whose figures
  // changed since they were last published; returns how many.
  absl::StatusOr<int64_t> PublishStats(absl::Duration window);

 private:
  // Loads campaign `id` locked, applies `change` (which may refuse), bumps
  // its version and stores it; returns it as the API shows it.
  absl::StatusOr<v1::Campaign> Change(
      const std::string& id,
      const std::function<absl::Status(pqxx::transaction_base&, v1::Campaign&, absl::Time)>&
          change);
  // Warnings and stats for the API.
  void Decorate(pqxx::transaction_base& tx, std::vector<v1::Campaign*> campaigns);
  // A DRAFT/SCHEDULED campaign's audience must exist before it goes out.
  absl::Status CheckAudience(const v1::Campaign& c);
  // One batch of the campaign locked in `tx`; true when it is done.
  absl::StatusOr<bool> QueueBatch(pqxx::transaction_base& tx, CampaignRow& row, int64_t* queued,
                                  absl::Time now);

  pg::Pool& pool_;
  const Clock& clock_;
  NewsletterApp& newsletter_;
  SegmentSource segments_;
  const int batch_size_;
};

}  // namespace store::newsletter

#endif  // STORE_SERVICES_NEWSLETTER_APP_CAMPAIGN_APP_H_
