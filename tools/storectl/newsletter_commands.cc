// `storectl newsletter ...`: subscribers, the suppression list, the
// transactional notices, campaigns and the mail log
// (store.newsletter.v1.NewsletterService).
#include "tools/storectl/newsletter_commands.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/ids.h"
#include "libs/grpcx/server.h"
#include "store/newsletter/v1/newsletter_service.grpc.pb.h"

namespace store::cli {
namespace {

namespace v1 = store::newsletter::v1;
using google::protobuf::EnumDescriptor;
using google::protobuf::Timestamp;
using google::protobuf::util::TimeUtil;

constexpr char kNewsletterHelp[] =
    R"(storectl newsletter: subscribers, suppression list, notices, campaigns, mail log
(store.newsletter.v1.NewsletterService)

usage: storectl [--json] newsletter COMMAND [ARGS] [--addr HOST:PORT]

subscribers:
  subscribers [--status pending,subscribed,unsubscribed,bounced,complained] [--text T]
              [--page-size N] [--page-token T] [--all]
                                  newest first; --text matches email or name
  subscriber get ID
  subscriber add --email E --source S [--first-name F] [--last-name L] [--consent-ip IP]
              [--request-id UUID]
                                  someone who consented elsewhere (S: import, shop-counter,
                                  ...): subscribed at once, no confirmation mail; the
                                  request id (for a retry) defaults to a new random UUID
  subscriber unsubscribe ID [--reason R]            reason defaults to "staff"
  subscribe --email E [--first-name F] [--last-name L] [--source S]
                                  the public double opt-in sign-up (for testing): pending,
                                  and the confirmation link goes out by mail
  confirm TOKEN                   the token of the confirmation link (or the whole link)
  unsubscribe-url ID              the subscriber's signed one-click unsubscribe link, as
                                  the service signs it (GetUnsubscribeLink)

suppression list:
  suppressions [--text T] [--page-size N] [--page-token T] [--all]
  suppress --email E [--reason manual|hard_bounce|complaint] [--detail D]
  unsuppress --email E            takes the address off the list (erasure entries stay)
  bounce --email E --kind hard|soft|complaint [--detail D]
                                  record a bounce or spam complaint reported by a provider

transactional notices:
  notices                         every notice: enabled, customized, subject
  notice get TYPE                 template, bodies and the merge tags it may use
  notice set TYPE [--enabled true|false] [--subject S] [--html-file F] [--text-file F]
                                  changes only what is given (F - reads stdin)
  notice reset TYPE               back to the built-in wording (enabled stays as it is)

campaigns:
  campaigns [--status draft,scheduled,sending,sent,cancelled] [--page-size N]
            [--page-token T] [--all]
                                  newest first: id, status, type, recipients, sent,
                                  unsubscribes, name
  campaign get ID                 every field, the stats, bodies and subject warnings
  campaign create --name N --subject S [--type CT] [--html-file F] [--text-file F]
              [--segment ID] [--request-id UUID]
                                  a new draft (at least one body); no --segment: every
                                  subscriber; the request id (for a retry) defaults to a
                                  new random UUID
  campaign update ID [--name N] [--subject S] [--type CT] [--html-file F] [--text-file F]
              [--segment ID | --all-subscribers]
                                  a draft or scheduled campaign; changes only what is given
  campaign test ID --email E [--email E2 ...]
                                  the campaign as it is, subject marked [TEST], to 1..10
                                  addresses (suppressed ones are skipped)
  campaign send ID                a draft or scheduled campaign goes out now
  campaign schedule ID --at RFC3339
                                  a draft (or scheduled) campaign goes out then
  campaign cancel ID              a draft or scheduled campaign (not one sending or sent)

mail log:
  mails [--recipient E] [--status queued,sending,sent,suppressed,failed,interrupted]
        [--notice TYPE] [--page-size N] [--page-token T] [--all]

TYPE is a notice name: order_received, payment_received, order_shipped, order_completed,
order_cancelled, order_refunded, wallet_changed, email_verification, password_reset,
welcome, subscription_confirmation. CT is a campaign type: promotional, new_product,
win_back, newsletter, announcement. Campaign merge tags: {firstname} {lastname} {email}
{unsubscribe_url} {store_name} {store_url}. The address comes from --addr, else
NEWSLETTER_SERVICE_ADDR (environment or .dev/env), else 127.0.0.1:50054.
--json prints proto3 JSON.
)";

const std::vector<std::string> kKnownFlags = {
    // switches
    "help", "all", "all-subscribers",
    // values
    "addr", "status", "text", "page-size", "page-token", "email", "source", "first-name",
    "last-name", "consent-ip", "request-id", "reason", "detail", "kind", "enabled", "subject",
    "html-file", "text-file", "recipient", "notice", "name", "type", "segment", "at"};

// One command invocation: its options and the stub.
struct Env {
  const Global& g;
  const Args& args;
  v1::NewsletterService::Stub& stub;
  std::unique_ptr<grpc::ClientContext> Ctx() const { return Context(g); }
  std::string P(size_t i) const { return args.Positional(i); }
};

// ---- parsing -----------------------------------------------------------------

// The values of an enum in lower case without `prefix`, UNSPECIFIED left out:
// {"pending", "subscribed", ...}.
std::vector<std::string> EnumNames(const EnumDescriptor* d, absl::string_view prefix) {
  std::vector<std::string> out;
  for (int i = 0; i < d->value_count(); ++i) {
    if (d->value(i)->number() == 0) continue;
    absl::string_view name = d->value(i)->name();
    absl::ConsumePrefix(&name, prefix);
    out.push_back(absl::AsciiStrToLower(name));
  }
  return out;
}

// `text` ("order_shipped", "order-shipped", "NOTICE_TYPE_ORDER_SHIPPED") as
// the number of an enum value among `allowed` (default: every value but
// UNSPECIFIED); otherwise INVALID_ARGUMENT naming `what` (the flag) and the
// allowed values.
absl::StatusOr<int> ParseEnum(absl::string_view what, const EnumDescriptor* d,
                              absl::string_view prefix, absl::string_view text,
                              std::vector<std::string> allowed = {}) {
  if (allowed.empty()) allowed = EnumNames(d, prefix);
  std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  absl::StrReplaceAll({{"-", "_"}}, &name);
  const std::string lower_prefix = absl::AsciiStrToLower(prefix);
  absl::string_view short_name = name;
  absl::ConsumePrefix(&short_name, lower_prefix);
  if (std::find(allowed.begin(), allowed.end(), short_name) != allowed.end()) {
    const std::string full = absl::StrCat(prefix, absl::AsciiStrToUpper(short_name));
    if (const auto* v = d->FindValueByName(full); v != nullptr) return v->number();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": '", text, "' is not one of ", absl::StrJoin(allowed, ", ")));
}

