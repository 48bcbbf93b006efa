#include "services/newsletter/app/mail_sender.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/core/log.h"
#include "libs/core/status.h"
#include "libs/metrics/metrics.h"
#include "libs/pg/values.h"
#include "services/newsletter/store/newsletter_store.h"

namespace store::newsletter {
namespace {

prometheus::Family<prometheus::Counter>& Delivered() {
  static auto& f = prometheus::BuildCounter()
                       .Name("store_mails_delivered_total")
                       .Help(
                           "Delivery attempts by kind and result (sent, retry, failed, "
                           "bounced, suppressed).")
                       .Register(metrics::Registry());
  return f;
}

prometheus::Histogram& SmtpSeconds() {
  static auto& h = prometheus::BuildHistogram()
                       .Name("store_smtp_send_seconds")
                       .Help("Time to hand one mail to the SMTP server.")
                       .Register(metrics::Registry())
                       .Add({}, metrics::LatencyBuckets());
  return h;
}

prometheus::Family<prometheus::Gauge>& QueueMails() {
  static auto& f = prometheus::BuildGauge()
                       .Name("store_mail_queue_mails")
                       .Help("Mails in the queue and log by status, refreshed every 30 s.")
                       .Register(metrics::Registry());
  return f;
}

const char* KindLabel(v1::MailKind kind) {
  return kind == v1::MAIL_KIND_MARKETING ? "marketing" : "transactional";
}

bool Blocks(const std::vector<v1::SuppressionReason>& reasons, v1::MailKind kind) {
  for (v1::SuppressionReason r : reasons) {
    if (kind == v1::MAIL_KIND_MARKETING || r != v1::SUPPRESSION_REASON_UNSUBSCRIBE) return true;
  }
  return false;
}

}  // namespace

MailSender::MailSender(pg::Pool& pool, const Clock& clock, NewsletterApp& app,
                       std::unique_ptr<MailTransport> transport, SenderOptions options)
    : pool_(pool),
      clock_(clock),
      app_(app),
      transport_(std::move(transport)),
      options_(std::move(options)) {}

absl::StatusOr<int64_t> MailSender::InterruptStale() {
  int64_t n = 0;
  const absl::Time before = clock_.Now() - options_.lease;
  std::vector<std::pair<int, int64_t>> counts;
  absl::Status s = pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    n = NewsletterStore::InterruptStale(tx, before);
    counts = NewsletterStore::CountMailsByStatus(tx);
    return absl::OkStatus();
  });
  if (s.ok()) {
    for (int status = v1::MAIL_STATUS_QUEUED; status <= v1::MAIL_STATUS_INTERRUPTED; ++status) {
      int64_t count = 0;
      for (const auto& [st, c] : counts) {
        if (st == status) count = c;
      }
      std::string name = v1::MailStatus_Name(static_cast<v1::MailStatus>(status)).substr(12);
      QueueMails().Add({{"status", absl::AsciiStrToLower(name)}}).Set(static_cast<double>(count));
    }
  }
  if (!s.ok()) return s;
  if (n > 0)
    log::Warning("mails interrupted mid-send are not retried", {{"mails", absl::StrCat(n)}});
  return n;
}

absl::StatusOr<int> MailSender::SendDue(absl::Duration budget) {
  const absl::Time deadline = absl::Now() + budget;
  int handled = 0;
  while (absl::Now() < deadline) {
    std::vector<ClaimedMail> batch;
    const absl::Time now = pg::TruncateToMicros(clock_.Now());
    // Committed before anything is sent: a crash from here on never sends
    // these again.
    absl::Status s = pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
      batch = NewsletterStore::ClaimDue(tx, now, options_.batch);
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    if (batch.empty()) break;
    for (size_t i = 0; i < batch.size(); ++i) {
      bool handed_over = false;
      if (absl::Status d = Deliver(batch[i], &handed_over); !d.ok()) {
        // The database is gone: give back what was not handed over (a mail
        // that was stays SENDING, then INTERRUPTED: never twice).
        (void)pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
          for (size_t j = handed_over ? i + 1 : i; j < batch.size(); ++j) {
            NewsletterStore::MarkRetry(tx, batch[j].id, "the database was unreachable", now);
          }
          return absl::OkStatus();
        });
        return d;
      }
      ++handled;
    }
  }
  return handled;
}

