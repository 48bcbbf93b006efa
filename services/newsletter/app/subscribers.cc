// NewsletterApp: the subscriber RPCs (double opt-in, staff, unsubscribe)
// and the privacy export.
#include <prometheus/counter.h>

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/auth/digest.h"
#include "libs/auth/link_token.h"
#include "libs/core/contact.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "libs/core/paging.h"
#include "libs/core/status.h"
#include "libs/pg/values.h"
#include "services/newsletter/app/newsletter_app.h"
#include "services/newsletter/app/newsletter_app_internal.h"
#include "services/newsletter/store/campaign_store.h"
#include "services/newsletter/store/newsletter_store.h"

namespace store::newsletter {
namespace {

using namespace internal;  // NOLINT: this service's own helpers

}  // namespace

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
  out.set_url(
      Link(options_.public_api_url, absl::StrCat("/v1/newsletter/unsubscribe/", out.token())));
  return out;
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

}  // namespace store::newsletter
