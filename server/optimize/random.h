// Seeded random numbers whose every draw is fixed by this file.
//
// Optimizer runs must be reproducible from their seed and restorable from a
// checkpoint on any build. std::mt19937_64 is specified bit for bit by the C++
// standard, but the standard distributions (uniform_real_distribution,
// normal_distribution, ...) are not: libstdc++ and libc++ differ, and have
// changed between releases. So the engine is the standard one and every
// distribution is written here.
#ifndef CELLFIT_SERVER_OPTIMIZE_RANDOM_H_
#define CELLFIT_SERVER_OPTIMIZE_RANDOM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "server/optimize/mersenne_twister.h"
#include "server/optimize/state_codec.h"

namespace cellfit::optimize {

// A stateless 64-bit mixer (SplitMix64's finaliser). Derives independent
// seeds from a base seed and indices, e.g. the seed of run i, restart k.
uint64_t MixSeed(uint64_t seed, uint64_t a, uint64_t b = 0);

class Random {
 public:
  explicit Random(uint64_t seed);

  // Uniform on [0, 1), 53 random bits: every value is a multiple of 2^-53.
  double Uniform();

  // Uniform integer in [0, n), n >= 1, without modulo bias (rejection).
  uint64_t UniformInt(uint64_t n);

  // Standard normal by the Box–Muller transform. Each transform yields two
  // values; the second is kept for the next call (and saved with the state).
  double Normal();

  // A uniformly random permutation of 0..n-1 (Fisher–Yates).
  std::vector<int> Permutation(int n);

  void Save(StateWriter& writer) const;
  absl::Status Restore(StateReader& reader);

 private:
  MersenneTwister64 engine_;
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

}  // namespace cellfit::optimize

#endif  // CELLFIT_SERVER_OPTIMIZE_RANDOM_H_
