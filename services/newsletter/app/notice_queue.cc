// NewsletterApp: transactional notices (NEW-07): templates and the queue.
#include <prometheus/counter.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "libs/auth/digest.h"
#include "libs/core/ids.h"
#include "libs/core/status.h"
#include "services/newsletter/app/newsletter_app.h"
#include "services/newsletter/app/newsletter_app_internal.h"
#include "services/newsletter/domain/notices.h"
#include "services/newsletter/domain/template.h"
#include "services/newsletter/store/newsletter_store.h"

namespace store::newsletter {
namespace {

using namespace internal;  // NOLINT: this service's own helpers

}  // namespace

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

}  // namespace store::newsletter
