// Hands finished messages to an SMTP server through libcurl (NEW-05): TLS
// and authentication when configured, one connection reused across
// messages, and each outcome classified for the send queue.
#ifndef STORE_SERVICES_NEWSLETTER_MAIL_SMTP_TRANSPORT_H_
#define STORE_SERVICES_NEWSLETTER_MAIL_SMTP_TRANSPORT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace store::newsletter {

struct SendOutcome {
  enum Kind {
    kSent,        // accepted by the server
    kTransient,   // not accepted, try again later (connection, 4xx)
    kRejected,    // refused for good, not about the recipient (5xx)
    kHardBounce,  // the server refused the recipient for good (550, 551, 553)
    kSoftBounce,  // the server refused the recipient for now (450, 451, 452)
  };
  Kind kind = kSent;
  int smtp_code = 0;
  // The server's reply or the connection error, for the mail log.
  std::string detail;
};

// Sends one message at a time; not thread-safe (one per sender thread).
class MailTransport {
 public:
  virtual ~MailTransport() = default;
  virtual SendOutcome Send(const std::string& envelope_from, const std::string& recipient,
                           const std::string& message) = 0;
};

struct SmtpOptions {
  // smtp://host:port (STARTTLS when `require_tls`), or smtps://host:port.
  std::string url;
  std::string username;
  std::string password;
  // Refuse to send unless the connection is encrypted.
  bool require_tls = false;
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration timeout = absl::Seconds(60);
  // The name announced in EHLO.
  std::string helo_name = "store-backend";
};

// INVALID_ARGUMENT naming SMTP_URL when the URL is not smtp:// or smtps://.
absl::Status ValidateSmtpOptions(const SmtpOptions& options);

std::unique_ptr<MailTransport> NewSmtpTransport(const SmtpOptions& options);

}  // namespace store::newsletter

#endif  // STORE_SERVICES_NEWSLETTER_MAIL_SMTP_TRANSPORT_H_
