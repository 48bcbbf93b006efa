#include "libs/core/coalescer.h"

#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/wait.h"

namespace store {
namespace {

using ::testing::ElementsAre;

// A `send` that doubles each request, records the batches and, while
// closed, holds every batch until it opens.
class Backend {
 public:
  std::vector<int> Send(const std::vector<int>& requests) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      sizes_.push_back(requests.size());
      ++sending_;
      open_cv_.wait(lock, [&] { return open_; });
      --sending_;
    }
    std::vector<int> out;
    for (int r : requests) out.push_back(2 * r);
    return out;
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = false;
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    open_cv_.notify_all();
  }
  int sending() {
    std::lock_guard<std::mutex> lock(mu_);
    return sending_;
  }
  std::vector<size_t> sizes() {
    std::lock_guard<std::mutex> lock(mu_);
    return sizes_;
  }

 private:
  std::mutex mu_;
  std::condition_variable open_cv_;
  bool open_ = true;
  int sending_ = 0;
  std::vector<size_t> sizes_;
};

TEST(CoalescerTest, ALoneCallGoesAtOnce) {
  Backend backend;
  Coalescer<int, int> c([&](const std::vector<int>& r) { return backend.Send(r); }, 10, 1);
  EXPECT_EQ(c.Call(21), 42);
  EXPECT_EQ(c.Call(5), 10);
  EXPECT_THAT(backend.sizes(), ElementsAre(1, 1));
}

TEST(CoalescerTest, CallsThatArriveDuringABatchGoTogetherInTheNext) {
  Backend backend;
  Coalescer<int, int> c([&](const std::vector<int>& r) { return backend.Send(r); }, 100, 1);
  backend.Close();
  auto first = std::async(std::launch::async, [&] { return c.Call(1); });
  ASSERT_TRUE(testing::WaitFor([&] { return backend.sending() == 1; }));
  std::vector<std::future<int>> rest;
  for (int i = 2; i <= 11; ++i) {
    rest.push_back(std::async(std::launch::async, [&c, i] { return c.Call(i); }));
  }
  ASSERT_TRUE(testing::WaitFor([&] { return c.queued() == 10; }));
  backend.Open();
  EXPECT_EQ(first.get(), 2);
  for (int i = 2; i <= 11; ++i) EXPECT_EQ(rest[i - 2].get(), 2 * i);
  EXPECT_THAT(backend.sizes(), ElementsAre(1, 10));
  EXPECT_EQ(c.batches(), 2u);
}

TEST(CoalescerTest, BatchesAreCappedAndSeveralMayBeInFlight) {
  Backend backend;
  Coalescer<int, int> c([&](const std::vector<int>& r) { return backend.Send(r); }, 4, 2);
  backend.Close();
  std::vector<std::future<int>> calls;
  calls.push_back(std::async(std::launch::async, [&] { return c.Call(0); }));
  calls.push_back(std::async(std::launch::async, [&] { return c.Call(1); }));
  // Two lone calls, each in its own batch: both in flight at once.
  ASSERT_TRUE(testing::WaitFor([&] { return backend.sending() == 2; }));
  for (int i = 2; i < 12; ++i) {
    calls.push_back(std::async(std::launch::async, [&c, i] { return c.Call(i); }));
  }
  ASSERT_TRUE(testing::WaitFor([&] { return c.queued() == 10; }));
  backend.Open();
  for (int i = 0; i < 12; ++i) EXPECT_EQ(calls[i].get(), 2 * i);
  std::vector<size_t> sizes = backend.sizes();
  size_t total = 0;
  for (size_t s : sizes) {
    EXPECT_LE(s, 4u);
    total += s;
  }
  EXPECT_EQ(total, 12u);
  EXPECT_GE(sizes.size(), 5u);  // 1 + 1 + at least 3 batches for the 10 that waited
}

TEST(CoalescerTest, AMissingResultIsDefault) {
  Coalescer<int, std::optional<int>> c(
      [](const std::vector<int>&) { return std::vector<std::optional<int>>{}; }, 10, 1);
  EXPECT_EQ(c.Call(1), std::nullopt);
}

TEST(CoalescerTest, ASendThatThrowsAnswersDefaultAndTheNextBatchGoes) {
  bool fail = true;
  Coalescer<int, std::optional<int>> c(
      [&](const std::vector<int>& r) -> std::vector<std::optional<int>> {
        if (fail) throw std::runtime_error("down");
        return {r[0]};
      },
      10, 1);
  EXPECT_EQ(c.Call(1), std::nullopt);
  fail = false;
  EXPECT_EQ(c.Call(2), 2);
}

}  // namespace
}  // namespace store