// Every --flag value (repeatable, comma-separated) as enum numbers.
absl::StatusOr<std::vector<int>> ParseEnumList(const Args& args, const std::string& flag,
                                               const EnumDescriptor* d, absl::string_view prefix) {
  std::vector<int> out;
  for (const std::string& list : args.GetAll(flag)) {
    for (absl::string_view name : absl::StrSplit(list, ',', absl::SkipEmpty())) {
      absl::StatusOr<int> v = ParseEnum(absl::StrCat("--", flag), d, prefix, name);
      if (!v.ok()) return v.status();
      out.push_back(*v);
    }
  }
  return out;
}

absl::StatusOr<bool> ParseBool(const Args& args, const std::string& flag) {
  const std::string v = absl::AsciiStrToLower(args.Get(flag));
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, ": '", args.Get(flag), "' is not one of true, false"));
}

// --page-size and --page-token into a list request.
template <typename Request>
absl::Status PageOptions(const Args& args, Request* req) {
  if (args.Has("page-size")) {
    int n = 0;
    if (!absl::SimpleAtoi(args.Get("page-size"), &n) || n < 0) {
      return absl::InvalidArgumentError(
          "--page-size must be a whole number (0: the server's default of 50; at most 1000)");
    }
    req->set_page_size(n);
  }
  req->set_page_token(args.Get("page-token"));
  return absl::OkStatus();
}

absl::Status Missing(absl::string_view usage) {
  return absl::InvalidArgumentError(absl::StrCat("usage: storectl newsletter ", usage));
}

// ---- printing ----------------------------------------------------------------

std::string StatusLabel(v1::SubscriberStatus s) { return Label(s); }

std::string NoticeLabel(v1::NoticeType t) { return Label(t); }

std::string FullName(const v1::Subscriber& s) {
  const std::string name = absl::StrCat(
      s.first_name(), s.first_name().empty() || s.last_name().empty() ? "" : " ", s.last_name());
  return name.empty() ? "-" : name;
}

void PrintSubscriberLine(const v1::Subscriber& s) {
  std::printf("%-36s  %-32s %-12s %-24s %-16s %s\n", s.id().c_str(), s.email().c_str(),
              StatusLabel(s.status()).c_str(), FullName(s).c_str(),
              s.source().empty() ? "-" : s.source().c_str(), Time(s.create_time()).c_str());
}

void PrintSubscriber(const Env& e, const v1::Subscriber& s) {
  if (e.g.json) return PrintJson(s);
  std::printf("subscriber %s  (id %s, version %lld)\n", s.email().c_str(), s.id().c_str(),
              static_cast<long long>(s.version()));
  std::printf("  status %s  name %s  source %s  customer %s\n", StatusLabel(s.status()).c_str(),
              FullName(s).c_str(), s.source().empty() ? "-" : s.source().c_str(),
              s.customer_id().empty() ? "-" : s.customer_id().c_str());
  std::printf("  consent %s%s\n", Time(s.consent_time()).c_str(),
              s.consent_ip().empty() ? "" : ("  from " + s.consent_ip()).c_str());
  if (s.has_confirm_time()) std::printf("  confirmed %s\n", Time(s.confirm_time()).c_str());
  if (s.has_unsubscribe_time()) {
    std::printf("  left %s (%s)\n", Time(s.unsubscribe_time()).c_str(),
                s.unsubscribe_reason().c_str());
  }
  if (s.soft_bounces() > 0) std::printf("  soft bounces in a row %d\n", s.soft_bounces());
  std::printf("  created %s  updated %s\n", Time(s.create_time()).c_str(),
              Time(s.update_time()).c_str());
}

