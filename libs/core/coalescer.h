// Gathers concurrent calls into batches: a call that arrives while
// `max_in_flight` batches are on their way waits, and goes with the others
// that arrived meanwhile in the next batch. A lone call goes at once, so an
// idle caller pays nothing; under load one round trip serves many calls.
//
// `send` answers a batch with one result per request, in order (a missing
// result, or every result of a batch whose `send` threw, is a
// default-constructed Result: for absl::StatusOr, an UNKNOWN error). It runs
// on the thread of one of the waiting callers, never under the coalescer's
// lock, and may run `max_in_flight` times at once.
#ifndef STORE_LIBS_CORE_COALESCER_H_
#define STORE_LIBS_CORE_COALESCER_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace store {

template <typename Request, typename Result>
class Coalescer {
 public:
  using SendFn = std::function<std::vector<Result>(const std::vector<Request>&)>;

  Coalescer(SendFn send, size_t max_batch, int max_in_flight)
      : send_(std::move(send)), max_batch_(max_batch), max_in_flight_(max_in_flight) {}

  Coalescer(const Coalescer&) = delete;
  Coalescer& operator=(const Coalescer&) = delete;

  Result Call(Request request) {
    Waiter me{std::move(request), std::nullopt};
    std::unique_lock<std::mutex> lock(mu_);
    queue_.push_back(&me);
    while (!me.result.has_value()) {
      if (queue_.empty() || in_flight_ >= max_in_flight_) {
        done_.wait(lock);
        continue;
      }
      // Lead: take the oldest waiting calls (this one among them, unless
      // more than a batch waits), send them, hand out the answers.
      std::vector<Waiter*> batch;
      for (auto it = queue_.begin(); it != queue_.end() && batch.size() < max_batch_;) {
        batch.push_back(*it);
        it = queue_.erase(it);
      }
      ++in_flight_;
      lock.unlock();
      std::vector<Request> requests;
      requests.reserve(batch.size());
      for (Waiter* w : batch) requests.push_back(std::move(w->request));
      std::vector<Result> results;
      try {
        results = send_(requests);
      } catch (...) {
        results.clear();  // every call of the batch gets the default result
      }
      results.resize(batch.size());
      lock.lock();
      --in_flight_;
      ++batches_;
      for (size_t i = 0; i < batch.size(); ++i) batch[i]->result = std::move(results[i]);
      done_.notify_all();
    }
    return *std::move(me.result);
  }

  // Batches answered so far.
  size_t batches() const {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }
  // Calls waiting for a batch to take them.
  size_t queued() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
  }

 private:
  struct Waiter {
    Request request;
    std::optional<Result> result;
  };

  const SendFn send_;
  const size_t max_batch_;
  const int max_in_flight_;
  mutable std::mutex mu_;
  std::condition_variable done_;
  std::deque<Waiter*> queue_;
  int in_flight_ = 0;
  size_t batches_ = 0;
};

}  // namespace store

#endif  // STORE_LIBS_CORE_COALESCER_H_
