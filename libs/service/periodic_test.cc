#include "libs/service/periodic.h"

#include <atomic>

#include "gtest/gtest.h"
#include "libs/testing/wait.h"

namespace store {
namespace {

TEST(PeriodicTaskTest, WakeRunsAtOnceAndStopEndsTheLoop) {
  std::atomic<int> runs{0};
  PeriodicTask task("test", absl::Hours(1), [&] {
    ++runs;
    return absl::OkStatus();
  });
  task.Wake();  // before Start: the first run comes at once, not in an hour
  task.Start();
  ASSERT_TRUE(testing::WaitFor([&] { return runs.load() == 1; }));
  task.Wake();
  ASSERT_TRUE(testing::WaitFor([&] { return runs.load() == 2; }));
  task.Stop();
  task.Wake();  // harmless once stopped
  EXPECT_EQ(runs.load(), 2);
}

TEST(PeriodicTaskTest, RunsEveryInterval) {
  std::atomic<int> runs{0};
  PeriodicTask task("test", absl::Milliseconds(20), [&] {
    ++runs;
    return absl::InternalError("failures are logged, the schedule goes on");
  });
  task.Start();
  EXPECT_TRUE(testing::WaitFor([&] { return runs.load() >= 3; }));
  task.Stop();
}

}  // namespace
}  // namespace store
