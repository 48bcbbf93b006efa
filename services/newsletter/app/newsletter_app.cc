#include "services/newsletter/app/newsletter_app.h"

#include <prometheus/counter.h>

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/time_util.h"
#include "libs/auth/digest.h"
#include "libs/core/contact.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "libs/core/money.h"
#include "libs/core/paging.h"
#include "libs/core/status.h"
#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "libs/metrics/metrics.h"
#include "libs/pg/values.h"
#include "services/newsletter/domain/notices.h"
#include "services/newsletter/domain/template.h"
#include "libs/auth/link_token.h"
#include "services/newsletter/store/campaign_store.h"
#include "services/newsletter/store/newsletter_store.h"
#include "store/customer/v1/events.pb.h"
#include "store/newsletter/v1/events.pb.h"
#include "store/order/v1/cart.pb.h"
#include "store/order/v1/events.pb.h"
#include "store/topics.h"

namespace store::newsletter {
namespace {

namespace cv1 = store::customer::v1;
namespace ov1 = store::order::v1;
using pg::ToTimestamp;
using auth::SignLinkToken;
using auth::VerifyLinkToken;
using pg::TruncateToMicros;

prometheus::Family<prometheus::Counter>& MailsQueued() {
  static auto& f = prometheus::BuildCounter()
                       .Name("store_mails_queued_total")
                       .Help(
                           "Mails put in the send queue, by kind and notice "
                           "(suppressed ones count under result=suppressed).")
                       .Register(metrics::Registry());
  return f;
}

prometheus::Family<prometheus::Counter>& SubscriberChanges() {
  static auto& f = prometheus::BuildCounter()
                       .Name("store_newsletter_subscriber_changes_total")
                       .Help("Subscriber status changes, by new status.")
                       .Register(metrics::Registry());
  return f;
}

absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(ts));
}

std::string StatusName(v1::SubscriberStatus s) {
  std::string name = v1::SubscriberStatus_Name(s);
  if (absl::StartsWith(name, "SUBSCRIBER_STATUS_")) name = name.substr(18);
  return absl::AsciiStrToLower(name);
}

// "Ann Lee" -> {"Ann", "Lee"}; one word is a first name.
std::pair<std::string, std::string> SplitName(absl::string_view full) {
  full = absl::StripAsciiWhitespace(full);
  const size_t space = full.find(' ');
  if (space == absl::string_view::npos) return {std::string(full), ""};
  return {std::string(full.substr(0, space)),
          std::string(absl::StripAsciiWhitespace(full.substr(space + 1)))};
}

// Names are printed in the To header and in mails: one line, bounded.
absl::Status CheckName(absl::string_view field, absl::string_view name) {
  if (name.empty()) return absl::OkStatus();
  return ValidateText(field, name, 0, 100);
}

absl::Status CheckSource(absl::string_view field, absl::string_view source) {
  if (source.size() > 40) return InvalidField(field, "must be at most 40 characters");
  for (char c : source) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_') {
      return InvalidField(field, "may hold only letters, digits, '-' and '_' (e.g. \"form\")");
    }
  }
  return absl::OkStatus();
}

// Whether an address on the list for `reasons` may get mail of `kind`:
// marketing goes to nobody on the list; transactional mail still goes to
// addresses that only unsubscribed.
bool Blocked(const std::vector<v1::SuppressionReason>& reasons, v1::MailKind kind) {
  for (v1::SuppressionReason r : reasons) {
    if (kind == v1::MAIL_KIND_MARKETING || r != v1::SUPPRESSION_REASON_UNSUBSCRIBE) return true;
  }
  return false;
}

bool HardSuppressed(const std::vector<v1::SuppressionReason>& reasons) {
  return Blocked(reasons, v1::MAIL_KIND_TRANSACTIONAL);
}

std::string Money(const common::v1::Money& m) {
  return FormatMoney(m.amount_minor(), m.currency_code());
}

// Query-string safe (tokens are base64url already; ids are UUIDs).
std::string Link(absl::string_view base, absl::string_view path) {
  return absl::StrCat(absl::StripSuffix(base, "/"), path);
}

std::string HumanTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", t, absl::UTCTimeZone());
}

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
  absl::StatusOr<std::string> payload = VerifyLinkToken(options_.token_secret, kClickPurpose, token);
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

// ---------------------------------------------------------------------------
// Subscriber RPCs

