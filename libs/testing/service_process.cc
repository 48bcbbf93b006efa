#include "libs/testing/service_process.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/core/ids.h"
#include "libs/grpcx/server.h"
#include "libs/testing/wait.h"

namespace store::testing {

ServiceProcess::ServiceProcess(std::string name, std::map<std::string, std::string> env)
    : name_(std::move(name)) {
  env_ = {{"GRPC_LISTEN", absl::StrCat("127.0.0.1:", FreePort())},
          {"METRICS_LISTEN", absl::StrCat("127.0.0.1:", FreePort())},
          {"SHUTDOWN_GRACE", "10s"},
          {"LOG_LEVEL", "warning"}};
  for (auto& [k, v] : env) env_[k] = std::move(v);
  addr_ = env_["GRPC_LISTEN"];
  metrics_addr_ = env_["METRICS_LISTEN"];
  log_ = absl::StrCat(::testing::TempDir(), name_, "-service-", NewUuid(), ".log");
  channel_ = grpcx::MakeChannel(addr_);
}

ServiceProcess::~ServiceProcess() = default;  // ChildProcess kills a running child

absl::Status ServiceProcess::Start(absl::Duration timeout) {
  if (process_ != nullptr && process_->Running()) {
    return absl::FailedPreconditionError(absl::StrCat(name_, "-service is already running"));
  }
  process_ = std::make_unique<ChildProcess>(name_ + "-service", env_, log_);
  // A fresh channel: one that saw the process gone for long waits out its
  // reconnect backoff (up to minutes) before it looks again.
  channel_ = grpcx::MakeChannel(addr_);
  if (!WaitFor([&] { return Serving() || !process_->Running(); }, timeout) || !Serving()) {
    const bool running = process_->Running();
    return absl::UnavailableError(absl::StrCat(
        name_, "-service did not become SERVING within ", absl::FormatDuration(timeout),
        running ? absl::StrCat(" (running; health 'database' ",
                               Serving("database") ? "SERVING" : "not SERVING", ")")
                : " (it exited)",
        "; log: ", log_));
  }
  return absl::OkStatus();
}

void ServiceProcess::Signal(int sig) {
  if (process_ != nullptr) process_->Signal(sig);
}

int ServiceProcess::Wait(absl::Duration timeout) {
  return process_ != nullptr ? process_->Wait(timeout) : 0;
}

bool ServiceProcess::Running() { return process_ != nullptr && process_->Running(); }

bool ServiceProcess::Serving(const std::string& check) const {
  return grpcx::CheckHealth(channel_, check, absl::Milliseconds(300)).ok();
}

}  // namespace store::testing