void PrintSuppressionLine(const v1::Suppression& s) {
  // Erasure entries keep only the hash of the address.
  const std::string who = s.email().empty()
                              ? absl::StrCat("sha256:", s.email_sha256().substr(0, 16), "...")
                              : s.email();
  std::printf("%-40s %-13s %s  %s\n", who.c_str(), Label(s.reason()).c_str(),
              Time(s.create_time()).c_str(), s.detail().c_str());
}

void PrintNoticeLine(const v1::NoticeTemplate& t) {
  std::printf("%-25s %-8s %-10s %s\n", NoticeLabel(t.type()).c_str(),
              t.enabled() ? "enabled" : "disabled", t.customized() ? "customized" : "built-in",
              t.subject().c_str());
}

void PrintNotice(const Env& e, const v1::NoticeTemplate& t) {
  if (e.g.json) return PrintJson(t);
  std::printf("notice %s: %s, %s%s\n", NoticeLabel(t.type()).c_str(),
              t.enabled() ? "enabled" : "disabled", t.customized() ? "customized" : "built-in",
              t.has_update_time() ? absl::StrCat(", updated ", Time(t.update_time())).c_str() : "");
  std::vector<std::string> tags;
  for (const std::string& tag : t.allowed_tags()) tags.push_back(absl::StrCat("{", tag, "}"));
  std::printf("tags     %s\n", absl::StrJoin(tags, " ").c_str());
  std::printf("subject  %s\n", t.subject().c_str());
  for (const auto& [title, body] :
       {std::pair<const char*, const std::string*>{"text body", &t.text_body()},
        {"html body", &t.html_body()}}) {
    std::printf("--- %s ---\n", title);
    if (body->empty()) {
      std::puts("(none)");
      continue;
    }
    std::fputs(body->c_str(), stdout);
    if (body->back() != '\n') std::fputs("\n", stdout);
  }
}

void PrintMailLine(const v1::Mail& m) {
  const std::string what = m.kind() == v1::MAIL_KIND_MARKETING ? std::string("marketing")
                           : m.notice_type() == v1::NOTICE_TYPE_UNSPECIFIED
                               ? std::string("transactional")
                               : NoticeLabel(m.notice_type());
  std::string extra;
  if (m.status() == v1::MAIL_STATUS_QUEUED && m.attempts() > 0 && m.has_next_attempt_time()) {
    extra = absl::StrCat("  next try ", Time(m.next_attempt_time()));
  }
  if (m.status() != v1::MAIL_STATUS_SENT && !m.last_error().empty()) {
    absl::StrAppend(&extra, "  [", m.last_error(), "]");
  }
  std::printf("%s  %-11s %-25s %-32s %2d  %s%s\n", Time(m.create_time()).c_str(),
              Label(m.status()).c_str(), what.c_str(), m.recipient().c_str(), m.attempts(),
              m.subject().c_str(), extra.c_str());
}

std::string CampaignStatusLabel(v1::CampaignStatus s) { return Label(s); }

std::string CampaignTypeLabel(v1::CampaignType t) {
  return t == v1::CAMPAIGN_TYPE_UNSPECIFIED ? "-" : Label(t);
}

void PrintCampaignHeader() {
  std::printf("%-36s  %-9s %-12s %10s %10s %6s  %s\n", "id", "status", "type", "recipients", "sent",
              "unsub", "name");
}

void PrintCampaignLine(const v1::Campaign& c) {
  std::printf("%-36s  %-9s %-12s %10lld %10lld %6lld  %s\n", c.id().c_str(),
              CampaignStatusLabel(c.status()).c_str(), CampaignTypeLabel(c.type()).c_str(),
              static_cast<long long>(c.stats().recipients()),
              static_cast<long long>(c.stats().sent()),
              static_cast<long long>(c.stats().unsubscribes()), c.name().c_str());
}

// The campaign; `bodies` adds both bodies, `warnings` the subject and
// unsubscribe-link warnings (which --json always has).
void PrintCampaign(const Env& e, const v1::Campaign& c, bool bodies, bool warnings) {
  if (e.g.json) return PrintJson(c);
  std::printf("campaign %s  (id %s, version %lld)\n", c.name().c_str(), c.id().c_str(),
              static_cast<long long>(c.version()));
  std::printf("  status %s  type %s  audience %s\n", CampaignStatusLabel(c.status()).c_str(),
              CampaignTypeLabel(c.type()).c_str(),
              c.segment_id().empty() ? "every subscriber"
                                     : absl::StrCat("segment ", c.segment_id()).c_str());
  std::printf("  subject  %s\n", c.subject().c_str());
  std::printf("  created %s  updated %s\n", Time(c.create_time()).c_str(),
              Time(c.update_time()).c_str());
  std::string times;
  if (c.has_schedule_time()) absl::StrAppend(&times, "  scheduled for ", Time(c.schedule_time()));
  if (c.has_send_start_time()) absl::StrAppend(&times, "  started ", Time(c.send_start_time()));
  if (c.has_sent_time()) absl::StrAppend(&times, "  all queued ", Time(c.sent_time()));
  if (c.has_cancel_time()) absl::StrAppend(&times, "  cancelled ", Time(c.cancel_time()));
  if (!times.empty()) std::printf("%s\n", times.c_str());
  const v1::CampaignStats& st = c.stats();
  std::printf("  recipients %lld  sent %lld  suppressed %lld  failed %lld  unsubscribes %lld\n",
              static_cast<long long>(st.recipients()), static_cast<long long>(st.sent()),
              static_cast<long long>(st.suppressed()), static_cast<long long>(st.failed()),
              static_cast<long long>(st.unsubscribes()));
  if (bodies) {
    for (const auto& [title, body] :
         {std::pair<const char*, const std::string*>{"text body", &c.text_body()},
          {"html body", &c.html_body()}}) {
      std::printf("--- %s ---\n", title);
      if (body->empty()) {
        std::puts("(none)");
        continue;
      }
      std::fputs(body->c_str(), stdout);
      if (body->back() != '\n') std::fputs("\n", stdout);
    }
  }
  if (warnings) {
    for (const std::string& w : c.warnings()) std::printf("warning: %s\n", w.c_str());
  }
}

