// NewsletterApp: the suppression list and bounces (NEW-09).
#include "absl/strings/str_cat.h"
#include "libs/auth/digest.h"
#include "libs/core/contact.h"
#include "libs/core/paging.h"
#include "libs/core/status.h"
#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "libs/pg/values.h"
#include "services/newsletter/app/newsletter_app.h"
#include "services/newsletter/app/newsletter_app_internal.h"
#include "services/newsletter/store/newsletter_store.h"
#include "store/newsletter/v1/events.pb.h"
#include "store/topics.h"

namespace store::newsletter {
namespace {

using namespace internal;  // NOLINT: this service's own helpers

}  // namespace

// ---------------------------------------------------------------------------
// Suppression list and bounces

absl::StatusOr<v1::Suppression> NewsletterApp::AddSuppression(const v1::AddSuppressionRequest& req,
                                                              const Caller& caller) {
  STORE_ASSIGN_OR_RETURN(std::string email, NormalizeEmail("email", req.email()));
  v1::SuppressionReason reason = req.reason();
  if (reason == v1::SUPPRESSION_REASON_UNSPECIFIED) reason = v1::SUPPRESSION_REASON_MANUAL;
  if (reason != v1::SUPPRESSION_REASON_MANUAL && reason != v1::SUPPRESSION_REASON_HARD_BOUNCE &&
      reason != v1::SUPPRESSION_REASON_COMPLAINT) {
    return InvalidField("reason",
                        "must be MANUAL, HARD_BOUNCE or COMPLAINT (the others are "
                        "recorded by the service itself)");
  }
  STORE_RETURN_IF_ERROR(ValidateText("detail", req.detail(), 0, 500));
  const absl::Time now = TruncateToMicros(clock_.Now());
  v1::Suppression entry;
  entry.set_email(email);
  entry.set_email_sha256(auth::Sha256Hex(email));
  entry.set_reason(reason);
  entry.set_detail(req.detail().empty() ? caller.actor : req.detail());
  *entry.mutable_create_time() = ToTimestamp(now);
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    NewsletterStore::AddSuppression(tx, entry);
    NewsletterStore::SuppressQueued(tx, entry.email_sha256(), false,
                                    "the address was put on the suppression list");
    if (auto row = NewsletterStore::SubscriberByEmail(tx, email, true)) {
      v1::Subscriber& s = row->subscriber;
      if (s.status() == v1::SUBSCRIBER_STATUS_SUBSCRIBED ||
          s.status() == v1::SUBSCRIBER_STATUS_PENDING) {
        MarkLeft(tx, s,
                 reason == v1::SUPPRESSION_REASON_COMPLAINT ? v1::SUBSCRIBER_STATUS_COMPLAINED
                 : reason == v1::SUPPRESSION_REASON_HARD_BOUNCE
                     ? v1::SUBSCRIBER_STATUS_BOUNCED
                     : v1::SUBSCRIBER_STATUS_UNSUBSCRIBED,
                 "suppressed", caller, now);
      }
    }
    return absl::OkStatus();
  }));
  return entry;
}

absl::StatusOr<v1::RemoveSuppressionResponse> NewsletterApp::RemoveSuppression(
    const std::string& email_in) {
  STORE_ASSIGN_OR_RETURN(std::string email, NormalizeEmail("email", email_in));
  v1::RemoveSuppressionResponse out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    out.set_removed(NewsletterStore::RemoveSuppressions(tx, auth::Sha256Hex(email)));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::ListSuppressionsResponse> NewsletterApp::ListSuppressions(
    const v1::ListSuppressionsRequest& req) {
  STORE_ASSIGN_OR_RETURN(int size, PageSize(req.page_size()));
  if (req.text().size() > 200) return InvalidField("text", "must be at most 200 characters");
  const std::string binding = ListBinding(req);
  std::optional<KeysetCursor> after;
  if (!req.page_token().empty()) {
    STORE_ASSIGN_OR_RETURN(KeysetCursor c, DecodePageToken(req.page_token(), binding));
    after = c;
  }
  v1::ListSuppressionsResponse out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::vector<v1::Suppression> rows =
        NewsletterStore::ListSuppressions(tx, req.text(), after, size);
    if (static_cast<int>(rows.size()) > size) {
      rows.resize(size);
      const v1::Suppression& last = rows.back();
      out.set_next_page_token(TokenAfterRow(
          last.create_time(),
          absl::StrCat(last.email_sha256(), ":", static_cast<int>(last.reason())), binding));
    }
    for (auto& s : rows) *out.add_suppressions() = std::move(s);
    return absl::OkStatus();
  }));
  return out;
}