absl::StatusOr<v1::SubscribeResponse> NewsletterApp::Subscribe(const v1::SubscribeRequest& req,
                                                               const Caller& caller) {
  STORE_ASSIGN_OR_RETURN(std::string email, NormalizeEmail("email", req.email()));
  STORE_RETURN_IF_ERROR(CheckName("first_name", req.first_name()));
  STORE_RETURN_IF_ERROR(CheckName("last_name", req.last_name()));
  const std::string source = req.source().empty() ? "form" : req.source();
  STORE_RETURN_IF_ERROR(CheckSource("source", source));
  const absl::Time now = TruncateToMicros(clock_.Now());
  v1::SubscribeResponse out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    out.set_status(v1::SUBSCRIBER_STATUS_PENDING);
    // A bounced, complained-about or erased address gets nothing; the
    // answer does not tell (the form is public).
    if (HardSuppressed(NewsletterStore::SuppressionsOf(tx, auth::Sha256Hex(email)))) {
      log::Info("sign-up of a suppressed address ignored", {});
      return absl::OkStatus();
    }
    std::optional<SubscriberRow> row = NewsletterStore::SubscriberByEmail(tx, email, true);
    if (!row.has_value()) {
      SubscriberRow fresh;
      v1::Subscriber& s = fresh.subscriber;
      s.set_id(NewUuid());
      s.set_email(email);
      s.set_first_name(req.first_name());
      s.set_last_name(req.last_name());
      s.set_status(v1::SUBSCRIBER_STATUS_PENDING);
      s.set_source(source);
      s.set_consent_ip(caller.ip);
      *s.mutable_consent_time() = ToTimestamp(now);
      s.set_version(1);
      *s.mutable_create_time() = ToTimestamp(now);
      *s.mutable_update_time() = ToTimestamp(now);
      NewsletterStore::InsertSubscriber(tx, fresh);
      NewsletterStore::AddConsentRecord(tx, s.id(), "requested", source, caller.ip, caller.actor,
                                        now);
      SubscriberChanges().Add({{"status", "pending"}}).Increment();
      SendConfirmation(tx, s, now);
      return absl::OkStatus();
    }
    v1::Subscriber& s = row->subscriber;
    if (s.status() == v1::SUBSCRIBER_STATUS_SUBSCRIBED) {
      out.set_status(v1::SUBSCRIBER_STATUS_SUBSCRIBED);
      return absl::OkStatus();
    }
    if (!req.first_name().empty()) s.set_first_name(req.first_name());
    if (!req.last_name().empty()) s.set_last_name(req.last_name());
    if (s.status() != v1::SUBSCRIBER_STATUS_PENDING) {
      s.set_status(v1::SUBSCRIBER_STATUS_PENDING);
      s.set_source(source);
      s.set_consent_ip(caller.ip);
      *s.mutable_consent_time() = ToTimestamp(now);
      Save(tx, s, now);
      NewsletterStore::AddConsentRecord(tx, s.id(), "requested", source, caller.ip, caller.actor,
                                        now);
      SubscriberChanges().Add({{"status", "pending"}}).Increment();
    } else {
      Save(tx, s, now);
    }
    SendConfirmation(tx, s, now);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::Subscriber> NewsletterApp::ConfirmSubscription(const std::string& token,
                                                                  const Caller& caller) {
  if (token.empty() || token.size() > 128) {
    return InvalidField("token", "is required (the token of the confirmation link)");
  }
  const absl::Time now = TruncateToMicros(clock_.Now());
  v1::Subscriber out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<SubscriberRow> row =
        NewsletterStore::SubscriberByConfirmToken(tx, auth::Sha256Hex(token), now);
    if (!row.has_value()) {
      return MakeError(absl::StatusCode::kInvalidArgument, "TOKEN_INVALID", "token",
                       "this confirmation link is unknown, used or expired; sign up again for a "
                       "new one");
    }
    v1::Subscriber& s = row->subscriber;
    if (HardSuppressed(NewsletterStore::SuppressionsOf(tx, row->email_sha256))) {
      return Precondition("ADDRESS_SUPPRESSED",
                          "this address cannot receive the newsletter (it bounced, complained or "
                          "was erased)");
    }
    if (s.status() != v1::SUBSCRIBER_STATUS_SUBSCRIBED) {
      Caller who = caller;
      MarkSubscribed(tx, s, "confirmed", who, now);
    }
    out = s;
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::UnsubscribeResponse> NewsletterApp::Unsubscribe(const std::string& token,
                                                                   const Caller& caller) {
  absl::StatusOr<std::string> payload =
      VerifyLinkToken(options_.token_secret, kUnsubscribePurpose, token);
  if (!payload.ok()) {
    return MakeError(absl::StatusCode::kInvalidArgument, "BAD_TOKEN", "token",
                     "this unsubscribe link is not valid (it was changed or cut short)");
  }
  const size_t dot = payload->find('.');
  const std::string subscriber_id(payload->substr(0, dot));
  const std::string campaign_id = dot == std::string::npos ? "" : payload->substr(dot + 1);
  if (!IsUuid(subscriber_id)) {
    return MakeError(absl::StatusCode::kInvalidArgument, "BAD_TOKEN", "token",
                     "this unsubscribe link is not valid");
  }
  const absl::Time now = TruncateToMicros(clock_.Now());
  v1::UnsubscribeResponse out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<SubscriberRow> row = NewsletterStore::SubscriberById(tx, subscriber_id, true);
    // An erased subscriber is gone: the link still "works" and tells nothing.
    if (!row.has_value()) return absl::OkStatus();
    v1::Subscriber& s = row->subscriber;
    out.set_email(s.email());
    if (s.status() == v1::SUBSCRIBER_STATUS_SUBSCRIBED ||
        s.status() == v1::SUBSCRIBER_STATUS_PENDING) {
      MarkLeft(tx, s, v1::SUBSCRIBER_STATUS_UNSUBSCRIBED, "link", caller, now);
      if (IsUuid(campaign_id)) CampaignStore::AddUnsubscribe(tx, campaign_id, s.id(), now);
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::Subscriber> NewsletterApp::CreateSubscriber(
    const v1::CreateSubscriberRequest& req, const Caller& caller) {
  if (!req.request_id().empty() && req.request_id().size() > 128) {
    return InvalidField("request_id", "must be at most 128 characters");
  }
  STORE_ASSIGN_OR_RETURN(std::string email, NormalizeEmail("email", req.email()));
  STORE_RETURN_IF_ERROR(CheckName("first_name", req.first_name()));
  STORE_RETURN_IF_ERROR(CheckName("last_name", req.last_name()));
  if (req.source().empty()) {
    return InvalidField("source", "is required: where the consent was given (e.g. \"import\")");
  }
  STORE_RETURN_IF_ERROR(CheckSource("source", req.source()));
  if (!req.consent_ip().empty())
    STORE_RETURN_IF_ERROR(ValidateText("consent_ip", req.consent_ip(), 0, 64));
  const std::string request_hash = Fingerprint(req);
  const absl::Time now = TruncateToMicros(clock_.Now());
  // The consent was given elsewhere: its record names that place's address,
  // not the staff member's.
  const Caller staff{caller.actor, req.consent_ip()};
  v1::Subscriber out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    if (!req.request_id().empty()) {
      if (auto seen = NewsletterStore::SubscriberByRequestId(tx, req.request_id())) {
        if (seen->request_hash != request_hash) {
          return MakeError(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED", "request_id",
                           "was used for another request");
        }
        out = seen->subscriber;
        return absl::OkStatus();
      }
    }
    const std::string hash = auth::Sha256Hex(email);
    if (HardSuppressed(NewsletterStore::SuppressionsOf(tx, hash))) {
      return Precondition("ADDRESS_SUPPRESSED",
                          "the address is on the suppression list (bounce, complaint, erasure "
                          "or manual); remove it there first if that was a mistake");
    }
    std::optional<SubscriberRow> row = NewsletterStore::SubscriberByEmail(tx, email, true);
    if (row.has_value()) {
      v1::Subscriber& s = row->subscriber;
      if (s.status() == v1::SUBSCRIBER_STATUS_SUBSCRIBED) {
        return MakeError(absl::StatusCode::kAlreadyExists, "SUBSCRIBER_EXISTS", "email",
                         absl::StrCat("is subscribed already (subscriber ", s.id(), ")"));
      }
      if (s.status() != v1::SUBSCRIBER_STATUS_PENDING) {
        return Precondition("SUBSCRIBER_LEFT",
                            absl::StrCat("the address is ", StatusName(s.status()),
                                         "; only its owner can sign up again (Subscribe)"));
      }
      s.set_source(req.source());
      s.set_consent_ip(req.consent_ip());
      MarkSubscribed(tx, s, "subscribed", staff, now);
      if (!req.request_id().empty()) {
        NewsletterStore::SetRequestId(tx, s.id(), req.request_id(), request_hash);
      }
      out = s;
      return absl::OkStatus();
    }
    SubscriberRow fresh;
    v1::Subscriber& s = fresh.subscriber;
    s.set_id(NewUuid());
    s.set_email(email);
    s.set_first_name(req.first_name());
    s.set_last_name(req.last_name());
    s.set_status(v1::SUBSCRIBER_STATUS_PENDING);
    s.set_source(req.source());
    s.set_consent_ip(req.consent_ip());
    *s.mutable_consent_time() = ToTimestamp(now);
    s.set_version(0);  // MarkSubscribed makes it 1
    *s.mutable_create_time() = ToTimestamp(now);
    *s.mutable_update_time() = ToTimestamp(now);
    fresh.request_id = req.request_id();
    fresh.request_hash = request_hash;
    NewsletterStore::InsertSubscriber(tx, fresh);
    MarkSubscribed(tx, s, "subscribed", staff, now);
    out = s;
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::Subscriber> NewsletterApp::GetSubscriber(const std::string& id) {
  if (!IsUuid(id)) return InvalidField("id", "must be a UUID");
  std::optional<SubscriberRow> row;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    row = NewsletterStore::SubscriberById(tx, id, false);
    return absl::OkStatus();
  }));
  if (!row.has_value()) return NotFound("subscriber", id);
  return row->subscriber;
}

absl::StatusOr<v1::ListSubscribersResponse> NewsletterApp::ListSubscribers(
    const v1::ListSubscribersRequest& req) {
  STORE_ASSIGN_OR_RETURN(int size, PageSize(req.page_size()));
  for (int s : req.statuses()) {
    if (s == 0 || !v1::SubscriberStatus_IsValid(s)) {
      return InvalidField("statuses", "must be SUBSCRIBER_STATUS_* values other than UNSPECIFIED");
    }
  }
  if (req.text().size() > 200) return InvalidField("text", "must be at most 200 characters");
  const std::string binding = ListBinding(req);
  std::optional<KeysetCursor> after;
  if (!req.page_token().empty()) {
    STORE_ASSIGN_OR_RETURN(KeysetCursor c, DecodePageToken(req.page_token(), binding));
    after = c;
  }
  v1::ListSubscribersResponse out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction(
      pg::Isolation::kRepeatableRead, [&](pqxx::transaction_base& tx) -> absl::Status {
        std::vector<v1::Subscriber> rows = NewsletterStore::ListSubscribers(tx, req, after, size);
        if (static_cast<int>(rows.size()) > size) {
          rows.resize(size);
          const v1::Subscriber& last = rows.back();
          out.set_next_page_token(TokenAfterRow(last.create_time(), last.id(), binding));
        }
        for (auto& s : rows) *out.add_subscribers() = std::move(s);
        out.set_total_size(NewsletterStore::CountSubscribers(tx, req));
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<v1::Subscriber> NewsletterApp::UnsubscribeSubscriber(const std::string& id,
                                                                    const std::string& reason,
                                                                    const Caller& caller) {
  if (!IsUuid(id)) return InvalidField("id", "must be a UUID");
  STORE_RETURN_IF_ERROR(ValidateText("reason", reason, 0, 200));
  const absl::Time now = TruncateToMicros(clock_.Now());
  v1::Subscriber out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<SubscriberRow> row = NewsletterStore::SubscriberById(tx, id, true);
    if (!row.has_value()) return NotFound("subscriber", id);
    v1::Subscriber& s = row->subscriber;
    if (s.status() == v1::SUBSCRIBER_STATUS_SUBSCRIBED ||
        s.status() == v1::SUBSCRIBER_STATUS_PENDING) {
      MarkLeft(tx, s, v1::SUBSCRIBER_STATUS_UNSUBSCRIBED, reason.empty() ? "staff" : reason, caller,
               now);
    }
    out = s;
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::UnsubscribeLink> NewsletterApp::GetUnsubscribeLink(const std::string& id) {
  if (!IsUuid(id)) return InvalidField("id", "must be a UUID");
  const std::string subscriber_id = absl::AsciiStrToLower(id);
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    if (!NewsletterStore::SubscriberById(tx, subscriber_id, false).has_value()) {
      return NotFound("subscriber", id);
    }
    return absl::OkStatus();
  }));
  v1::UnsubscribeLink out;
  out.set_token(UnsubscribeToken(subscriber_id, ""));
  out.set_url(Link(options_.public_api_url, absl::StrCat("/v1/newsletter/unsubscribe/", out.token())));
  return out;
}

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

// ---------------------------------------------------------------------------
// Notices

absl::StatusOr<v1::ListNoticeTemplatesResponse> NewsletterApp::ListNoticeTemplates() {
  v1::ListNoticeTemplatesResponse out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    for (v1::NoticeType type : AllNoticeTypes()) {
      v1::NoticeTemplate t = NewsletterStore::LoadNotice(tx, type).value_or(DefaultNotice(type));
      for (const std::string& tag : TagsSorted(NoticeTags(type))) t.add_allowed_tags(tag);
      *out.add_templates() = std::move(t);
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::NoticeTemplate> NewsletterApp::GetNoticeTemplate(v1::NoticeType type) {
  if (type == v1::NOTICE_TYPE_UNSPECIFIED || !v1::NoticeType_IsValid(type)) {
    return InvalidField("type", "must be one of the NOTICE_TYPE_* values");
  }
  v1::NoticeTemplate out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    out = NewsletterStore::LoadNotice(tx, type).value_or(DefaultNotice(type));
    return absl::OkStatus();
  }));
  for (const std::string& tag : TagsSorted(NoticeTags(type))) out.add_allowed_tags(tag);
  return out;
}

absl::StatusOr<v1::NoticeTemplate> NewsletterApp::UpdateNoticeTemplate(
    const v1::UpdateNoticeTemplateRequest& req) {
  v1::NoticeTemplate t = req.template_();
  if (t.type() == v1::NOTICE_TYPE_UNSPECIFIED || !v1::NoticeType_IsValid(t.type())) {
    return InvalidField("template.type", "must be one of the NOTICE_TYPE_* values");
  }
  const v1::NoticeTemplate builtin = DefaultNotice(t.type());
  if (!req.reset()) {
    t.clear_allowed_tags();
    t.clear_update_time();
    STORE_RETURN_IF_ERROR(ValidateNotice(t));
  }
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    if (req.reset()) {
      // The built-in wording; switched on or off as it was.
      const bool enabled = NewsletterStore::LoadNotice(tx, t.type()).value_or(builtin).enabled();
      t = builtin;
      t.set_enabled(enabled);
    }
    t.set_customized(t.subject() != builtin.subject() || t.html_body() != builtin.html_body() ||
                     t.text_body() != builtin.text_body());
    NewsletterStore::SaveNotice(tx, t);
    return absl::OkStatus();
  }));
  return GetNoticeTemplate(t.type());
}

