#include "services/newsletter/app/campaign_app.h"

#include <prometheus/counter.h>

#include <algorithm>
#include <functional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/time_util.h"
#include "libs/auth/digest.h"
#include "libs/core/contact.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "libs/core/paging.h"
#include "libs/core/status.h"
#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "libs/metrics/metrics.h"
#include "libs/pg/values.h"
#include "services/newsletter/domain/subject_lint.h"
#include "services/newsletter/domain/template.h"
#include "services/newsletter/store/campaign_store.h"
#include "services/newsletter/store/newsletter_store.h"
#include "store/newsletter/v1/events.pb.h"
#include "store/topics.h"

namespace store::newsletter {
namespace {

using google::protobuf::util::TimeUtil;
using pg::ToTimestamp;
using pg::TruncateToMicros;

prometheus::Counter& CampaignMailsQueued() {
  static auto& c = prometheus::BuildCounter()
                       .Name("store_campaign_mails_queued_total")
                       .Help("Campaign recipients put in the send queue.")
                       .Register(metrics::Registry())
                       .Add({});
  return c;
}

// The fields a campaign's editor sets, checked (names the field).
absl::Status ValidateContent(const v1::Campaign& c, const std::string& prefix) {
  auto field = [&](const char* name) { return absl::StrCat(prefix, name); };
  STORE_RETURN_IF_ERROR(ValidateText(field("name"), c.name(), 1, 200));
  if (!v1::CampaignType_IsValid(c.type())) {
    return InvalidField(field("type"), "must be one of the CAMPAIGN_TYPE_* values");
  }
  if (absl::StripAsciiWhitespace(c.subject()).empty()) {
    return InvalidField(field("subject"), "is required");
  }
  STORE_RETURN_IF_ERROR(ValidateText(field("subject"), c.subject(), 1, 998));
  if (absl::StripAsciiWhitespace(c.html_body()).empty() &&
      absl::StripAsciiWhitespace(c.text_body()).empty()) {
    return InvalidField(field("text_body"), "an HTML or a plain-text body is required");
  }
  STORE_RETURN_IF_ERROR(CheckTemplate(field("subject"), c.subject(), CampaignTags()));
  STORE_RETURN_IF_ERROR(CheckTemplate(field("html_body"), c.html_body(), CampaignTags()));
  STORE_RETURN_IF_ERROR(CheckTemplate(field("text_body"), c.text_body(), CampaignTags()));
  if (!c.segment_id().empty() && !IsUuid(c.segment_id())) {
    return InvalidField(field("segment_id"),
                        "must be a segment's UUID, or empty for every subscriber");
  }
  return absl::OkStatus();
}

bool Uses(absl::string_view text, const std::string& tag) {
  const std::vector<std::string> tags = TagsIn(text);
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

bool Editable(v1::CampaignStatus s) {
  return s == v1::CAMPAIGN_STATUS_DRAFT || s == v1::CAMPAIGN_STATUS_SCHEDULED;
}

std::string StatusName(v1::CampaignStatus s) {
  return absl::AsciiStrToLower(v1::CampaignStatus_Name(s).substr(16));
}

absl::Status NotEditable(const v1::Campaign& c, const char* what) {
  return Precondition("CAMPAIGN_NOT_EDITABLE",
                      absl::StrCat("campaign ", c.id(), " is ", StatusName(c.status()), "; only ",
                                   "draft or scheduled campaigns can be ", what),
                      {{"status", v1::CampaignStatus_Name(c.status())}});
}

void Touch(v1::Campaign& c, absl::Time now) {
  c.set_version(c.version() + 1);
  *c.mutable_update_time() = ToTimestamp(now);
}

}  // namespace

const absl::flat_hash_set<std::string>& CampaignTags() {
  static const auto* kTags = new absl::flat_hash_set<std::string>{
      "firstname", "lastname", "email", "unsubscribe_url", "store_name", "store_url"};
  return *kTags;
}

CampaignApp::CampaignApp(pg::Pool& pool, const Clock& clock, NewsletterApp& newsletter,
                         SegmentSource segments, int batch_size)
    : pool_(pool),
      clock_(clock),
      newsletter_(newsletter),
      segments_(std::move(segments)),
      batch_size_(batch_size) {}

void CampaignApp::Decorate(pqxx::transaction_base& tx, std::vector<v1::Campaign*> campaigns) {
  std::vector<std::string> ids;
  for (const v1::Campaign* c : campaigns) ids.push_back(c->id());
  const auto stats = CampaignStore::Stats(tx, ids);
  for (v1::Campaign* c : campaigns) {
    const int64_t recipients = c->stats().recipients();
    if (auto it = stats.find(c->id()); it != stats.end()) *c->mutable_stats() = it->second;
    c->mutable_stats()->set_recipients(recipients);
    c->clear_warnings();
    for (std::string& w : LintSubject(c->subject())) c->add_warnings(std::move(w));
    if (!Uses(c->html_body(), "unsubscribe_url") && !Uses(c->text_body(), "unsubscribe_url")) {
      c->add_warnings(
          "no {unsubscribe_url} in the body: recipients see only their mail client's "
          "unsubscribe button (the List-Unsubscribe header is always sent)");
    }
  }
}

absl::StatusOr<v1::Campaign> CampaignApp::CreateCampaign(const v1::CreateCampaignRequest& req) {
  if (req.request_id().size() > 128) {
    return InvalidField("request_id", "must be at most 128 characters");
  }
  v1::Campaign c = req.campaign();
  STORE_RETURN_IF_ERROR(ValidateContent(c, "campaign."));
  const std::string request_hash = Fingerprint(req);
  const absl::Time now = TruncateToMicros(clock_.Now());
  v1::Campaign out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    if (!req.request_id().empty()) {
      if (auto seen = CampaignStore::LoadByRequestId(tx, req.request_id())) {
        if (seen->request_hash != request_hash) {
          return MakeError(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED", "request_id",
                           "was used for another request");
        }
        out = seen->campaign;
        Decorate(tx, {&out});
        return absl::OkStatus();
      }
    }
    CampaignRow row;
    v1::Campaign& n = row.campaign;
    n.set_id(NewUuid());
    n.set_name(c.name());
    n.set_type(c.type());
    n.set_subject(c.subject());
    n.set_html_body(c.html_body());
    n.set_text_body(c.text_body());
    n.set_segment_id(absl::AsciiStrToLower(c.segment_id()));
    n.set_status(v1::CAMPAIGN_STATUS_DRAFT);
    n.set_version(1);
    *n.mutable_create_time() = ToTimestamp(now);
    *n.mutable_update_time() = ToTimestamp(now);
    row.request_id = req.request_id();
    row.request_hash = request_hash;
    CampaignStore::Insert(tx, row);
    out = n;
    Decorate(tx, {&out});
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::Campaign> CampaignApp::GetCampaign(const std::string& id) {
  if (!IsUuid(id)) return InvalidField("id", "must be a UUID");
  v1::Campaign out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<CampaignRow> row = CampaignStore::Load(tx, id, false);
    if (!row.has_value()) return NotFound("campaign", id);
    out = row->campaign;
    Decorate(tx, {&out});
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::ListCampaignsResponse> CampaignApp::ListCampaigns(
    const v1::ListCampaignsRequest& req) {
  STORE_ASSIGN_OR_RETURN(int size, PageSize(req.page_size()));
  std::vector<int> statuses;
  for (int s : req.statuses()) {
    if (s == 0 || !v1::CampaignStatus_IsValid(s)) {
      return InvalidField("statuses", "must be CAMPAIGN_STATUS_* values other than UNSPECIFIED");
    }
    statuses.push_back(s);
  }
  const std::string binding = ListBinding(req);
  std::optional<KeysetCursor> after;
  if (!req.page_token().empty()) {
    STORE_ASSIGN_OR_RETURN(KeysetCursor c, DecodePageToken(req.page_token(), binding));
    after = c;
  }
  v1::ListCampaignsResponse out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::vector<v1::Campaign> rows = CampaignStore::List(tx, statuses, after, size);
    if (static_cast<int>(rows.size()) > size) {
      rows.resize(size);
      out.set_next_page_token(TokenAfterRow(rows.back().create_time(), rows.back().id(), binding));
    }
    for (auto& c : rows) *out.add_campaigns() = std::move(c);
    std::vector<v1::Campaign*> all;
    for (auto& c : *out.mutable_campaigns()) all.push_back(&c);
    Decorate(tx, all);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::Campaign> CampaignApp::Change(
    const std::string& id,
    const std::function<absl::Status(pqxx::transaction_base&, v1::Campaign&, absl::Time)>& change) {
  const absl::Time now = TruncateToMicros(clock_.Now());
  v1::Campaign out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<CampaignRow> row = CampaignStore::Load(tx, id, true);
    if (!row.has_value()) return NotFound("campaign", id);
    v1::Campaign& c = row->campaign;
    STORE_RETURN_IF_ERROR(change(tx, c, now));
    Touch(c, now);
    CampaignStore::Update(tx, c);
    out = c;
    Decorate(tx, {&out});
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::Campaign> CampaignApp::UpdateCampaign(const v1::UpdateCampaignRequest& req) {
  const std::string& id = req.campaign().id();
  if (!IsUuid(id)) return InvalidField("campaign.id", "must be a UUID");
  static const std::set<std::string> kMutable = {"name",      "type",      "subject",
                                                 "html_body", "text_body", "segment_id"};
  if (req.update_mask().paths().empty()) {
    return InvalidField("update_mask",
                        "name the fields to change (name, type, subject, "
                        "html_body, text_body, segment_id)");
  }
  for (const std::string& path : req.update_mask().paths()) {
    if (!kMutable.count(path)) {
      return InvalidField("update_mask", absl::StrCat("'", path,
                                                      "' cannot be changed; allowed: name, type, "
                                                      "subject, html_body, text_body, segment_id"));
    }
  }
  bool segment_changes = false;
  for (const std::string& path : req.update_mask().paths()) segment_changes |= path == "segment_id";
  if (segment_changes && !req.campaign().segment_id().empty()) {
    if (!IsUuid(req.campaign().segment_id())) {
      return InvalidField("campaign.segment_id",
                          "must be a segment's UUID, or empty for every subscriber");
    }
    STORE_ASSIGN_OR_RETURN(v1::Campaign current, GetCampaign(id));
    if (current.status() == v1::CAMPAIGN_STATUS_SCHEDULED) {
      v1::Campaign probe = current;
      probe.set_segment_id(absl::AsciiStrToLower(req.campaign().segment_id()));
      STORE_RETURN_IF_ERROR(CheckAudience(probe));
    }
  }
  return Change(id,
                [&](pqxx::transaction_base& tx, v1::Campaign& c, absl::Time now) -> absl::Status {
                  if (!Editable(c.status())) return NotEditable(c, "edited");
                  google::protobuf::util::FieldMaskUtil::MergeMessageTo(req.campaign(),
                                                                        req.update_mask(), {}, &c);
                  c.set_segment_id(absl::AsciiStrToLower(c.segment_id()));
                  STORE_RETURN_IF_ERROR(ValidateContent(c, "campaign."));
                  return absl::OkStatus();
                });
}

absl::StatusOr<v1::SendTestCampaignResponse> CampaignApp::SendTestCampaign(
    const v1::SendTestCampaignRequest& req) {
  if (!IsUuid(req.id())) return InvalidField("id", "must be a UUID");
  if (req.emails().empty() || req.emails_size() > 10) {
    return InvalidField("emails", "give 1 to 10 addresses");
  }
  std::vector<std::string> emails;
  for (int i = 0; i < req.emails_size(); ++i) {
    STORE_ASSIGN_OR_RETURN(std::string e,
                           NormalizeEmail(absl::StrCat("emails[", i, "]"), req.emails(i)));
    emails.push_back(std::move(e));
  }
  const absl::Time now = TruncateToMicros(clock_.Now());
  v1::SendTestCampaignResponse out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<CampaignRow> row = CampaignStore::Load(tx, req.id(), false);
    if (!row.has_value()) return NotFound("campaign", req.id());
    v1::Campaign test = row->campaign;
    test.set_subject(absl::StrCat("[TEST] ", test.subject()));
    for (const std::string& email : emails) {
      std::vector<v1::SuppressionReason> reasons =
          NewsletterStore::SuppressionsOf(tx, auth::Sha256Hex(email));
      if (!reasons.empty()) continue;  // no test mail to a suppressed address either
      NewMail mail;
      mail.id = NewUuid();
      mail.dedupe_key = absl::StrCat("test:", test.id(), ":", mail.id);
      mail.kind = v1::MAIL_KIND_MARKETING;
      mail.recipient = email;
      mail.origin = absl::StrCat("test:", test.id());
      mail.now = now;
      absl::StatusOr<ComposedMail> composed =
          newsletter_.ComposeCampaignMail(test, mail.id, email, "", "", "");
      if (!composed.ok()) return composed.status();
      mail.subject = composed->subject;
      mail.message = std::move(composed->message);
      if (NewsletterStore::EnqueueMail(tx, mail)) out.set_queued(out.queued() + 1);
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::Status CampaignApp::CheckAudience(const v1::Campaign& c) {
  if (c.segment_id().empty()) return absl::OkStatus();
  absl::StatusOr<SegmentPage> page = segments_(c.segment_id(), "");
  if (absl::IsNotFound(page.status()) || absl::IsInvalidArgument(page.status())) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "SEGMENT_NOT_FOUND", "segment_id",
                     absl::StrCat("the customer service knows no segment ", c.segment_id()));
  }
  if (!page.ok()) {
    return MakeError(absl::StatusCode::kUnavailable, "CUSTOMER_SERVICE_UNAVAILABLE", "",
                     "the customer service could not be asked for the segment; try again");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Campaign> CampaignApp::SendCampaign(const std::string& id) {
  if (!IsUuid(id)) return InvalidField("id", "must be a UUID");
  STORE_ASSIGN_OR_RETURN(v1::Campaign current, GetCampaign(id));
  if (!Editable(current.status())) return NotEditable(current, "sent");
  STORE_RETURN_IF_ERROR(CheckAudience(current));
  return Change(id,
                [&](pqxx::transaction_base& tx, v1::Campaign& c, absl::Time now) -> absl::Status {
                  if (!Editable(c.status())) return NotEditable(c, "sent");
                  c.set_status(v1::CAMPAIGN_STATUS_SENDING);
                  *c.mutable_send_start_time() = ToTimestamp(now);
                  return absl::OkStatus();
                });
}

absl::StatusOr<v1::Campaign> CampaignApp::ScheduleCampaign(const v1::ScheduleCampaignRequest& req) {
  if (!IsUuid(req.id())) return InvalidField("id", "must be a UUID");
  const absl::Time now = TruncateToMicros(clock_.Now());
  if (!req.has_schedule_time() ||
      absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(req.schedule_time())) <= now) {
    return InvalidField("schedule_time",
                        "must be in the future (RFC 3339, e.g. "
                        "2026-12-24T09:00:00Z)");
  }
  STORE_ASSIGN_OR_RETURN(v1::Campaign current, GetCampaign(req.id()));
  if (!Editable(current.status())) return NotEditable(current, "scheduled");
  STORE_RETURN_IF_ERROR(CheckAudience(current));
  return Change(req.id(), [&](pqxx::transaction_base&, v1::Campaign& c, absl::Time) {
    if (!Editable(c.status())) return NotEditable(c, "scheduled");
    c.set_status(v1::CAMPAIGN_STATUS_SCHEDULED);
    *c.mutable_schedule_time() =
        TimeUtil::MicrosecondsToTimestamp(TimeUtil::TimestampToMicroseconds(req.schedule_time()));
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::Campaign> CampaignApp::CancelCampaign(const std::string& id) {
  if (!IsUuid(id)) return InvalidField("id", "must be a UUID");
  return Change(id,
                [&](pqxx::transaction_base& tx, v1::Campaign& c, absl::Time now) -> absl::Status {
                  if (!Editable(c.status()) && c.status() != v1::CAMPAIGN_STATUS_SENDING) {
                    return NotEditable(c, "cancelled");
                  }
                  if (c.status() == v1::CAMPAIGN_STATUS_SENDING) {
                    // Nobody else gets it: what is queued and not yet handed over stays.
                    CampaignStore::DropQueued(tx, c.id(), "the campaign was cancelled");
                  }
                  c.set_status(v1::CAMPAIGN_STATUS_CANCELLED);
                  *c.mutable_cancel_time() = ToTimestamp(now);
                  return absl::OkStatus();
                });
}

absl::StatusOr<bool> CampaignApp::QueueBatch(pqxx::transaction_base& tx, CampaignRow& row,
                                             int64_t* queued, absl::Time now) {
  v1::Campaign& c = row.campaign;
  bool done = false;
  if (c.segment_id().empty()) {
    const QueuedBatch b =
        CampaignStore::QueueSubscribers(tx, c, row.queue_cursor, batch_size_, now);
    *queued += b.queued;
    done = b.scanned < batch_size_;
    CampaignStore::SetProgress(tx, c.id(), b.last_id.empty() ? row.queue_cursor : b.last_id,
                               b.queued);
    c.mutable_stats()->set_recipients(c.stats().recipients() + b.queued);
  } else {
    absl::StatusOr<SegmentPage> page = segments_(c.segment_id(), row.queue_cursor);
    if (!page.ok()) return page.status();  // tried again on the next turn
    const QueuedBatch b = CampaignStore::QueueEmails(tx, c, page->emails, now);
    *queued += b.queued;
    done = page->next_page_token.empty();
    CampaignStore::SetProgress(tx, c.id(), page->next_page_token, b.queued);
    c.mutable_stats()->set_recipients(c.stats().recipients() + b.queued);
  }
  if (done) {
    c.set_status(v1::CAMPAIGN_STATUS_SENT);
    *c.mutable_sent_time() = ToTimestamp(now);
    Touch(c, now);
    CampaignStore::Update(tx, c);
    v1::CampaignSent event;
    *event.mutable_campaign() = c;
    events::AppendToOutbox(tx, newsletter::v1::kCampaignsTopic,
                           events::MakeEnvelope(event, c.id(), c.version(), kSource, now));
    log::Info("campaign queued",
              {{"campaign_id", c.id()}, {"recipients", absl::StrCat(c.stats().recipients())}});
  }
  return done;
}

absl::StatusOr<int64_t> CampaignApp::Dispatch(absl::Duration budget) {
  const absl::Time deadline = absl::Now() + budget;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    for (const std::string& id : CampaignStore::StartDue(tx, TruncateToMicros(clock_.Now()))) {
      log::Info("scheduled campaign starts", {{"campaign_id", id}});
    }
    return absl::OkStatus();
  }));
  int64_t queued = 0;
  bool idle = false;
  while (!idle && absl::Now() < deadline) {
    int64_t batch = 0;
    STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
      std::optional<CampaignRow> row = CampaignStore::NextSending(tx);
      if (!row.has_value()) {
        idle = true;
        return absl::OkStatus();
      }
      const absl::Time now = TruncateToMicros(clock_.Now());
      absl::StatusOr<bool> done = QueueBatch(tx, *row, &batch, now);
      if (absl::IsNotFound(done.status()) || absl::IsInvalidArgument(done.status())) {
        // The segment was deleted meanwhile: nobody more can be reached. The
        // campaign ends (what is queued still goes) instead of blocking the
        // campaigns after it.
        v1::Campaign& c = row->campaign;
        log::Warning("campaign segment is gone; the campaign is cancelled",
                     {{"campaign_id", c.id()}, {"error", done.status().ToString()}});
        c.set_status(v1::CAMPAIGN_STATUS_CANCELLED);
        *c.mutable_cancel_time() = ToTimestamp(now);
        Touch(c, now);
        CampaignStore::Update(tx, c);
      } else if (!done.ok()) {
        log::Warning("campaign audience unavailable; retried later",
                     {{"campaign_id", row->campaign.id()}, {"error", done.status().ToString()}});
        idle = true;  // do not spin on an unreachable customer service
      }
      return absl::OkStatus();
    }));
    queued += batch;
  }
  CampaignMailsQueued().Increment(static_cast<double>(queued));
  return queued;
}

absl::StatusOr<int64_t> CampaignApp::PublishStats(absl::Duration window) {
  const absl::Time now = TruncateToMicros(clock_.Now());
  int64_t published = 0;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
    published = 0;
    std::vector<v1::Campaign> campaigns = CampaignStore::StartedSince(tx, now - window);
    if (campaigns.empty()) return absl::OkStatus();
    std::vector<v1::Campaign*> pointers;
    std::vector<std::string> ids;
    for (v1::Campaign& c : campaigns) {
      pointers.push_back(&c);
      ids.push_back(c.id());
    }
    Decorate(tx, pointers);
    const std::map<std::string, std::string> last = CampaignStore::PublishedStats(tx, ids);
    for (const v1::Campaign& c : campaigns) {
      std::string stats;
      google::protobuf::io::StringOutputStream stream(&stats);
      google::protobuf::io::CodedOutputStream coded(&stream);
      coded.SetSerializationDeterministic(true);
      c.stats().SerializeToCodedStream(&coded);
      coded.Trim();
      if (auto it = last.find(c.id()); it != last.end() && it->second == stats) continue;
      v1::CampaignStatsUpdated event;
      *event.mutable_campaign() = c;
      event.mutable_campaign()->clear_html_body();
      event.mutable_campaign()->clear_text_body();
      events::AppendToOutbox(tx, newsletter::v1::kCampaignsTopic,
                             events::MakeEnvelope(event, c.id(), c.version(), kSource, now));
      CampaignStore::SavePublishedStats(tx, c.id(), stats, now);
      ++published;
    }
    return absl::OkStatus();
  }));
  return published;
}

}  // namespace store::newsletter
