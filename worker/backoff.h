// Exponential backoff with jitter for reconnecting to the server: a worker
// that lost its server retries soon, then less and less often, and a pool of
// workers that lost the same server does not reconnect in lockstep.
#ifndef CELLFIT_WORKER_BACKOFF_H_
#define CELLFIT_WORKER_BACKOFF_H_

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace cellfit::worker {

class Backoff {
 public:
  // Delays start at `initial`, grow by `multiplier` per attempt up to `max`,
  // and each is spread uniformly by +-`jitter` (a fraction, 0..1).
  Backoff(absl::Duration initial, absl::Duration max, double multiplier = 2.0,
          double jitter = 0.2, uint64_t seed = std::random_device{}());

  // The delay before the next attempt.
  absl::Duration Next();
  // After a success: the next delay is `initial` again.
  void Reset() { current_ = initial_; }

 private:
  const absl::Duration initial_;
  const absl::Duration max_;
  const double multiplier_;
  const double jitter_;
  absl::Duration current_;
  std::mt19937_64 random_;
};

}  // namespace cellfit::worker

#endif  // CELLFIT_WORKER_BACKOFF_H_
