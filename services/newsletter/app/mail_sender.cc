#include "services/newsletter/app/mail_sender.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/core/log.h"
#include "libs/core/status.h"
#include "libs/metrics/metrics.h"
#include "libs/pg/values.h"
#include "services/newsletter/store/campaign_store.h"
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
    std::vector<std::pair<const ClaimedMail*, std::string>> ready;
    Skipped skipped;
    const absl::Time now = pg::TruncateToMicros(clock_.Now());
    // Committed before anything is sent: a crash from here on never sends
    // these again. The first chunk is made ready in the same transaction.
    absl::Status s = pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
      batch = NewsletterStore::ClaimDue(tx, now, options_.batch);
      return PrepareIn(tx, batch, 0, std::min(batch.size(), kChunk), /*renew=*/false, &ready,
                       &skipped);
    });
    if (!s.ok()) return s;
    CountSkipped(skipped);
    if (batch.empty()) break;
    // The database is gone: give back what was not handed over (a mail that
    // was stays SENDING, then INTERRUPTED: never twice).
    auto give_back = [&](size_t from) {
      (void)pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
        for (size_t j = from; j < batch.size(); ++j) {
          NewsletterStore::MarkRetry(tx, batch[j].id, "the database was unreachable", now);
        }
        return absl::OkStatus();
      });
    };
    for (size_t start = 0; start < batch.size(); start += kChunk) {
      const size_t end = std::min(batch.size(), start + kChunk);
      if (start > 0) {
        if (absl::Status p = Prepare(batch, start, end, &ready); !p.ok()) {
          give_back(start);
          return p;
        }
      }
      std::vector<std::pair<const ClaimedMail*, SendOutcome>> outcomes;
      for (auto& [mail, message] : ready) {
        if (options_.rate_per_second > 0) {
          const absl::Time t = absl::Now();
          if (next_slot_ > t) absl::SleepFor(next_slot_ - t);
          next_slot_ = std::max(next_slot_, t) + absl::Seconds(1.0 / options_.rate_per_second);
        }
        const absl::Time started = absl::Now();
        outcomes.emplace_back(mail,
                              transport_->Send(options_.envelope_from, mail->recipient, message));
        SmtpSeconds().Observe(absl::ToDoubleSeconds(absl::Now() - started));
      }
      if (absl::Status r = Record(outcomes); !r.ok()) {
        give_back(end);
        return r;
      }
      handled += static_cast<int>(end - start);
    }
  }
  return handled;
}

void MailSender::CountSkipped(const Skipped& skipped) {
  for (const auto& [kind, result] : skipped) {
    Delivered().Add({{"kind", KindLabel(kind)}, {"result", result}}).Increment();
  }
}

absl::Status MailSender::Prepare(const std::vector<ClaimedMail>& batch, size_t start, size_t end,
                                 std::vector<std::pair<const ClaimedMail*, std::string>>* ready) {
  Skipped skipped;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    return PrepareIn(tx, batch, start, end, /*renew=*/true, ready, &skipped);
  }));
  CountSkipped(skipped);
  return absl::OkStatus();
}

