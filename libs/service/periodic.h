// A background job run every `interval` on its own thread (expiry, refresh
// and clean-up schedulers). The first run comes one interval after Start (or
// at Wake);
// Stop wakes the thread and waits for the current run to end.
#ifndef STORE_LIBS_SERVICE_PERIODIC_H_
#define STORE_LIBS_SERVICE_PERIODIC_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace store {

class PeriodicTask {
 public:
  PeriodicTask(std::string name, absl::Duration interval, std::function<absl::Status()> run);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  void Start();
  void Stop();
  // Runs the job soon (now, or once the current run ends) instead of at the
  // end of the interval; the interval then starts again.
  void Wake();

 private:
  void Loop();

  const std::string name_;
  const absl::Duration interval_;
  const std::function<absl::Status()> run_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace store

#endif  // STORE_LIBS_SERVICE_PERIODIC_H_