void NewsletterApp::QueueNotice(pqxx::transaction_base& tx, v1::NoticeType type,
                                const Recipient& to, std::map<std::string, std::string> values,
                                const std::string& dedupe_key, const std::string& origin,
                                const std::string& subscriber_id, absl::Time now) {
  const std::string name = NoticeName(type);
  if (to.email.empty()) return;  // an anonymised order
  const v1::NoticeTemplate t = NewsletterStore::LoadNotice(tx, type).value_or(DefaultNotice(type));
  if (!t.enabled()) {
    MailsQueued()
        .Add({{"kind", "transactional"}, {"notice", name}, {"result", "disabled"}})
        .Increment();
    return;
  }
  // "Hello {firstname}," reads well when the name is unknown too.
  values["firstname"] = to.first_name.empty() ? "there" : to.first_name;
  values["lastname"] = to.last_name;
  values["email"] = to.email;
  values["store_name"] = options_.store_name;
  values["store_url"] = options_.store_url;
  const absl::flat_hash_map<std::string, std::string> merge(values.begin(), values.end());
  // Subjects are one line whatever the values hold.
  std::string subject = RenderTemplate(t.subject(), merge, Escape::kNone);
  absl::StrReplaceAll({{"\r", " "}, {"\n", " "}}, &subject);

  NewMail mail;
  mail.id = NewUuid();
  mail.dedupe_key = dedupe_key;
  mail.kind = v1::MAIL_KIND_TRANSACTIONAL;
  mail.notice_type = type;
  mail.recipient = to.email;
  mail.subscriber_id = subscriber_id;
  mail.subject = subject;
  mail.origin = origin;
  mail.now = now;

  OutgoingMail out;
  out.from = options_.from;
  out.to = {to.email, absl::StrCat(to.first_name, to.last_name.empty() ? "" : " ", to.last_name)};
  out.subject = subject;
  out.text_body = RenderTemplate(t.text_body(), merge, Escape::kNone);
  out.html_body = RenderTemplate(t.html_body(), merge, Escape::kHtml);
  out.date = now;
  out.message_id =
      absl::StrCat(mail.id, "@", options_.from.email.substr(options_.from.email.find('@') + 1));
  absl::StatusOr<std::string> message = BuildMessage(out);
  if (!message.ok()) {
    // A name that cannot be a header: the mail goes without it.
    out.to.name.clear();
    message = BuildMessage(out);
  }
  if (!message.ok()) {
    mail.status = v1::MAIL_STATUS_FAILED;
    mail.last_error = std::string(message.status().message());
  } else {
    mail.message = *std::move(message);
  }
  const std::vector<v1::SuppressionReason> reasons =
      NewsletterStore::SuppressionsOf(tx, auth::Sha256Hex(to.email));
  if (std::find(reasons.begin(), reasons.end(), v1::SUPPRESSION_REASON_ERASURE) != reasons.end()) {
    // An erased address leaves no trace here, not even in the mail log.
    MailsQueued()
        .Add({{"kind", "transactional"}, {"notice", name}, {"result", "suppressed"}})
        .Increment();
    return;
  }
  if (mail.status == v1::MAIL_STATUS_QUEUED && Blocked(reasons, mail.kind)) {
    mail.status = v1::MAIL_STATUS_SUPPRESSED;
    mail.last_error = "the address is on the suppression list";
  }
  if (!NewsletterStore::EnqueueMail(tx, mail)) return;  // this event's mail exists already
  const char* result = mail.status == v1::MAIL_STATUS_QUEUED       ? "queued"
                       : mail.status == v1::MAIL_STATUS_SUPPRESSED ? "suppressed"
                                                                   : "failed";
  MailsQueued().Add({{"kind", "transactional"}, {"notice", name}, {"result", result}}).Increment();
}

