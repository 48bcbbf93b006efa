// NewsletterApp: the mail log.
#include "libs/core/contact.h"
#include "libs/core/paging.h"
#include "libs/core/status.h"
#include "services/newsletter/app/newsletter_app.h"
#include "services/newsletter/app/newsletter_app_internal.h"
#include "services/newsletter/domain/notices.h"
#include "services/newsletter/store/newsletter_store.h"

namespace store::newsletter {
namespace {

using namespace internal;  // NOLINT: this service's own helpers

}  // namespace

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

}  // namespace store::newsletter
