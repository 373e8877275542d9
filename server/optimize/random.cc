#include "server/optimize/random.h"

#include <cmath>
#include <limits>
#include <numbers>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/optimize/status_macros.h"

namespace cellfit::optimize {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

uint64_t MixSeed(uint64_t seed, uint64_t a, uint64_t b) {
  return SplitMix64(SplitMix64(SplitMix64(seed) ^ a) ^ b);
}

// The raw seed goes through the mixer so that neighbouring seeds (0, 1, 2,
// ...) give unrelated engine states.
Random::Random(uint64_t seed) : engine_(SplitMix64(seed)) {}

double Random::Uniform() {
  return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
}

uint64_t Random::UniformInt(uint64_t n) {
  // Accept only draws below the largest multiple of n, so every residue is
  // equally likely.
  const uint64_t limit = std::numeric_limits<uint64_t>::max() -
                         std::numeric_limits<uint64_t>::max() % n;
  uint64_t draw;
  do {
    draw = engine_();
  } while (draw >= limit);
  return draw % n;
}

double Random::Normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  // 1 - U lies in (0, 1], so the logarithm is finite.
  const double radius = std::sqrt(-2.0 * std::log(1.0 - Uniform()));
  const double angle = 2.0 * std::numbers::pi * Uniform();
  spare_normal_ = radius * std::sin(angle);
  has_spare_normal_ = true;
  return radius * std::cos(angle);
}

std::vector<int> Random::Permutation(int n) {
  std::vector<int> permutation(n);
  for (int i = 0; i < n; ++i) permutation[i] = i;
  for (int i = n - 1; i > 0; --i) {
    std::swap(permutation[i], permutation[UniformInt(i + 1)]);
  }
  return permutation;
}

// Checkpoints before the binary form kept the standard engine's textual
// form in place of this marker; Restore reads both.
constexpr std::string_view kBinaryEngineMarker = "mt19937_64 words";

void Random::Save(StateWriter& writer) const {
  writer.PutString(kBinaryEngineMarker);
  engine_.Save(writer);
  writer.PutBool(has_spare_normal_);
  writer.PutDouble(spare_normal_);
}

absl::Status Random::Restore(StateReader& reader) {
  OPTIMIZE_ASSIGN_OR_RETURN(std::string form, reader.GetString("rng engine"));
  MersenneTwister64 engine(0);
  if (form == kBinaryEngineMarker) {
    OPTIMIZE_RETURN_IF_ERROR(engine.Restore(reader));
  } else {
    OPTIMIZE_RETURN_IF_ERROR(engine.RestoreFromText(form));
  }
  OPTIMIZE_ASSIGN_OR_RETURN(bool has_spare, reader.GetBool("rng spare flag"));
  OPTIMIZE_ASSIGN_OR_RETURN(double spare, reader.GetDouble("rng spare value"));
  engine_ = engine;
  has_spare_normal_ = has_spare;
  spare_normal_ = spare;
  return absl::OkStatus();
}

}  // namespace cellfit::optimize