// ---------------------------------------------------------------------------
// Privacy export

absl::StatusOr<v1::SubscriberData> NewsletterApp::ExportSubscriberData(
    const v1::ExportSubscriberDataRequest& req) {
  std::string email;
  if (!req.email().empty()) {
    STORE_ASSIGN_OR_RETURN(email, NormalizeEmail("email", req.email()));
  }
  if (!req.customer_id().empty() && !IsUuid(req.customer_id())) {
    return InvalidField("customer_id", "must be a UUID");
  }
  if (email.empty() && req.customer_id().empty()) {
    return InvalidField("email", "give the email, the customer id, or both");
  }
  v1::SubscriberData out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction(
      pg::Isolation::kRepeatableRead, [&](pqxx::transaction_base& tx) -> absl::Status {
        std::set<std::string> hashes;
        if (!email.empty()) hashes.insert(auth::Sha256Hex(email));
        for (const SubscriberRow& row :
             NewsletterStore::SubscribersOfCustomer(tx, absl::AsciiStrToLower(req.customer_id()),
                                                    email.empty() ? "" : auth::Sha256Hex(email))) {
          hashes.insert(row.email_sha256);
          for (auto& e : NewsletterStore::ConsentRecordsOf(tx, row.subscriber.id())) {
            *out.add_consent_records() = std::move(e);
          }
          *out.add_subscribers() = row.subscriber;
        }
        for (const std::string& hash : hashes) {
          for (auto& s : NewsletterStore::SuppressionEntriesOf(tx, hash)) {
            *out.add_suppressions() = std::move(s);
          }
        }
        std::set<std::string> emails;
        if (!email.empty()) emails.insert(email);
        for (const auto& s : out.subscribers()) emails.insert(s.email());
        for (const std::string& address : emails) {
          v1::ListMailsRequest filter;
          filter.set_recipient(address);
          std::vector<v1::Mail> mails = NewsletterStore::ListMails(tx, filter, std::nullopt, 1000);
          if (mails.size() > 1000) mails.resize(1000);
          for (auto& m : mails) *out.add_mails() = std::move(m);
        }
        return absl::OkStatus();
      }));
  return out;
}