template <typename Response>
void PrintMore(const Response& r) {
  if (!r.next_page_token().empty()) {
    std::printf("(more: --page-token %s, or --all)\n", r.next_page_token().c_str());
  }
}

// ---- subscribers ---------------------------------------------------------------

int Subscribers(const Env& e) {
  v1::ListSubscribersRequest req;
  absl::StatusOr<std::vector<int>> statuses =
      ParseEnumList(e.args, "status", v1::SubscriberStatus_descriptor(), "SUBSCRIBER_STATUS_");
  if (!statuses.ok()) return Fail(statuses.status());
  for (int s : *statuses) req.add_statuses(static_cast<v1::SubscriberStatus>(s));
  req.set_text(e.args.Get("text"));
  if (absl::Status s = PageOptions(e.args, &req); !s.ok()) return Fail(s);
  v1::ListSubscribersResponse all;
  if (grpc::Status s = FetchPages(
          e.g, e.args.Has("all"), req, &all,
          [&](auto* ctx, const auto& r, auto* out) { return e.stub.ListSubscribers(ctx, r, out); });
      !s.ok()) {
    return Fail(s);
  }
  if (e.g.json) return PrintJson(all), 0;
  for (const auto& sub : all.subscribers()) PrintSubscriberLine(sub);
  std::printf("%d of %lld matching subscriber(s)\n", all.subscribers_size(),
              static_cast<long long>(all.total_size()));
  PrintMore(all);
  return 0;
}

int Subscriber(const Env& e) {
  const Args& a = e.args;
  const std::string sub = e.P(1);
  v1::Subscriber out;
  grpc::Status s;
  if (sub == "add") {
    if (a.Get("email").empty() || a.Get("source").empty()) {
      return Fail(
          Missing("subscriber add --email E --source S [--first-name F] [--last-name L] "
                  "(S: where the consent was given, e.g. import)"));
    }
    v1::CreateSubscriberRequest req;
    req.set_request_id(a.Get("request-id", NewUuid()));
    req.set_email(a.Get("email"));
    req.set_source(a.Get("source"));
    req.set_first_name(a.Get("first-name"));
    req.set_last_name(a.Get("last-name"));
    req.set_consent_ip(a.Get("consent-ip"));
    s = e.stub.CreateSubscriber(e.Ctx().get(), req, &out);
  } else if (sub == "get" || sub == "unsubscribe") {
    const std::string id = e.P(2);
    if (id.empty()) {
      std::fprintf(stderr, "error: storectl newsletter subscriber %s needs a subscriber ID\n",
                   sub.c_str());
      return 2;
    }
    if (sub == "get") {
      v1::GetSubscriberRequest req;
      req.set_id(id);
      s = e.stub.GetSubscriber(e.Ctx().get(), req, &out);
    } else {
      v1::UnsubscribeSubscriberRequest req;
      req.set_id(id);
      req.set_reason(a.Get("reason"));
      s = e.stub.UnsubscribeSubscriber(e.Ctx().get(), req, &out);
    }
  } else {
    return Fail(
        Missing("subscriber get ID | subscriber add --email E --source S ... | "
                "subscriber unsubscribe ID [--reason R]"));
  }
  if (!s.ok()) return Fail(s);
  PrintSubscriber(e, out);
  return 0;
}

int Subscribe(const Env& e) {
  const Args& a = e.args;
  if (a.Get("email").empty()) {
    return Fail(Missing("subscribe --email E [--first-name F] [--last-name L] [--source S]"));
  }
  v1::SubscribeRequest req;
  req.set_email(a.Get("email"));
  req.set_first_name(a.Get("first-name"));
  req.set_last_name(a.Get("last-name"));
  req.set_source(a.Get("source"));
  v1::SubscribeResponse resp;
  grpc::Status s = e.stub.Subscribe(e.Ctx().get(), req, &resp);
  if (!s.ok()) return Fail(s);
  if (e.g.json) return PrintJson(resp), 0;
  if (resp.status() == v1::SUBSCRIBER_STATUS_SUBSCRIBED) {
    std::printf("%s is subscribed already (nothing sent)\n", req.email().c_str());
  } else {
    std::printf(
        "%s: %s; the confirmation link goes out by mail unless one went out in the last few\n"
        "minutes or the address is suppressed (the public answer does not tell which)\n",
        req.email().c_str(), StatusLabel(resp.status()).c_str());
  }
  return 0;
}

