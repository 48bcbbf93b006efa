#include "services/newsletter/mail/smtp_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/core/status.h"

namespace store::newsletter {
namespace {

void InitCurlOnce() {
  static const CURLcode kInit = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)kInit;
}

struct Upload {
  const std::string* data;
  size_t offset = 0;
};

size_t ReadChunk(char* buffer, size_t size, size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, up->data->size() - up->offset);
  std::memcpy(buffer, up->data->data() + up->offset, n);
  up->offset += n;
  return n;
}

class SmtpTransport : public MailTransport {
 public:
  explicit SmtpTransport(SmtpOptions options) : options_(std::move(options)) {
    InitCurlOnce();
    curl_ = curl_easy_init();
  }
  ~SmtpTransport() override {
    if (curl_ != nullptr) curl_easy_cleanup(curl_);
  }

  SendOutcome Send(const std::string& envelope_from, const std::string& recipient,
                   const std::string& message) override {
    if (curl_ == nullptr) return {SendOutcome::kTransient, 0, "libcurl could not start"};
    // The handle keeps its connection between messages; options are set
    // again for each one.
    curl_easy_reset(curl_);
    char error[CURL_ERROR_SIZE] = {0};
    Upload upload{&message, 0};
    curl_slist* rcpt = curl_slist_append(nullptr, absl::StrCat("<", recipient, ">").c_str());
    const std::string from = absl::StrCat("<", envelope_from, ">");
    const std::string url = absl::StrCat(options_.url, "/", options_.helo_name);
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(curl_, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl_, CURLOPT_READFUNCTION, &ReadChunk);
    curl_easy_setopt(curl_, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl_, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    curl_easy_setopt(curl_, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(options_.timeout)));
    curl_easy_setopt(curl_, CURLOPT_USE_SSL,
                     options_.require_tls ? static_cast<long>(CURLUSESSL_ALL)
                                          : static_cast<long>(CURLUSESSL_TRY));
    if (!options_.username.empty()) {
      curl_easy_setopt(curl_, CURLOPT_USERNAME, options_.username.c_str());
      curl_easy_setopt(curl_, CURLOPT_PASSWORD, options_.password.c_str());
    }
    const CURLcode rc = curl_easy_perform(curl_);
    curl_slist_free_all(rcpt);
    long code = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &code);
    SendOutcome out;
    out.smtp_code = static_cast<int>(code);
    if (rc == CURLE_OK) {
      out.kind = SendOutcome::kSent;
      out.detail = absl::StrCat(code);
      return out;
    }
    out.detail = absl::StrCat(curl_easy_strerror(rc), error[0] != 0 ? ": " : "", error,
                              code != 0 ? absl::StrCat(" (SMTP ", code, ")") : "");
    // Which command failed is not reported apart; libcurl says RCPT in the
    // error text when the recipient was refused.
    const bool about_recipient = absl::StrContains(absl::AsciiStrToLower(error), "rcpt");
    if (code >= 500 && code < 600) {
      out.kind = about_recipient && (code == 550 || code == 551 || code == 553)
                     ? SendOutcome::kHardBounce
                     : SendOutcome::kRejected;
    } else if (code >= 400 && code < 500) {
      out.kind = about_recipient && (code == 450 || code == 451 || code == 452)
                     ? SendOutcome::kSoftBounce
                     : SendOutcome::kTransient;
    } else {
      out.kind = SendOutcome::kTransient;  // no reply: connection, TLS, timeout
    }
    return out;
  }

 private:
  const SmtpOptions options_;
  CURL* curl_ = nullptr;
};

}  // namespace

absl::Status ValidateSmtpOptions(const SmtpOptions& options) {
  if (!absl::StartsWith(options.url, "smtp://") && !absl::StartsWith(options.url, "smtps://")) {
    return InvalidField("SMTP_URL", "must start with smtp:// or smtps:// (smtp://host:port)");
  }
  if (absl::StrContains(options.url.substr(options.url.find("//") + 2), "/")) {
    return InvalidField("SMTP_URL", "must be smtp://host:port without a path");
  }
  return absl::OkStatus();
}

std::unique_ptr<MailTransport> NewSmtpTransport(const SmtpOptions& options) {
  return std::make_unique<SmtpTransport>(options);
}

}  // namespace store::newsletter