// ---------------------------------------------------------------------------
// Mail log

absl::StatusOr<v1::ListMailsResponse> NewsletterApp::ListMails(const v1::ListMailsRequest& req) {
  STORE_ASSIGN_OR_RETURN(int size, PageSize(req.page_size()));
  v1::ListMailsRequest filter = req;
  if (!req.recipient().empty()) {
    STORE_ASSIGN_OR_RETURN(std::string email, NormalizeEmail("recipient", req.recipient()));
    filter.set_recipient(email);
  }
  for (int s : req.statuses()) {
    if (s == 0 || !v1::MailStatus_IsValid(s)) {
      return InvalidField("statuses", "must be MAIL_STATUS_* values other than UNSPECIFIED");
    }
  }
  if (!v1::NoticeType_IsValid(req.notice_type())) {
    return InvalidField("notice_type", "must be one of the NOTICE_TYPE_* values");
  }
  const std::string binding = ListBinding(filter);
  std::optional<KeysetCursor> after;
  if (!req.page_token().empty()) {
    STORE_ASSIGN_OR_RETURN(KeysetCursor c, DecodePageToken(req.page_token(), binding));
    after = c;
  }
  v1::ListMailsResponse out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::vector<v1::Mail> rows = NewsletterStore::ListMails(tx, filter, after, size);
    if (static_cast<int>(rows.size()) > size) {
      rows.resize(size);
      const v1::Mail& last = rows.back();
      out.set_next_page_token(TokenAfterRow(last.create_time(), last.id(), binding));
    }
    for (auto& m : rows) *out.add_mails() = std::move(m);
    return absl::OkStatus();
  }));
  return out;
}

