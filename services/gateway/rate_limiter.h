// Token-bucket rate limits per key (a token's subject, a client address):
// `rate` requests per second on average, bursts up to `burst`. Sharded so
// the I/O threads rarely meet on a lock; idle full buckets are dropped so
// the memory stays bounded by the active keys.
#ifndef STORE_SERVICES_GATEWAY_RATE_LIMITER_H_
#define STORE_SERVICES_GATEWAY_RATE_LIMITER_H_

#include <array>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace store::gateway {

class RateLimiter {
 public:
  // rate <= 0 disables the limit.
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst) {}

  // Zero when the request may go ahead (one token taken), else how long
  // until one is available (for Retry-After).
  absl::Duration Take(absl::string_view key, absl::Time now);

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  struct Shard {
    std::mutex mu;
    absl::flat_hash_map<std::string, Bucket> buckets;
  };
  static constexpr size_t kShards = 16;
  static constexpr size_t kMaxKeysPerShard = 20000;

  double rate_;
  double burst_;
  std::array<Shard, kShards> shards_;
};

}  // namespace store::gateway

#endif  // STORE_SERVICES_GATEWAY_RATE_LIMITER_H_
