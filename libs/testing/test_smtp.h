// A real SMTP server for tests: tools/smtp-sink (build/bin/smtp-sink) as a child
// process on a free loopback port, writing a maildir of its own. Recipients
// starting with bounce-hard / bounce-soft are refused with 550 / 452.
#ifndef STORE_LIBS_TESTING_TEST_SMTP_H_
#define STORE_LIBS_TESTING_TEST_SMTP_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/testing/process.h"

namespace store::testing {

class TestSmtp {
 public:
  // Starts the sink and waits until it accepts connections.
  static absl::StatusOr<std::unique_ptr<TestSmtp>> Start();
  ~TestSmtp();

  // smtp://127.0.0.1:<port>
  const std::string& url() const { return url_; }
  const std::string& maildir() const { return maildir_; }

  // Every message received so far (raw RFC 5322 text), oldest first.
  std::vector<std::string> Messages() const;
  // Messages whose text contains `needle` (an address, a subject).
  std::vector<std::string> MessagesContaining(const std::string& needle) const;
  // Waits until at least `count` messages contain `needle`.
  bool WaitForMessages(const std::string& needle, size_t count,
                       absl::Duration timeout = absl::Seconds(10)) const;

  // Stops the sink (connections are then refused) and starts it again on
  // the same port and maildir.
  void Stop();
  absl::Status Restart();

 private:
  TestSmtp() = default;
  absl::Status Launch();

  int port_ = 0;
  std::string url_;
  std::string dir_;
  std::string maildir_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace store::testing

#endif  // STORE_LIBS_TESTING_TEST_SMTP_H_
