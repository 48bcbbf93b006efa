// Waiting on a condition instead of sleeping a fixed time.
#ifndef STORE_LIBS_TESTING_WAIT_H_
#define STORE_LIBS_TESTING_WAIT_H_

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace store::testing {

// Polls `condition` every few milliseconds until it holds (true) or
// `timeout` passes (false).
inline bool WaitFor(const std::function<bool()>& condition,
                    absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

}  // namespace store::testing

#endif  // STORE_LIBS_TESTING_WAIT_H_
