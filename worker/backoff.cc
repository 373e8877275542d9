#include "worker/backoff.h"

#include <algorithm>

namespace cellfit::worker {

Backoff::Backoff(absl::Duration initial, absl::Duration max, double multiplier,
                 double jitter, uint64_t seed)
    : initial_(initial),
      max_(std::max(max, initial)),
      multiplier_(std::max(multiplier, 1.0)),
      jitter_(std::clamp(jitter, 0.0, 1.0)),
      current_(initial),
      random_(seed) {}

absl::Duration Backoff::Next() {
  absl::Duration base = current_;
  current_ = std::min(current_ * multiplier_, max_);
  std::uniform_real_distribution<double> spread(1.0 - jitter_, 1.0 + jitter_);
  return base * spread(random_);
}

}  // namespace cellfit::worker