int Confirm(const Env& e) {
  std::string token = e.P(1);
  // The whole link works too: .../newsletter/confirm?token=T
  if (const size_t at = token.find("token="); at != std::string::npos) {
    token = token.substr(at + 6);
    token = token.substr(0, token.find('&'));
  }
  if (token.empty()) {
    return Fail(Missing("confirm TOKEN (from the link STORE_URL/newsletter/confirm?token=TOKEN)"));
  }
  v1::ConfirmSubscriptionRequest req;
  req.set_token(token);
  v1::Subscriber out;
  grpc::Status s = e.stub.ConfirmSubscription(e.Ctx().get(), req, &out);
  if (!s.ok()) return Fail(s);
  PrintSubscriber(e, out);
  return 0;
}

// The one-click link of a marketing mail's List-Unsubscribe header (RFC 8058):
// POST <PUBLIC_API_URL>/v1/newsletter/unsubscribe/<token>, signed by the
// newsletter service (GetUnsubscribeLink).
int UnsubscribeUrl(const Env& e) {
  const std::string id = e.P(1);
  if (!IsUuid(id)) {
    return Fail(Missing("unsubscribe-url SUBSCRIBER_ID (the id is a UUID)"));
  }
  v1::GetUnsubscribeLinkRequest req;
  req.set_id(id);
  v1::UnsubscribeLink out;
  grpc::Status s = e.stub.GetUnsubscribeLink(e.Ctx().get(), req, &out);
  if (!s.ok()) return Fail(s);
  if (e.g.json) return PrintJson(out), 0;
  std::printf("%s\n", out.url().c_str());
  return 0;
}

// ---- suppression list ------------------------------------------------------------

int Suppressions(const Env& e) {
  v1::ListSuppressionsRequest req;
  req.set_text(e.args.Get("text"));
  if (absl::Status s = PageOptions(e.args, &req); !s.ok()) return Fail(s);
  v1::ListSuppressionsResponse all;
  if (grpc::Status s = FetchPages(e.g, e.args.Has("all"), req, &all,
                                  [&](auto* ctx, const auto& r, auto* out) {
                                    return e.stub.ListSuppressions(ctx, r, out);
                                  });
      !s.ok()) {
    return Fail(s);
  }
  if (e.g.json) return PrintJson(all), 0;
  for (const auto& entry : all.suppressions()) PrintSuppressionLine(entry);
  PrintMore(all);
  return 0;
}

int Suppress(const Env& e) {
  const Args& a = e.args;
  if (a.Get("email").empty()) {
    return Fail(Missing("suppress --email E [--reason manual|hard_bounce|complaint] [--detail D]"));
  }
  v1::AddSuppressionRequest req;
  req.set_email(a.Get("email"));
  req.set_detail(a.Get("detail"));
  if (a.Has("reason")) {
    absl::StatusOr<int> reason =
        ParseEnum("--reason", v1::SuppressionReason_descriptor(), "SUPPRESSION_REASON_",
                  a.Get("reason"), {"manual", "hard_bounce", "complaint"});
    if (!reason.ok()) return Fail(reason.status());
    req.set_reason(static_cast<v1::SuppressionReason>(*reason));
  }
  v1::Suppression out;
  grpc::Status s = e.stub.AddSuppression(e.Ctx().get(), req, &out);
  if (!s.ok()) return Fail(s);
  if (e.g.json) return PrintJson(out), 0;
  PrintSuppressionLine(out);
  return 0;
}

int Unsuppress(const Env& e) {
  if (e.args.Get("email").empty()) return Fail(Missing("unsuppress --email E"));
  v1::RemoveSuppressionRequest req;
  req.set_email(e.args.Get("email"));
  v1::RemoveSuppressionResponse resp;
  grpc::Status s = e.stub.RemoveSuppression(e.Ctx().get(), req, &resp);
  if (!s.ok()) return Fail(s);
  if (e.g.json) return PrintJson(resp), 0;
  if (resp.removed() == 0) {
    std::printf("%s: nothing removed (not on the list, or only for an erasure, which stays)\n",
                req.email().c_str());
  } else {
    std::printf("%s: %d entr%s removed\n", req.email().c_str(), resp.removed(),
                resp.removed() == 1 ? "y" : "ies");
  }
  return 0;
}

int Bounce(const Env& e) {
  const Args& a = e.args;
  if (a.Get("email").empty() || !a.Has("kind")) {
    return Fail(Missing("bounce --email E --kind hard|soft|complaint [--detail D]"));
  }
  absl::StatusOr<int> kind =
      ParseEnum("--kind", v1::BounceKind_descriptor(), "BOUNCE_KIND_", a.Get("kind"));
  if (!kind.ok()) return Fail(kind.status());
  v1::RecordBounceRequest req;
  req.set_email(a.Get("email"));
  req.set_kind(static_cast<v1::BounceKind>(*kind));
  req.set_detail(a.Get("detail"));
  v1::RecordBounceResponse resp;
  grpc::Status s = e.stub.RecordBounce(e.Ctx().get(), req, &resp);
  if (!s.ok()) return Fail(s);
  if (e.g.json) return PrintJson(resp), 0;
  std::printf("%s: %s recorded; %s", req.email().c_str(), Label(req.kind()).c_str(),
              resp.suppressed() ? "the address is suppressed" : "the address is not suppressed");
  if (req.kind() == v1::BOUNCE_KIND_SOFT) {
    std::printf(" (soft bounces in a row: %d)", resp.soft_bounces());
  }
  std::printf("\n");
  return 0;
}