absl::Status MailSender::Deliver(const ClaimedMail& mail, bool* handed_over) {
  // Renew the claim (a slow batch must not outlive its lease), and a last
  // look at the list: an unsubscribe or bounce since queueing wins.
  std::vector<v1::SuppressionReason> reasons;
  bool still_ours = false;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    still_ours = NewsletterStore::Touch(tx, mail.id, pg::TruncateToMicros(clock_.Now()));
    if (!still_ours) return absl::OkStatus();
    reasons = NewsletterStore::SuppressionsOf(tx, mail.recipient_sha256);
    if (Blocks(reasons, mail.kind)) {
      NewsletterStore::MarkFinal(tx, mail.id, v1::MAIL_STATUS_SUPPRESSED,
                                 "the address is on the suppression list");
    }
    return absl::OkStatus();
  }));
  if (!still_ours) return absl::OkStatus();  // declared INTERRUPTED: never sent
  if (Blocks(reasons, mail.kind)) {
    Delivered().Add({{"kind", KindLabel(mail.kind)}, {"result", "suppressed"}}).Increment();
    return absl::OkStatus();
  }

  if (options_.rate_per_second > 0) {
    const absl::Time t = absl::Now();
    if (next_slot_ > t) absl::SleepFor(next_slot_ - t);
    next_slot_ = std::max(next_slot_, t) + absl::Seconds(1.0 / options_.rate_per_second);
  }
  const absl::Time started = absl::Now();
  *handed_over = true;
  const SendOutcome outcome =
      transport_->Send(options_.envelope_from, mail.recipient, mail.message);
  SmtpSeconds().Observe(absl::ToDoubleSeconds(absl::Now() - started));

  const absl::Time now = pg::TruncateToMicros(clock_.Now());
  const char* result = "sent";
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    switch (outcome.kind) {
      case SendOutcome::kSent:
        NewsletterStore::MarkSent(tx, mail.id, mail.recipient_sha256, now);
        result = "sent";
        break;
      case SendOutcome::kHardBounce:
        NewsletterStore::MarkFinal(tx, mail.id, v1::MAIL_STATUS_FAILED, outcome.detail);
        app_.ApplyBounce(tx, mail.recipient, v1::BOUNCE_KIND_HARD, outcome.detail, now);
        result = "bounced";
        break;
      case SendOutcome::kRejected:
        NewsletterStore::MarkFinal(tx, mail.id, v1::MAIL_STATUS_FAILED, outcome.detail);
        result = "failed";
        break;
      case SendOutcome::kSoftBounce:
      case SendOutcome::kTransient: {
        bool suppressed = false;
        if (outcome.kind == SendOutcome::kSoftBounce) {
          suppressed =
              app_.ApplyBounce(tx, mail.recipient, v1::BOUNCE_KIND_SOFT, outcome.detail, now)
                  .suppressed();
        }
        if (suppressed || mail.attempts >= options_.max_attempts) {
          NewsletterStore::MarkFinal(
              tx, mail.id, v1::MAIL_STATUS_FAILED,
              absl::StrCat(outcome.detail,
                           suppressed ? " (address now suppressed)" : " (out of attempts)"));
          result = "failed";
        } else {
          const absl::Duration delay =
              std::min(options_.retry_base * std::pow(2.0, mail.attempts - 1), options_.retry_max);
          NewsletterStore::MarkRetry(tx, mail.id, outcome.detail, now + delay);
          result = "retry";
        }
        break;
      }
    }
    return absl::OkStatus();
  }));
  Delivered().Add({{"kind", KindLabel(mail.kind)}, {"result", result}}).Increment();
  if (outcome.kind != SendOutcome::kSent) {
    log::Warning("mail not delivered",
                 {{"mail_id", mail.id}, {"result", result}, {"detail", outcome.detail}});
  }
  return absl::OkStatus();
}

}  // namespace store::newsletter
