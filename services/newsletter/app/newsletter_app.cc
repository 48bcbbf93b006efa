// NewsletterApp: links and tracking, composing campaign mails, subscriber
// state changes. Its other use cases are in subscribers.cc, suppressions.cc,
// notice_queue.cc, mail_log.cc, event_handlers.cc and erasure.cc.
#include "services/newsletter/app/newsletter_app.h"

#include <prometheus/counter.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "libs/auth/digest.h"
#include "libs/auth/link_token.h"
#include "libs/core/ids.h"
#include "libs/core/status.h"
#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "libs/pg/values.h"
#include "services/newsletter/app/newsletter_app_internal.h"
#include "services/newsletter/domain/notices.h"
#include "services/newsletter/domain/template.h"
#include "services/newsletter/store/campaign_store.h"
#include "services/newsletter/store/newsletter_store.h"
#include "store/newsletter/v1/events.pb.h"
#include "store/topics.h"

namespace store::newsletter {
namespace {

using namespace internal;  // NOLINT: this service's own helpers

}  // namespace

NewsletterApp::NewsletterApp(pg::Pool& pool, const Clock& clock, NewsletterOptions options)
    : pool_(pool), clock_(clock), options_(std::move(options)) {}

std::string NewsletterApp::UnsubscribeToken(const std::string& subscriber_id,
                                            const std::string& campaign_id) const {
  return SignLinkToken(
      options_.token_secret, kUnsubscribePurpose,
      campaign_id.empty() ? subscriber_id : absl::StrCat(subscriber_id, ".", campaign_id));
}

// Tracking (NEW-06): every http(s) link of the HTML part but the
// unsubscribe link goes through the click redirect (the address is signed
// into the token), and an open pixel goes before </body>.
std::string NewsletterApp::AddTracking(const std::string& html, const std::string& mail_id,
                                       const std::string& unsubscribe_url) const {
  std::string out;
  out.reserve(html.size() + 512);
  size_t pos = 0;
  static const std::string kHref = "href=\"";
  while (true) {
    const size_t at = html.find(kHref, pos);
    if (at == std::string::npos) break;
    const size_t start = at + kHref.size();
    const size_t end = html.find('"', start);
    if (end == std::string::npos) break;
    out.append(html, pos, start - pos);
    const std::string escaped = html.substr(start, end - start);
    // The attribute holds HTML: &amp; is the address's &.
    const std::string url = absl::StrReplaceAll(escaped, {{"&amp;", "&"}});
    const bool web = absl::StartsWith(url, "https://") || absl::StartsWith(url, "http://");
    if (web && url != unsubscribe_url && url.size() <= 1400) {  // the token stays < 2000
      absl::StrAppend(&out, Link(options_.public_api_url, "/v1/newsletter/t/c/"),
                      SignLinkToken(options_.token_secret, kClickPurpose,
                                    absl::StrCat(mail_id, ".", absl::WebSafeBase64Escape(url))));
    } else {
      out += escaped;
    }
    pos = end;
  }
  out.append(html, pos, std::string::npos);
  const std::string pixel =
      absl::StrCat("<img src=\"", Link(options_.public_api_url, "/v1/newsletter/t/o/"),
                   SignLinkToken(options_.token_secret, kOpenPurpose, mail_id),
                   "\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;border:0\">");
  const size_t body_end = out.rfind("</body>");
  if (body_end == std::string::npos) return out + pixel;
  out.insert(body_end, pixel);
  return out;
}

absl::StatusOr<std::string> NewsletterApp::TrackOpen(const std::string& token) {
  absl::StatusOr<std::string> mail_id = VerifyLinkToken(options_.token_secret, kOpenPurpose, token);
  if (!mail_id.ok() || !IsUuid(*mail_id)) {
    return MakeError(absl::StatusCode::kInvalidArgument, "BAD_TOKEN", "token",
                     "this tracking link is not valid");
  }
  const absl::Time now = TruncateToMicros(clock_.Now());
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    CampaignStore::RecordOpen(tx, *mail_id, now);
    return absl::OkStatus();
  }));
  // The smallest transparent GIF (1x1, 43 bytes).
  static const std::string* const kGif = new std::string(
      "GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x21\xf9\x04\x01\x00"
      "\x00\x00\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b",
      43);
  return *kGif;
}

