// The RFC 5322 / MIME text of one outgoing mail (NEW-05), built so that no
// caller-supplied value can inject a header or break the structure (SEC-4):
// every header value is checked for CR, LF and other control characters and
// the error names the offending field.
//
// Output: CRLF line endings; header lines folded to at most 76 characters
// where the content allows (an email address or URL is never split); display
// names and the subject plain when printable ASCII, else RFC 2047 "B"
// encoded-words of UTF-8 (each at most 75 characters, whole characters only);
// bodies with line breaks made CRLF (the canonical form of text, RFC 2046),
// then base64 in 76-character lines, charset utf-8; both bodies give a
// multipart/alternative (text first, as RFC 2046 wants the preferred part
// last).
#ifndef STORE_SERVICES_NEWSLETTER_DOMAIN_MAIL_MESSAGE_H_
#define STORE_SERVICES_NEWSLETTER_DOMAIN_MAIL_MESSAGE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace store::newsletter {

struct MailAddress {
  std::string email;  // plain addr-spec: ann@example.com
  std::string name;   // display name, any UTF-8 text; empty for none
};

struct OutgoingMail {
  MailAddress from;
  MailAddress to;
  MailAddress reply_to;  // optional: an empty email means no Reply-To
  std::string subject;
  std::string text_body;  // at least one of the two bodies is required
  std::string html_body;
  // When set: List-Unsubscribe and List-Unsubscribe-Post (RFC 8058 one-click).
  // Must be https:// (http:// is accepted only for localhost / 127.0.0.1).
  std::string list_unsubscribe_url;
  // "id@domain" or "<id@domain>"; required (also seeds the MIME boundary).
  std::string message_id;
  absl::Time date;  // written in UTC, "+0000"
  // Further headers (e.g. X-Campaign-Id, Feedback-ID), written as given after
  // the standard ones. Values must be printable ASCII; long values are folded
  // at whitespace. Names of headers BuildMessage writes itself are refused.
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

// INVALID_ARGUMENT naming `field` when `value` holds CR, LF, NUL, another C0
// control character other than TAB, or DEL; or is not valid UTF-8.
absl::Status CheckHeaderValue(absl::string_view field, absl::string_view value);

// INVALID_ARGUMENT naming `field` unless `email` is a plain addr-spec:
// local@domain, printable ASCII without spaces, control characters or any of
// ()<>[]:;,\" ; at most 254 characters; one '@'; a dot-atom local part of at
// most 64 characters; a domain of letters, digits and hyphens in dot-separated
// labels that has a dot or is "localhost".
absl::Status CheckEmailAddress(absl::string_view field, absl::string_view email);

// The message text, or INVALID_ARGUMENT naming the first bad field:
// from.email, from.name, to.email, to.name, reply_to.email, reply_to.name,
// subject, text_body, html_body, list_unsubscribe_url, message_id, date,
// extra_headers[i].name, extra_headers[i].value.
absl::StatusOr<std::string> BuildMessage(const OutgoingMail& mail);

}  // namespace store::newsletter

#endif  // STORE_SERVICES_NEWSLETTER_DOMAIN_MAIL_MESSAGE_H_