// ---------------------------------------------------------------------------
// Events

absl::Status NewsletterApp::HandleEvent(pqxx::work& tx, const common::v1::EventEnvelope& env) {
  const absl::Time now = TruncateToMicros(clock_.Now());
  if (absl::StartsWith(env.type(), "store.order.v1.")) return HandleOrderEvent(tx, env, now);
  if (absl::StartsWith(env.type(), "store.customer.v1.")) return HandleCustomerEvent(tx, env, now);
  return absl::OkStatus();  // not ours to act on
}

absl::Status NewsletterApp::HandleOrderEvent(pqxx::work& tx, const common::v1::EventEnvelope& env,
                                             absl::Time now) {
  const std::string& type = env.type();
  const std::string origin = absl::StrCat("event:", env.event_id());
  auto notice = [&](v1::NoticeType notice_type, const ov1::Order& order,
                    std::map<std::string, std::string> values) {
    auto [first, last] = SplitName(order.customer().name());
    values["order_number"] = absl::StrCat(order.number());
    values["order_total"] = Money(order.totals().total());
    values["order_url"] = Link(options_.store_url, absl::StrCat("/account/orders/", order.id()));
    QueueNotice(tx, notice_type, {order.customer().email(), first, last}, std::move(values),
                absl::StrCat("notice:", NoticeName(notice_type), ":", env.event_id()), origin, "",
                now);
  };
  if (type == "store.order.v1.CartAbandoned") {
    ov1::CartAbandoned e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    const ov1::Cart& cart = e.cart();
    if (!e.send_reminder() || cart.email().empty()) return absl::OkStatus();
    std::optional<SubscriberRow> subscriber =
        NewsletterStore::SubscriberByEmail(tx, absl::AsciiStrToLower(cart.email()), false);
    if (e.audience() == ov1::REMINDER_AUDIENCE_MARKETING_CONSENT &&
        (!subscriber.has_value() ||
         subscriber->subscriber.status() != v1::SUBSCRIBER_STATUS_SUBSCRIBED)) {
      MailsQueued()
          .Add({{"kind", "transactional"}, {"notice", "abandoned_cart"}, {"result", "no_consent"}})
          .Increment();
      return absl::OkStatus();
    }
    std::string items;
    for (const ov1::CartLine& line : cart.lines()) {
      absl::StrAppend(&items, line.quantity(), " x ", line.name(), "  ", Money(line.total()),
                      "\n");
    }
    std::string first, last;
    if (subscriber.has_value()) {
      first = subscriber->subscriber.first_name();
      last = subscriber->subscriber.last_name();
    }
    // Keyed by the cart: one reminder per cart whatever is redelivered.
    QueueNotice(tx, v1::NOTICE_TYPE_ABANDONED_CART, {cart.email(), first, last},
                {{"cart_url", e.recovery_url().empty() ? options_.store_url : e.recovery_url()},
                 {"cart_total", Money(cart.totals().total())},
                 {"cart_items", items}},
                absl::StrCat("notice:abandoned_cart:", cart.id()), origin,
                subscriber.has_value() ? subscriber->subscriber.id() : "", now);
  } else if (type == "store.order.v1.OrderPlaced") {
    ov1::OrderPlaced e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    notice(v1::NOTICE_TYPE_ORDER_RECEIVED, e.order(), {});
    if (!e.order().customer().email().empty()) {
      // NEW-06: the latest campaign mail to the buyer within the window.
      CampaignStore::RecordConversion(
          tx, e.order().id(), auth::Sha256Hex(absl::AsciiStrToLower(e.order().customer().email())),
          e.order().totals().total().amount_minor(), e.order().currency_code(), now,
          options_.conversion_window);
    }
  } else if (type == "store.order.v1.OrderPaid") {
    ov1::OrderPaid e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    if (e.fully_paid()) {
      notice(v1::NOTICE_TYPE_PAYMENT_RECEIVED, e.order(),
             {{"amount_paid", Money(e.payment().amount())}});
    }
  } else if (type == "store.order.v1.OrderShipped") {
    ov1::OrderShipped e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    const ov1::Shipment& s = e.shipment().carrier().empty() ? e.order().shipment() : e.shipment();
    notice(v1::NOTICE_TYPE_ORDER_SHIPPED, e.order(),
           {{"carrier", s.carrier()},
            {"tracking_number", s.tracking_number()},
            {"tracking_url", s.tracking_url()}});
  } else if (type == "store.order.v1.OrderStatusChanged") {
    ov1::OrderStatusChanged e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    const ov1::OrderStatus to = e.status_change().to_status();
    if (to == ov1::ORDER_STATUS_COMPLETED) {
      notice(v1::NOTICE_TYPE_ORDER_COMPLETED, e.order(), {});
    } else if (to == ov1::ORDER_STATUS_CANCELLED || to == ov1::ORDER_STATUS_REJECTED) {
      notice(v1::NOTICE_TYPE_ORDER_CANCELLED, e.order(),
             {{"reason", e.status_change().reason().empty() ? "no reason given"
                                                            : e.status_change().reason()}});
    }
  } else if (type == "store.order.v1.OrderRefunded") {
    ov1::OrderRefunded e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    notice(v1::NOTICE_TYPE_ORDER_REFUNDED, e.order(),
           {{"refund_amount", Money(e.refund().amount())},
            {"reason", e.refund().reason().empty() ? "refund" : e.refund().reason()}});
  }
  return absl::OkStatus();
}

