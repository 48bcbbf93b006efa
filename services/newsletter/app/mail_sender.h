// Delivers the send queue (NEW-05): claims due mails (SKIP LOCKED, so
// replicas share the work), marks them SENDING in a committed transaction
// before handing each to SMTP, then SENT, back to QUEUED with a backoff, or
// FAILED. A process killed mid-hand-over leaves SENDING rows that become
// INTERRUPTED and are never retried: each mail goes out at most once.
// The suppression list is checked again right before each send.
#ifndef STORE_SERVICES_NEWSLETTER_APP_MAIL_SENDER_H_
#define STORE_SERVICES_NEWSLETTER_APP_MAIL_SENDER_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/core/clock.h"
#include "libs/pg/pool.h"
#include "services/newsletter/app/newsletter_app.h"
#include "services/newsletter/mail/smtp_transport.h"
#include "services/newsletter/store/newsletter_store.h"

namespace store::newsletter {

struct SenderOptions {
  // The SMTP envelope sender (MAIL FROM).
  std::string envelope_from;
  // Mails handed over per second at most (0: no limit).
  double rate_per_second = 50;
  // Mails claimed per round trip (transactional ones first).
  int batch = 10;
  // Backoff after a failed attempt: base * 2^(attempt-1), at most max.
  absl::Duration retry_base = absl::Seconds(30);
  absl::Duration retry_max = absl::Hours(1);
  // Attempts before a mail is FAILED.
  int max_attempts = 8;
  // A SENDING row older than this belongs to a dead process.
  absl::Duration lease = absl::Minutes(5);
};

class MailSender {
 public:
  MailSender(pg::Pool& pool, const Clock& clock, NewsletterApp& app,
             std::unique_ptr<MailTransport> transport, SenderOptions options);

  // Sends what is due until the queue has nothing due or `budget` has
  // passed; returns how many mails were handled. One caller at a time.
  absl::StatusOr<int> SendDue(absl::Duration budget);
  // SENDING rows past the lease become INTERRUPTED; returns how many. Also
  // refreshes the queue gauge.
  absl::StatusOr<int64_t> InterruptStale();

 private:
  // Mails are handed over in chunks: one transaction checks the list and
  // renders campaign mails of a chunk (the claim's own for the first chunk;
  // later ones renew the claims first), one records the outcomes.
  static constexpr size_t kChunk = 10;
  // What a chunk's check finished without sending (kind, result label).
  using Skipped = std::vector<std::pair<v1::MailKind, const char*>>;
  // The chunk batch[start, end) ready to send (mail, message); the others
  // were finished (SUPPRESSED, FAILED) or are no longer ours.
  absl::Status Prepare(const std::vector<ClaimedMail>& batch, size_t start, size_t end,
                       std::vector<std::pair<const ClaimedMail*, std::string>>* ready);
  absl::Status PrepareIn(pqxx::work& tx, const std::vector<ClaimedMail>& batch, size_t start,
                         size_t end, bool renew,
                         std::vector<std::pair<const ClaimedMail*, std::string>>* ready,
                         Skipped* skipped);
  static void CountSkipped(const Skipped& skipped);
  absl::Status Record(const std::vector<std::pair<const ClaimedMail*, SendOutcome>>& outcomes);

  pg::Pool& pool_;
  const Clock& clock_;
  NewsletterApp& app_;
  std::unique_ptr<MailTransport> transport_;
  const SenderOptions options_;
  absl::Time next_slot_ = absl::InfinitePast();  // rate limit pacing
  // Campaigns being sent (their content no longer changes), by id.
  std::map<std::string, v1::Campaign> campaigns_;
};

}  // namespace store::newsletter

#endif  // STORE_SERVICES_NEWSLETTER_APP_MAIL_SENDER_H_