absl::StatusOr<std::string> NewsletterApp::TrackClick(const std::string& token) {
  absl::StatusOr<std::string> payload =
      VerifyLinkToken(options_.token_secret, kClickPurpose, token);
  std::string url;
  const size_t dot = payload.ok() ? payload->find('.') : std::string::npos;
  if (dot == std::string::npos || !IsUuid(payload->substr(0, dot)) ||
      !absl::WebSafeBase64Unescape(payload->substr(dot + 1), &url) ||
      !(absl::StartsWith(url, "https://") || absl::StartsWith(url, "http://"))) {
    return MakeError(absl::StatusCode::kInvalidArgument, "BAD_TOKEN", "token",
                     "this tracking link is not valid");
  }
  const std::string mail_id = payload->substr(0, dot);
  const absl::Time now = TruncateToMicros(clock_.Now());
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    CampaignStore::RecordClick(tx, mail_id, url, now);
    return absl::OkStatus();
  }));
  return url;
}

absl::StatusOr<ComposedMail> NewsletterApp::ComposeCampaignMail(
    const v1::Campaign& campaign, const std::string& mail_id, const std::string& email,
    const std::string& first_name, const std::string& last_name,
    const std::string& subscriber_id) const {
  const std::string token =
      subscriber_id.empty() ? "" : UnsubscribeToken(subscriber_id, campaign.id());
  const absl::flat_hash_map<std::string, std::string> values = {
      {"firstname", first_name.empty() ? "there" : first_name},
      {"lastname", last_name},
      {"email", email},
      {"store_name", options_.store_name},
      {"store_url", options_.store_url},
      {"unsubscribe_url",
       Link(options_.store_url, token.empty()
                                    ? "/newsletter/unsubscribe"
                                    : absl::StrCat("/newsletter/unsubscribe?token=", token))}};
  ComposedMail out;
  out.subject = RenderTemplate(campaign.subject(), values, Escape::kNone);
  absl::StrReplaceAll({{"\r", " "}, {"\n", " "}}, &out.subject);
  OutgoingMail mail;
  mail.from = options_.from;
  mail.to = {email, absl::StrCat(first_name, last_name.empty() ? "" : " ", last_name)};
  mail.subject = out.subject;
  mail.text_body = RenderTemplate(campaign.text_body(), values, Escape::kNone);
  mail.html_body = RenderTemplate(campaign.html_body(), values, Escape::kHtml);
  if (!subscriber_id.empty() && !mail.html_body.empty()) {
    mail.html_body = AddTracking(mail.html_body, mail_id, values.at("unsubscribe_url"));
  }
  mail.date = clock_.Now();
  mail.message_id =
      absl::StrCat(mail_id, "@", options_.from.email.substr(options_.from.email.find('@') + 1));
  if (!token.empty()) {
    mail.list_unsubscribe_url =
        Link(options_.public_api_url, absl::StrCat("/v1/newsletter/unsubscribe/", token));
  }
  if (!campaign.id().empty()) mail.extra_headers.emplace_back("X-Campaign-Id", campaign.id());
  absl::StatusOr<std::string> message = BuildMessage(mail);
  if (!message.ok()) {
    mail.to.name.clear();  // a name that cannot be a header: the mail goes without it
    message = BuildMessage(mail);
  }
  if (!message.ok()) return message.status();
  out.message = *std::move(message);
  return out;
}

// ---------------------------------------------------------------------------
// Subscriber state changes

void NewsletterApp::Save(pqxx::transaction_base& tx, v1::Subscriber& s, absl::Time now) {
  s.set_version(s.version() + 1);
  *s.mutable_update_time() = ToTimestamp(now);
  NewsletterStore::UpdateSubscriber(tx, s);
}