absl::Status NewsletterApp::HandleCustomerEvent(pqxx::work& tx,
                                                const common::v1::EventEnvelope& env,
                                                absl::Time now) {
  const std::string& type = env.type();
  const std::string origin = absl::StrCat("event:", env.event_id());
  auto key = [&](v1::NoticeType t) {
    return absl::StrCat("notice:", NoticeName(t), ":", env.event_id());
  };
  const std::string account_url = Link(options_.store_url, "/account");
  if (type == "store.customer.v1.EmailVerificationRequested") {
    cv1::EmailVerificationRequested e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    auto [first, last] = SplitName(e.name());
    QueueNotice(
        tx, v1::NOTICE_TYPE_EMAIL_VERIFICATION, {e.email(), first, last},
        {{"verification_url",
          Link(options_.store_url, absl::StrCat("/account/verify-email?token=", e.token()))},
         {"expire_time", HumanTime(TimeOf(e.expire_time()))}},
        key(v1::NOTICE_TYPE_EMAIL_VERIFICATION), origin, "", now);
  } else if (type == "store.customer.v1.PasswordResetRequested") {
    cv1::PasswordResetRequested e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    auto [first, last] = SplitName(e.name());
    QueueNotice(tx, v1::NOTICE_TYPE_PASSWORD_RESET, {e.email(), first, last},
                {{"reset_url", Link(options_.store_url,
                                    absl::StrCat("/account/reset-password?token=", e.token()))},
                 {"expire_time", HumanTime(TimeOf(e.expire_time()))}},
                key(v1::NOTICE_TYPE_PASSWORD_RESET), origin, "", now);
  } else if (type == "store.customer.v1.CustomerRegistered") {
    cv1::CustomerRegistered e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    if (e.send_welcome() || e.source() == "signup") {
      auto [first, last] = SplitName(e.customer().name());
      QueueNotice(tx, v1::NOTICE_TYPE_WELCOME, {e.customer().email(), first, last},
                  {{"account_url", account_url}}, key(v1::NOTICE_TYPE_WELCOME), origin, "", now);
    }
  } else if (type == "store.customer.v1.WalletChanged") {
    cv1::WalletChanged e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    if (e.notify_customer()) {
      std::string change = Money(e.entry().amount());
      if (e.entry().amount().amount_minor() > 0) change = absl::StrCat("+", change);
      QueueNotice(tx, v1::NOTICE_TYPE_WALLET_CHANGED, {e.email(), "", ""},
                  {{"wallet_change", change},
                   {"wallet_balance", Money(e.entry().balance_after())},
                   {"reason", e.entry().reason().empty() ? "store credit" : e.entry().reason()},
                   {"account_url", account_url}},
                  key(v1::NOTICE_TYPE_WALLET_CHANGED), origin, "", now);
    }
  } else if (type == "store.customer.v1.ConsentChanged") {
    return FollowConsent(tx, env, now);
  } else if (type == "store.customer.v1.CustomerErased") {
    return Erase(tx, env, now);
  }
  return absl::OkStatus();
}

