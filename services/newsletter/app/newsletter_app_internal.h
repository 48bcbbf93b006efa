// Helpers shared by the files that implement NewsletterApp (app/*.cc of
// the newsletter service); not for anything else.
#ifndef STORE_SERVICES_NEWSLETTER_APP_NEWSLETTER_APP_INTERNAL_H_
#define STORE_SERVICES_NEWSLETTER_APP_NEWSLETTER_APP_INTERNAL_H_

#include <prometheus/counter.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"
#include "libs/auth/link_token.h"
#include "libs/core/contact.h"
#include "libs/core/money.h"
#include "libs/core/status.h"
#include "libs/metrics/metrics.h"
#include "libs/pg/values.h"
#include "store/common/v1/money.pb.h"
#include "store/customer/v1/events.pb.h"
#include "store/newsletter/v1/newsletter.pb.h"
#include "store/order/v1/events.pb.h"

namespace store::newsletter::internal {

namespace cv1 = store::customer::v1;
namespace ov1 = store::order::v1;
using auth::SignLinkToken;
using auth::VerifyLinkToken;
using pg::ToTimestamp;
using pg::TruncateToMicros;

inline prometheus::Family<prometheus::Counter>& MailsQueued() {
  static auto& f = prometheus::BuildCounter()
                       .Name("store_mails_queued_total")
                       .Help(
                           "Mails put in the send queue, by kind and notice "
                           "(suppressed ones count under result=suppressed).")
                       .Register(metrics::Registry());
  return f;
}

inline prometheus::Family<prometheus::Counter>& SubscriberChanges() {
  static auto& f = prometheus::BuildCounter()
                       .Name("store_newsletter_subscriber_changes_total")
                       .Help("Subscriber status changes, by new status.")
                       .Register(metrics::Registry());
  return f;
}

using pg::TimeOf;

inline std::string StatusName(v1::SubscriberStatus s) {
  std::string name = v1::SubscriberStatus_Name(s);
  if (absl::StartsWith(name, "SUBSCRIBER_STATUS_")) name = name.substr(18);
  return absl::AsciiStrToLower(name);
}

// "Ann Lee" -> {"Ann", "Lee"}; one word is a first name.
inline std::pair<std::string, std::string> SplitName(absl::string_view full) {
  full = absl::StripAsciiWhitespace(full);
  const size_t space = full.find(' ');
  if (space == absl::string_view::npos) return {std::string(full), ""};
  return {std::string(full.substr(0, space)),
          std::string(absl::StripAsciiWhitespace(full.substr(space + 1)))};
}

// Names are printed in the To header and in mails: one line, bounded.
inline absl::Status CheckName(absl::string_view field, absl::string_view name) {
  if (name.empty()) return absl::OkStatus();
  return ValidateText(field, name, 0, 100);
}

inline absl::Status CheckSource(absl::string_view field, absl::string_view source) {
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
inline bool Blocked(const std::vector<v1::SuppressionReason>& reasons, v1::MailKind kind) {
  for (v1::SuppressionReason r : reasons) {
    if (kind == v1::MAIL_KIND_MARKETING || r != v1::SUPPRESSION_REASON_UNSUBSCRIBE) return true;
  }
  return false;
}

inline bool HardSuppressed(const std::vector<v1::SuppressionReason>& reasons) {
  return Blocked(reasons, v1::MAIL_KIND_TRANSACTIONAL);
}

inline std::string Money(const common::v1::Money& m) {
  return FormatMoney(m.amount_minor(), m.currency_code());
}

// Query-string safe (tokens are base64url already; ids are UUIDs).
inline std::string Link(absl::string_view base, absl::string_view path) {
  return absl::StrCat(absl::StripSuffix(base, "/"), path);
}

inline std::string HumanTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", t, absl::UTCTimeZone());
}

}  // namespace store::newsletter::internal

#endif  // STORE_SERVICES_NEWSLETTER_APP_NEWSLETTER_APP_INTERNAL_H_
