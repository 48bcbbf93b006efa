#include "libs/testing/test_smtp.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "libs/testing/process.h"
#include "libs/testing/wait.h"

namespace store::testing {
namespace {

namespace fs = std::filesystem;

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestSmtp>> TestSmtp::Start() {
  std::unique_ptr<TestSmtp> smtp(new TestSmtp());
  char tmpl[] = "/tmp/store-test-smtp.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("cannot create a temporary directory");
  smtp->dir_ = tmpl;
  smtp->maildir_ = absl::StrCat(smtp->dir_, "/mail");
  smtp->port_ = FreePort();
  smtp->url_ = absl::StrCat("smtp://127.0.0.1:", smtp->port_);
  if (absl::Status s = smtp->Launch(); !s.ok()) return s;
  return smtp;
}

absl::Status TestSmtp::Launch() {
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"smtp-sink", "--listen", absl::StrCat("127.0.0.1:", port_),
                               "--maildir", maildir_},
      std::map<std::string, std::string>{}, absl::StrCat(dir_, "/sink.log"));
  if (!WaitFor([&] { return Accepts(port_) || !process_->Running(); }, absl::Seconds(20)) ||
      !Accepts(port_)) {
    return absl::UnavailableError(
        absl::StrCat("the SMTP sink did not start (log: ", dir_, "/sink.log)"));
  }
  return absl::OkStatus();
}

TestSmtp::~TestSmtp() {
  Stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void TestSmtp::Stop() {
  if (process_ != nullptr) {
    process_->Signal(SIGTERM);
    if (process_->Wait(absl::Seconds(10)) == INT_MIN) process_->Signal(SIGKILL);
    process_.reset();
  }
}

absl::Status TestSmtp::Restart() {
  Stop();
  return Launch();
}

std::vector<std::string> TestSmtp::Messages() const {
  std::vector<std::pair<fs::file_time_type, std::string>> files;
  for (const char* sub : {"new", "cur"}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(maildir_) / sub, ec)) {
      files.emplace_back(e.last_write_time(), e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> out;
  for (const auto& [time, path] : files) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    out.push_back(ss.str());
  }
  return out;
}

std::vector<std::string> TestSmtp::MessagesContaining(const std::string& needle) const {
  std::vector<std::string> out;
  for (std::string& m : Messages()) {
    if (m.find(needle) != std::string::npos) out.push_back(std::move(m));
  }
  return out;
}

bool TestSmtp::WaitForMessages(const std::string& needle, size_t count,
                               absl::Duration timeout) const {
  return WaitFor([&] { return MessagesContaining(needle).size() >= count; }, timeout);
}

}  // namespace store::testing