// ---- notices -------------------------------------------------------------------

int Notices(const Env& e) {
  v1::ListNoticeTemplatesResponse resp;
  grpc::Status s = e.stub.ListNoticeTemplates(e.Ctx().get(), {}, &resp);
  if (!s.ok()) return Fail(s);
  if (e.g.json) return PrintJson(resp), 0;
  for (const auto& t : resp.templates()) PrintNoticeLine(t);
  return 0;
}

int Notice(const Env& e) {
  const Args& a = e.args;
  const std::string sub = e.P(1);
  if (sub != "get" && sub != "set" && sub != "reset") {
    return Fail(
        Missing("notice get TYPE | notice set TYPE [--enabled true|false] [--subject S] "
                "[--html-file F] [--text-file F] | notice reset TYPE"));
  }
  if (e.P(2).empty()) {
    return Fail(Missing(absl::StrCat("notice ", sub,
                                     " TYPE (e.g. order_shipped; storectl newsletter notices "
                                     "lists them)")));
  }
  absl::StatusOr<int> type = ParseEnum("TYPE", v1::NoticeType_descriptor(), "NOTICE_TYPE_", e.P(2));
  if (!type.ok()) return Fail(type.status());

  // The stored template: shown by `get`, the base of `set` (which changes
  // only what was given) and where `reset` takes `enabled` from.
  v1::GetNoticeTemplateRequest get;
  get.set_type(static_cast<v1::NoticeType>(*type));
  v1::NoticeTemplate current;
  grpc::Status s = e.stub.GetNoticeTemplate(e.Ctx().get(), get, &current);
  if (!s.ok()) return Fail(s);
  if (sub == "get") {
    PrintNotice(e, current);
    return 0;
  }

  v1::UpdateNoticeTemplateRequest req;
  v1::NoticeTemplate* t = req.mutable_template_();
  if (sub == "reset") {
    t->set_type(current.type());
    t->set_enabled(current.enabled());
    req.set_reset(true);
  } else {
    *t = current;
    t->clear_allowed_tags();
    t->clear_customized();
    t->clear_update_time();
    bool changed = false;
    if (a.Has("enabled")) {
      absl::StatusOr<bool> enabled = ParseBool(a, "enabled");
      if (!enabled.ok()) return Fail(enabled.status());
      t->set_enabled(*enabled);
      changed = true;
    }
    if (a.Has("subject")) {
      t->set_subject(a.Get("subject"));
      changed = true;
    }
    for (const auto& [flag, body] :
         {std::pair<const char*, std::string*>{"html-file", t->mutable_html_body()},
          {"text-file", t->mutable_text_body()}}) {
      if (!a.Has(flag)) continue;
      absl::StatusOr<std::string> text = ReadFileFlag(flag, a.Get(flag));
      if (!text.ok()) return Fail(text.status());
      *body = *std::move(text);
      changed = true;
    }
    if (!changed) {
      return Fail(absl::InvalidArgumentError(
          "notice set: give at least one of --enabled, --subject, --html-file, --text-file"));
    }
  }
  v1::NoticeTemplate out;
  s = e.stub.UpdateNoticeTemplate(e.Ctx().get(), req, &out);
  if (!s.ok()) return Fail(s);
  PrintNotice(e, out);
  return 0;
}

// ---- campaigns -----------------------------------------------------------------

int Campaigns(const Env& e) {
  v1::ListCampaignsRequest req;
  absl::StatusOr<std::vector<int>> statuses =
      ParseEnumList(e.args, "status", v1::CampaignStatus_descriptor(), "CAMPAIGN_STATUS_");
  if (!statuses.ok()) return Fail(statuses.status());
  for (int s : *statuses) req.add_statuses(static_cast<v1::CampaignStatus>(s));
  if (absl::Status s = PageOptions(e.args, &req); !s.ok()) return Fail(s);
  v1::ListCampaignsResponse all;
  if (grpc::Status s = FetchPages(
          e.g, e.args.Has("all"), req, &all,
          [&](auto* ctx, const auto& r, auto* out) { return e.stub.ListCampaigns(ctx, r, out); });
      !s.ok()) {
    return Fail(s);
  }
  if (e.g.json) return PrintJson(all), 0;
  if (all.campaigns_size() > 0) PrintCampaignHeader();
  for (const auto& c : all.campaigns()) PrintCampaignLine(c);
  PrintMore(all);
  return 0;
}

// --type into the campaign (and "type" into `mask` when given).
absl::Status ParseCampaignType(const Args& a, v1::Campaign* c, google::protobuf::FieldMask* mask) {
  if (!a.Has("type")) return absl::OkStatus();
  absl::StatusOr<int> type =
      ParseEnum("--type", v1::CampaignType_descriptor(), "CAMPAIGN_TYPE_", a.Get("type"));
  if (!type.ok()) return type.status();
  c->set_type(static_cast<v1::CampaignType>(*type));
  if (mask != nullptr) mask->add_paths("type");
  return absl::OkStatus();
}