// The customer service's email consent, followed here. Our own changes come
// back as ConsentChanged with actor newsletter-service: ignored, and no
// change means no event on either side, so the two never echo each other.
absl::Status NewsletterApp::FollowConsent(pqxx::work& tx, const common::v1::EventEnvelope& env,
                                          absl::Time now) {
  cv1::ConsentChanged e;
  STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
  const cv1::ConsentRecord& r = e.record();
  if (r.channel() != cv1::CONSENT_CHANNEL_EMAIL || r.actor() == kSource) return absl::OkStatus();
  absl::StatusOr<std::string> email = NormalizeEmail("email", e.email());
  if (!email.ok()) return absl::OkStatus();  // nothing we could mail anyway
  const Caller caller{r.actor().empty() ? "customer-service" : r.actor(), r.ip()};
  std::optional<SubscriberRow> row = NewsletterStore::SubscriberByEmail(tx, *email, true);
  if (!r.granted()) {
    if (row.has_value() && (row->subscriber.status() == v1::SUBSCRIBER_STATUS_SUBSCRIBED ||
                            row->subscriber.status() == v1::SUBSCRIBER_STATUS_PENDING)) {
      if (row->subscriber.customer_id().empty()) row->subscriber.set_customer_id(e.customer_id());
      MarkLeft(tx, row->subscriber, v1::SUBSCRIBER_STATUS_UNSUBSCRIBED, "customer-consent", caller,
               now);
    }
    return absl::OkStatus();
  }
  if (HardSuppressed(NewsletterStore::SuppressionsOf(tx, auth::Sha256Hex(*email)))) {
    return absl::OkStatus();
  }
  if (!row.has_value()) {
    SubscriberRow fresh;
    v1::Subscriber& s = fresh.subscriber;
    s.set_id(NewUuid());
    s.set_email(*email);
    s.set_customer_id(e.customer_id());
    s.set_status(v1::SUBSCRIBER_STATUS_PENDING);
    s.set_source(r.source().empty() ? "customer-consent" : r.source());
    s.set_consent_ip(r.ip());
    *s.mutable_consent_time() = ToTimestamp(now);
    s.set_version(1);
    *s.mutable_create_time() = ToTimestamp(now);
    *s.mutable_update_time() = ToTimestamp(now);
    NewsletterStore::InsertSubscriber(tx, fresh);
    NewsletterStore::AddConsentRecord(tx, s.id(), "requested", s.source(), r.ip(), caller.actor,
                                      now);
    row = fresh;
  }
  v1::Subscriber& s = row->subscriber;
  if (s.status() == v1::SUBSCRIBER_STATUS_SUBSCRIBED) return absl::OkStatus();
  s.set_customer_id(e.customer_id());
  if (r.level() == cv1::CONSENT_LEVEL_CONFIRMED_OPT_IN) {
    MarkSubscribed(tx, s, "subscribed", caller, now);
  } else {
    // A ticked box is single opt-in: the address confirms before it gets
    // marketing mail.
    if (s.status() != v1::SUBSCRIBER_STATUS_PENDING) {
      s.set_status(v1::SUBSCRIBER_STATUS_PENDING);
      s.set_source(r.source().empty() ? "customer-consent" : r.source());
      *s.mutable_consent_time() = ToTimestamp(now);
      NewsletterStore::AddConsentRecord(tx, s.id(), "requested", s.source(), r.ip(), caller.actor,
                                        now);
    }
    Save(tx, s, now);
    SendConfirmation(tx, s, now);
  }
  return absl::OkStatus();
}

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
    events::DeleteEvents(tx, newsletter::v1::kSubscribersTopic, row.subscriber.id(), /*sent_only=*/false);
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
