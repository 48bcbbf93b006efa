#include "libs/service/periodic.h"

#include "libs/core/log.h"

namespace store {

PeriodicTask::PeriodicTask(std::string name, absl::Duration interval,
                           std::function<absl::Status()> run)
    : name_(std::move(name)), interval_(interval), run_(std::move(run)) {}

PeriodicTask::~PeriodicTask() { Stop(); }

void PeriodicTask::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void PeriodicTask::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicTask::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void PeriodicTask::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, absl::ToChronoNanoseconds(interval_),
                 [this] { return stopping_ || woken_; });
    if (stopping_) break;
    woken_ = false;
    lock.unlock();
    absl::Status s = run_();
    if (!s.ok()) log::Warning("scheduled task failed", {{"task", name_}, {"error", s.ToString()}});
    lock.lock();
  }
}

}  // namespace store