// --html-file and --text-file into the campaign (and their fields into
// `mask` when given).
absl::Status ReadBodies(const Args& a, v1::Campaign* c, google::protobuf::FieldMask* mask) {
  for (const auto& [flag, path, body] : {std::tuple<const char*, const char*, std::string*>{
                                             "html-file", "html_body", c->mutable_html_body()},
                                         {"text-file", "text_body", c->mutable_text_body()}}) {
    if (!a.Has(flag)) continue;
    absl::StatusOr<std::string> text = ReadFileFlag(flag, a.Get(flag));
    if (!text.ok()) return text.status();
    *body = *std::move(text);
    if (mask != nullptr) mask->add_paths(path);
  }
  return absl::OkStatus();
}

int CampaignCreate(const Env& e) {
  const Args& a = e.args;
  if (a.Get("name").empty() || a.Get("subject").empty()) {
    return Fail(
        Missing("campaign create --name N --subject S [--type CT] [--html-file F] "
                "[--text-file F] [--segment ID] [--request-id UUID] (at least one body)"));
  }
  v1::CreateCampaignRequest req;
  req.set_request_id(a.Get("request-id", NewUuid()));
  v1::Campaign* c = req.mutable_campaign();
  c->set_name(a.Get("name"));
  c->set_subject(a.Get("subject"));
  c->set_segment_id(a.Get("segment"));
  if (absl::Status s = ParseCampaignType(a, c, nullptr); !s.ok()) return Fail(s);
  if (absl::Status s = ReadBodies(a, c, nullptr); !s.ok()) return Fail(s);
  v1::Campaign out;
  grpc::Status s = e.stub.CreateCampaign(e.Ctx().get(), req, &out);
  if (!s.ok()) return Fail(s);
  PrintCampaign(e, out, /*bodies=*/false, /*warnings=*/true);
  return 0;
}

int CampaignUpdate(const Env& e, const std::string& id) {
  const Args& a = e.args;
  v1::UpdateCampaignRequest req;
  v1::Campaign* c = req.mutable_campaign();
  c->set_id(id);
  google::protobuf::FieldMask* mask = req.mutable_update_mask();
  if (a.Has("name")) {
    c->set_name(a.Get("name"));
    mask->add_paths("name");
  }
  if (a.Has("subject")) {
    c->set_subject(a.Get("subject"));
    mask->add_paths("subject");
  }
  if (absl::Status s = ParseCampaignType(a, c, mask); !s.ok()) return Fail(s);
  if (absl::Status s = ReadBodies(a, c, mask); !s.ok()) return Fail(s);
  if (a.Has("segment") && a.Has("all-subscribers")) {
    return Fail(absl::InvalidArgumentError(
        "campaign update: --segment and --all-subscribers exclude each other"));
  }
  if (a.Has("segment") || a.Has("all-subscribers")) {
    c->set_segment_id(a.Get("segment"));  // empty: every subscriber
    mask->add_paths("segment_id");
  }
  if (mask->paths().empty()) {
    return Fail(absl::InvalidArgumentError(
        "campaign update: give at least one of --name, --subject, --type, --html-file, "
        "--text-file, --segment, --all-subscribers"));
  }
  v1::Campaign out;
  grpc::Status s = e.stub.UpdateCampaign(e.Ctx().get(), req, &out);
  if (!s.ok()) return Fail(s);
  PrintCampaign(e, out, /*bodies=*/false, /*warnings=*/true);
  return 0;
}

int CampaignTest(const Env& e, const std::string& id) {
  const std::vector<std::string> emails = e.args.GetAll("email");
  if (emails.empty()) {
    return Fail(Missing("campaign test ID --email E [--email E2 ...] (1 to 10 addresses)"));
  }
  v1::SendTestCampaignRequest req;
  req.set_id(id);
  for (const std::string& email : emails) req.add_emails(email);
  v1::SendTestCampaignResponse resp;
  grpc::Status s = e.stub.SendTestCampaign(e.Ctx().get(), req, &resp);
  if (!s.ok()) return Fail(s);
  if (e.g.json) return PrintJson(resp), 0;
  std::printf("%d of %d test mail(s) queued, subject marked [TEST]%s\n", resp.queued(),
              req.emails_size(),
              resp.queued() < req.emails_size() ? " (suppressed addresses are skipped)" : "");
  return 0;
}