absl::Status MailSender::PrepareIn(pqxx::work& tx, const std::vector<ClaimedMail>& batch,
                                   size_t start, size_t end, bool renew,
                                   std::vector<std::pair<const ClaimedMail*, std::string>>* ready,
                                   Skipped* skipped) {
  // Renew the claims (a slow batch must not outlive its lease), and a last
  // look at the list: an unsubscribe or bounce since queueing wins. Campaign
  // mails are rendered now, for their recipient.
  ready->clear();
  skipped->clear();
  if (start == end) return absl::OkStatus();
  std::vector<std::string> ids;
  std::vector<std::string> hashes;
  for (size_t i = start; i < end; ++i) {
    ids.push_back(batch[i].id);
    hashes.push_back(batch[i].recipient_sha256);
  }
  std::set<std::string> ours;
  if (renew) {
    ours = NewsletterStore::TouchMany(tx, ids, pg::TruncateToMicros(clock_.Now()));
  } else {
    ours.insert(ids.begin(), ids.end());  // claimed in this very transaction
  }
  const auto reasons = NewsletterStore::SuppressionsOfMany(tx, hashes);
  for (size_t i = start; i < end; ++i) {
    const ClaimedMail& mail = batch[i];
    if (!ours.count(mail.id)) continue;  // declared INTERRUPTED: never sent
    auto finish = [&](v1::MailStatus status, const std::string& why, const char* result) {
      NewsletterStore::MarkFinal(tx, mail.id, status, why);
      skipped->emplace_back(mail.kind, result);
    };
    if (auto it = reasons.find(mail.recipient_sha256);
        it != reasons.end() && Blocks(it->second, mail.kind)) {
      finish(v1::MAIL_STATUS_SUPPRESSED, "the address is on the suppression list", "suppressed");
      continue;
    }
    if (!mail.message.empty() || mail.campaign_id.empty()) {
      ready->emplace_back(&mail, mail.message);
      continue;
    }
    if (mail.subscriber_status != v1::SUBSCRIBER_STATUS_SUBSCRIBED) {
      finish(v1::MAIL_STATUS_SUPPRESSED, "the subscriber is no longer subscribed", "suppressed");
      continue;
    }
    auto cached = campaigns_.find(mail.campaign_id);
    if (cached == campaigns_.end()) {
      std::optional<CampaignRow> row = CampaignStore::Load(tx, mail.campaign_id, false);
      if (!row.has_value()) {
        finish(v1::MAIL_STATUS_FAILED, "the campaign is gone", "failed");
        continue;
      }
      if (campaigns_.size() > 64) campaigns_.clear();
      cached = campaigns_.emplace(mail.campaign_id, row->campaign).first;
    }
    absl::StatusOr<ComposedMail> composed =
        app_.ComposeCampaignMail(cached->second, mail.id, mail.recipient, mail.first_name,
                                 mail.last_name, mail.subscriber_id);
    if (!composed.ok()) {
      finish(v1::MAIL_STATUS_FAILED, std::string(composed.status().message()), "failed");
      continue;
    }
    ready->emplace_back(&mail, std::move(composed->message));
  }
  return absl::OkStatus();
}

absl::Status MailSender::Record(
    const std::vector<std::pair<const ClaimedMail*, SendOutcome>>& outcomes) {
  const absl::Time now = pg::TruncateToMicros(clock_.Now());
  std::vector<std::pair<const ClaimedMail*, const char*>> results;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    results.clear();
    std::vector<std::string> sent_ids;
    std::vector<std::string> sent_hashes;
    for (const auto& [mail, outcome] : outcomes) {
      const char* result = "sent";
      switch (outcome.kind) {
        case SendOutcome::kSent:
          sent_ids.push_back(mail->id);
          sent_hashes.push_back(mail->recipient_sha256);
          break;
        case SendOutcome::kHardBounce:
          NewsletterStore::MarkFinal(tx, mail->id, v1::MAIL_STATUS_FAILED, outcome.detail);
          app_.ApplyBounce(tx, mail->recipient, v1::BOUNCE_KIND_HARD, outcome.detail, now);
          result = "bounced";
          break;
        case SendOutcome::kRejected:
          NewsletterStore::MarkFinal(tx, mail->id, v1::MAIL_STATUS_FAILED, outcome.detail);
          result = "failed";
          break;
        case SendOutcome::kSoftBounce:
        case SendOutcome::kTransient: {
          bool suppressed = false;
          if (outcome.kind == SendOutcome::kSoftBounce) {
            suppressed =
                app_.ApplyBounce(tx, mail->recipient, v1::BOUNCE_KIND_SOFT, outcome.detail, now)
                    .suppressed();
          }
          if (suppressed || mail->attempts >= options_.max_attempts) {
            NewsletterStore::MarkFinal(
                tx, mail->id, v1::MAIL_STATUS_FAILED,
                absl::StrCat(outcome.detail,
                             suppressed ? " (address now suppressed)" : " (out of attempts)"));
            result = "failed";
          } else {
            const absl::Duration delay = std::min(
                options_.retry_base * std::pow(2.0, mail->attempts - 1), options_.retry_max);
            NewsletterStore::MarkRetry(tx, mail->id, outcome.detail, now + delay);
            result = "retry";
          }
          break;
        }
      }
      results.emplace_back(mail, result);
    }
    if (!sent_ids.empty()) NewsletterStore::MarkSentMany(tx, sent_ids, sent_hashes, now);
    return absl::OkStatus();
  }));
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const auto& [mail, outcome] = outcomes[i];
    Delivered().Add({{"kind", KindLabel(mail->kind)}, {"result", results[i].second}}).Increment();
    if (outcome.kind != SendOutcome::kSent) {
      log::Warning(
          "mail not delivered",
          {{"mail_id", mail->id}, {"result", results[i].second}, {"detail", outcome.detail}});
    }
  }
  return absl::OkStatus();
}

}  // namespace store::newsletter
