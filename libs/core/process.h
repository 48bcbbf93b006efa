// What every store binary sets up first thing in main().
#ifndef STORE_LIBS_CORE_PROCESS_H_
#define STORE_LIBS_CORE_PROCESS_H_

namespace store {

// Process-wide settings:
// - absl::Mutex deadlock detection off. Debian builds Abseil without
//   NDEBUG, which leaves it on: every lock of an absl::Mutex (gRPC's own
//   locks are absl::Mutex too) then updates a process-wide graph of lock
//   order under one global spin lock, which costs 3.4x an uncontended pair
//   of nested locks and makes threads that share nothing wait on each other.
//   Tests keep it on (they do not call this).
void InitProcess();

}  // namespace store

#endif  // STORE_LIBS_CORE_PROCESS_H_
