#include "services/gateway/rate_limiter.h"

#include <algorithm>
#include "absl/hash/hash.h"

namespace store::gateway {

absl::Duration RateLimiter::Take(absl::string_view key, absl::Time now) {
  if (rate_ <= 0) return absl::ZeroDuration();
  Shard& shard = shards_[absl::Hash<absl::string_view>{}(key) % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.buckets.size() >= kMaxKeysPerShard) {
    // Drop the buckets that have refilled: forgetting them changes nothing.
    absl::erase_if(shard.buckets, [&](const auto& entry) {
      return entry.second.tokens + absl::ToDoubleSeconds(now - entry.second.updated) * rate_ >=
             burst_;
    });
  }
  auto [it, inserted] = shard.buckets.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!inserted && now > b.updated) {
    b.tokens = std::min(burst_, b.tokens + absl::ToDoubleSeconds(now - b.updated) * rate_);
    b.updated = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return absl::ZeroDuration();
  }
  return absl::Seconds((1.0 - b.tokens) / rate_);
}

}  // namespace store::gateway