void NewsletterApp::MarkSubscribed(pqxx::transaction_base& tx, v1::Subscriber& s,
                                   const std::string& action, const Caller& caller,
                                   absl::Time now) {
  s.set_status(v1::SUBSCRIBER_STATUS_SUBSCRIBED);
  *s.mutable_confirm_time() = ToTimestamp(now);
  s.clear_unsubscribe_time();
  s.clear_unsubscribe_reason();
  s.set_soft_bounces(0);
  Save(tx, s, now);
  NewsletterStore::SetConfirmToken(tx, s.id(), "", std::nullopt);
  NewsletterStore::AddConsentRecord(tx, s.id(), action, s.source(), caller.ip, caller.actor, now);
  // Subscribing again lifts an earlier unsubscribe (never a bounce).
  NewsletterStore::RemoveSuppression(tx, auth::Sha256Hex(s.email()),
                                     v1::SUPPRESSION_REASON_UNSUBSCRIBE);
  v1::Subscribed event;
  *event.mutable_subscriber() = s;
  events::AppendToOutbox(tx, newsletter::v1::kSubscribersTopic,
                         events::MakeEnvelope(event, s.id(), s.version(), kSource, now));
  SubscriberChanges().Add({{"status", "subscribed"}}).Increment();
}

void NewsletterApp::MarkLeft(pqxx::transaction_base& tx, v1::Subscriber& s,
                             v1::SubscriberStatus status, const std::string& reason,
                             const Caller& caller, absl::Time now) {
  const std::string hash = auth::Sha256Hex(s.email());
  s.set_status(status);
  *s.mutable_unsubscribe_time() = ToTimestamp(now);
  s.set_unsubscribe_reason(reason);
  Save(tx, s, now);
  NewsletterStore::SetConfirmToken(tx, s.id(), "", std::nullopt);
  NewsletterStore::AddConsentRecord(tx, s.id(), StatusName(status), reason, caller.ip, caller.actor,
                                    now);
  if (status == v1::SUBSCRIBER_STATUS_UNSUBSCRIBED) {
    v1::Suppression entry;
    entry.set_email(s.email());
    entry.set_email_sha256(hash);
    entry.set_reason(v1::SUPPRESSION_REASON_UNSUBSCRIBE);
    entry.set_detail(reason);
    *entry.mutable_create_time() = ToTimestamp(now);
    NewsletterStore::AddSuppression(tx, entry);
  }
  // Effective at once: marketing mail already queued for the address stays
  // unsent.
  NewsletterStore::SuppressQueued(tx, hash, /*marketing_only=*/true,
                                  absl::StrCat("the subscriber left (", reason, ")"));
  v1::Unsubscribed event;
  *event.mutable_subscriber() = s;
  event.set_reason(reason);
  events::AppendToOutbox(tx, newsletter::v1::kSubscribersTopic,
                         events::MakeEnvelope(event, s.id(), s.version(), kSource, now));
  SubscriberChanges().Add({{"status", StatusName(status)}}).Increment();
}

void NewsletterApp::SendConfirmation(pqxx::transaction_base& tx, const v1::Subscriber& s,
                                     absl::Time now) {
  // A public form must not become a way to flood someone's inbox.
  std::optional<absl::Time> expiry = NewsletterStore::ConfirmTokenExpiry(tx, s.id());
  if (expiry.has_value() &&
      *expiry - options_.confirm_ttl + options_.confirm_resend_interval > now) {
    return;
  }
  const std::string token = auth::NewToken();
  NewsletterStore::SetConfirmToken(tx, s.id(), auth::Sha256Hex(token), now + options_.confirm_ttl);
  QueueNotice(tx, v1::NOTICE_TYPE_SUBSCRIPTION_CONFIRMATION,
              {s.email(), s.first_name(), s.last_name()},
              {{"confirm_url",
                Link(options_.store_url, absl::StrCat("/newsletter/confirm?token=", token))}},
              absl::StrCat("confirm:", s.id(), ":", s.version()),
              absl::StrCat("subscriber:", s.id()), s.id(), now);
}

}  // namespace store::newsletter
