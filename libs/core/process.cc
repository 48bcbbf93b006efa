#include "libs/core/process.h"

#include "absl/synchronization/mutex.h"

namespace store {

void InitProcess() { absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore); }

}  // namespace store