int Campaign(const Env& e) {
  const Args& a = e.args;
  const std::string sub = e.P(1);
  if (sub == "create") return CampaignCreate(e);
  if (sub != "get" && sub != "update" && sub != "test" && sub != "send" && sub != "schedule" &&
      sub != "cancel") {
    return Fail(
        Missing("campaign get ID | campaign create --name N --subject S ... | "
                "campaign update ID ... | campaign test ID --email E ... | campaign send ID | "
                "campaign schedule ID --at RFC3339 | campaign cancel ID"));
  }
  const std::string id = e.P(2);
  if (id.empty()) {
    std::fprintf(stderr,
                 "error: storectl newsletter campaign %s needs a campaign ID (storectl newsletter "
                 "campaigns lists them)\n",
                 sub.c_str());
    return 2;
  }
  if (sub == "update") return CampaignUpdate(e, id);
  if (sub == "test") return CampaignTest(e, id);
  v1::Campaign out;
  grpc::Status s;
  if (sub == "get") {
    v1::GetCampaignRequest req;
    req.set_id(id);
    s = e.stub.GetCampaign(e.Ctx().get(), req, &out);
    if (!s.ok()) return Fail(s);
    PrintCampaign(e, out, /*bodies=*/true, /*warnings=*/true);
    return 0;
  }
  if (sub == "send") {
    v1::SendCampaignRequest req;
    req.set_id(id);
    s = e.stub.SendCampaign(e.Ctx().get(), req, &out);
  } else if (sub == "schedule") {
    if (!a.Has("at")) {
      return Fail(Missing("campaign schedule ID --at RFC3339 (e.g. 2026-12-24T09:00:00Z)"));
    }
    v1::ScheduleCampaignRequest req;
    req.set_id(id);
    if (!TimeUtil::FromString(a.Get("at"), req.mutable_schedule_time())) {
      return Fail(absl::InvalidArgumentError("--at must be RFC 3339, e.g. 2026-12-24T09:00:00Z"));
    }
    s = e.stub.ScheduleCampaign(e.Ctx().get(), req, &out);
  } else {
    v1::CancelCampaignRequest req;
    req.set_id(id);
    s = e.stub.CancelCampaign(e.Ctx().get(), req, &out);
  }
  if (!s.ok()) return Fail(s);
  PrintCampaign(e, out, /*bodies=*/false, /*warnings=*/false);
  if (!e.g.json && sub == "send") {
    std::printf(
        "recipients are put in the send queue in batches; storectl newsletter campaign get %s\n"
        "shows the progress\n",
        out.id().c_str());
  }
  return 0;
}

// ---- mail log --------------------------------------------------------------------

int Mails(const Env& e) {
  const Args& a = e.args;
  v1::ListMailsRequest req;
  req.set_recipient(a.Get("recipient"));
  absl::StatusOr<std::vector<int>> statuses =
      ParseEnumList(a, "status", v1::MailStatus_descriptor(), "MAIL_STATUS_");
  if (!statuses.ok()) return Fail(statuses.status());
  for (int s : *statuses) req.add_statuses(static_cast<v1::MailStatus>(s));
  if (a.Has("notice")) {
    absl::StatusOr<int> type =
        ParseEnum("--notice", v1::NoticeType_descriptor(), "NOTICE_TYPE_", a.Get("notice"));
    if (!type.ok()) return Fail(type.status());
    req.set_notice_type(static_cast<v1::NoticeType>(*type));
  }
  if (absl::Status s = PageOptions(a, &req); !s.ok()) return Fail(s);
  v1::ListMailsResponse all;
  if (grpc::Status s = FetchPages(
          e.g, e.args.Has("all"), req, &all,
          [&](auto* ctx, const auto& r, auto* out) { return e.stub.ListMails(ctx, r, out); });
      !s.ok()) {
    return Fail(s);
  }
  if (e.g.json) return PrintJson(all), 0;
  for (const auto& m : all.mails()) PrintMailLine(m);
  PrintMore(all);
  return 0;
}

}  // namespace

int NewsletterCommand(const Global& g, const std::vector<std::string>& argv) {
  auto parsed = Args::Parse(argv, {"all", "help", "all-subscribers"});
  if (!parsed.ok()) return Fail(parsed.status());
  const Args& args = *parsed;
  const std::string cmd = args.Positional(0);
  if (cmd.empty() || cmd == "help" || args.Has("help")) {
    std::fputs(kNewsletterHelp, stdout);
    return cmd.empty() && !args.Has("help") ? 2 : 0;
  }
  if (absl::Status s = args.CheckKnown(kKnownFlags); !s.ok()) return Fail(s);
  std::string addr = args.Get("addr", Setting("NEWSLETTER_SERVICE_ADDR"));
  if (addr.empty()) addr = "127.0.0.1:50054";
  auto stub = v1::NewsletterService::NewStub(grpcx::MakeChannel(addr));
  const Env e{g, args, *stub};

  if (cmd == "subscribers") return Subscribers(e);
  if (cmd == "subscriber") return Subscriber(e);
  if (cmd == "subscribe") return Subscribe(e);
  if (cmd == "confirm") return Confirm(e);
  if (cmd == "unsubscribe-url") return UnsubscribeUrl(e);
  if (cmd == "suppressions") return Suppressions(e);
  if (cmd == "suppress") return Suppress(e);
  if (cmd == "unsuppress") return Unsuppress(e);
  if (cmd == "bounce") return Bounce(e);
  if (cmd == "notices") return Notices(e);
  if (cmd == "notice") return Notice(e);
  if (cmd == "campaigns") return Campaigns(e);
  if (cmd == "campaign") return Campaign(e);
  if (cmd == "mails") return Mails(e);
  std::fprintf(stderr, "error: unknown command 'newsletter %s' (see storectl newsletter --help)\n",
               cmd.c_str());
  return 2;
}

}  // namespace store::cli