v1::RecordBounceResponse NewsletterApp::ApplyBounce(pqxx::transaction_base& tx,
                                                    const std::string& email, v1::BounceKind kind,
                                                    const std::string& detail, absl::Time now) {
  const std::string hash = auth::Sha256Hex(email);
  v1::RecordBounceResponse out;
  std::optional<SubscriberRow> row = NewsletterStore::SubscriberByEmail(tx, email, true);
  int soft = 0;
  if (kind == v1::BOUNCE_KIND_SOFT) {
    soft = NewsletterStore::CountSoftBounce(tx, hash, now);
    out.set_soft_bounces(soft);
  }
  v1::SuppressionReason reason = v1::SUPPRESSION_REASON_UNSPECIFIED;
  if (kind == v1::BOUNCE_KIND_HARD) reason = v1::SUPPRESSION_REASON_HARD_BOUNCE;
  if (kind == v1::BOUNCE_KIND_COMPLAINT) reason = v1::SUPPRESSION_REASON_COMPLAINT;
  if (kind == v1::BOUNCE_KIND_SOFT && soft >= options_.soft_bounce_limit) {
    reason = v1::SUPPRESSION_REASON_SOFT_BOUNCES;
  }
  if (reason != v1::SUPPRESSION_REASON_UNSPECIFIED) {
    v1::Suppression entry;
    entry.set_email(email);
    entry.set_email_sha256(hash);
    entry.set_reason(reason);
    entry.set_detail(detail.substr(0, 500));
    *entry.mutable_create_time() = ToTimestamp(now);
    NewsletterStore::AddSuppression(tx, entry);
    NewsletterStore::SuppressQueued(tx, hash, false, absl::StrCat("suppressed: ", detail));
    out.set_suppressed(true);
    if (row.has_value() && (row->subscriber.status() == v1::SUBSCRIBER_STATUS_SUBSCRIBED ||
                            row->subscriber.status() == v1::SUBSCRIBER_STATUS_PENDING)) {
      MarkLeft(tx, row->subscriber,
               kind == v1::BOUNCE_KIND_COMPLAINT ? v1::SUBSCRIBER_STATUS_COMPLAINED
                                                 : v1::SUBSCRIBER_STATUS_BOUNCED,
               kind == v1::BOUNCE_KIND_COMPLAINT ? "complaint" : "bounce", {kSource, ""}, now);
    }
  } else {
    out.set_suppressed(HardSuppressed(NewsletterStore::SuppressionsOf(tx, hash)));
  }
  if (row.has_value() && kind == v1::BOUNCE_KIND_SOFT) {
    row->subscriber.set_soft_bounces(soft);
    if (!out.suppressed()) Save(tx, row->subscriber, now);
  }
  v1::EmailBounced event;
  event.set_subscriber_id(row.has_value() ? row->subscriber.id() : "");
  event.set_email(email);
  event.set_kind(kind);
  event.set_detail(detail.substr(0, 500));
  event.set_suppressed(out.suppressed());
  events::AppendToOutbox(
      tx, newsletter::v1::kSubscribersTopic,
      events::MakeEnvelope(event, row.has_value() ? row->subscriber.id() : hash,
                           row.has_value() ? row->subscriber.version() : 0, kSource, now));
  return out;
}

absl::StatusOr<v1::RecordBounceResponse> NewsletterApp::RecordBounce(
    const v1::RecordBounceRequest& req) {
  STORE_ASSIGN_OR_RETURN(std::string email, NormalizeEmail("email", req.email()));
  if (req.kind() == v1::BOUNCE_KIND_UNSPECIFIED || !v1::BounceKind_IsValid(req.kind())) {
    return InvalidField("kind",
                        "must be BOUNCE_KIND_HARD, BOUNCE_KIND_SOFT or "
                        "BOUNCE_KIND_COMPLAINT");
  }
  STORE_RETURN_IF_ERROR(ValidateText("detail", req.detail(), 0, 500));
  const absl::Time now = TruncateToMicros(clock_.Now());
  v1::RecordBounceResponse out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    out = ApplyBounce(tx, email, req.kind(), req.detail(), now);
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace store::newsletter
