// Random numbers for rand(), randn() and noise terms: a counter-based
// generator, so that a neuron's numbers depend only on the seed, the neuron's
// index, the time step and the call site, never on block size, thread count
// or which worker ran the batch. Shared verbatim by both backends.
#ifndef CELLFIT_WORKER_RUNTIME_RANDOM_H_
#define CELLFIT_WORKER_RUNTIME_RANDOM_H_

#include <cmath>
#include <cstdint>

namespace cellfit_vm {

// SplitMix64's finaliser: a bijective mix with full avalanche.
inline uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline uint64_t RandomBits(uint64_t seed, uint64_t neuron, uint64_t step,
                           uint64_t stream) {
  uint64_t h = Mix64(seed + 0x9e3779b97f4a7c15ULL);
  h = Mix64(h ^ (neuron + 0x632be59bd9b4e019ULL));
  h = Mix64(h ^ (step * 0x9e3779b97f4a7c15ULL + stream));
  return h;
}

// Uniform in [0, 1) with 53 random bits.
inline double RandomUniform(uint64_t seed, uint64_t neuron, uint64_t step,
                            uint64_t stream) {
  return static_cast<double>(RandomBits(seed, neuron, step, 2 * stream) >> 11) *
         (1.0 / 9007199254740992.0);
}

// Standard normal by the Box-Muller transform of two uniforms.
inline double RandomNormal(uint64_t seed, uint64_t neuron, uint64_t step,
                           uint64_t stream) {
  const double u1 =
      (static_cast<double>(RandomBits(seed, neuron, step, 2 * stream) >> 11) +
       1.0) *
      (1.0 / 9007199254740992.0);  // (0, 1]: log stays finite
  const double u2 = static_cast<double>(
                        RandomBits(seed, neuron, step, 2 * stream + 1) >> 11) *
                    (1.0 / 9007199254740992.0);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace cellfit_vm

#endif  // CELLFIT_WORKER_RUNTIME_RANDOM_H_
