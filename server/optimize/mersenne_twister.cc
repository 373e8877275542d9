#include "server/optimize/mersenne_twister.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/optimize/status_macros.h"

namespace cellfit::optimize {
namespace {

// [rand.predef]'s parameters of mt19937_64.
constexpr int kShift = 156;
constexpr uint64_t kTwistMatrix = 0xb5026f5aa96619e9ULL;
constexpr uint64_t kUpperBits = 0xffffffff80000000ULL;
constexpr uint64_t kLowerBits = 0x000000007fffffffULL;
constexpr uint64_t kInitMultiplier = 6364136223846793005ULL;

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(absl::StrCat(
      "optimizer state is corrupt: the random engine state ", what));
}

}  // namespace

MersenneTwister64::MersenneTwister64(uint64_t seed) {
  words_[0] = seed;
  for (int i = 1; i < kStateWords; ++i) {
    const uint64_t previous = words_[i - 1];
    words_[i] = kInitMultiplier * (previous ^ (previous >> 62)) +
                static_cast<uint64_t>(i);
  }
}

void MersenneTwister64::Twist() {
  for (int i = 0; i < kStateWords; ++i) {
    const uint64_t joined =
        (words_[i] & kUpperBits) | (words_[(i + 1) % kStateWords] & kLowerBits);
    words_[i] = words_[(i + kShift) % kStateWords] ^ (joined >> 1) ^
                ((joined & 1) ? kTwistMatrix : 0);
  }
  position_ = 0;
}

void MersenneTwister64::Save(StateWriter& writer) const {
  for (uint64_t word : words_) writer.PutU64(word);
  writer.PutU32(static_cast<uint32_t>(position_));
}

absl::Status MersenneTwister64::Restore(StateReader& reader) {
  std::array<uint64_t, kStateWords> words;
  for (uint64_t& word : words) {
    OPTIMIZE_ASSIGN_OR_RETURN(word, reader.GetU64("rng state word"));
  }
  OPTIMIZE_ASSIGN_OR_RETURN(uint32_t position,
                            reader.GetU32("rng state position"));
  if (position > kStateWords) return Corrupt("has its position out of range");
  words_ = words;
  position_ = static_cast<int>(position);
  return absl::OkStatus();
}

absl::Status MersenneTwister64::RestoreFromText(absl::string_view text) {
  std::vector<absl::string_view> numbers =
      absl::StrSplit(text, ' ', absl::SkipWhitespace());
  if (numbers.size() != kStateWords + 1) return Corrupt("does not parse");
  std::array<uint64_t, kStateWords> words;
  for (int i = 0; i < kStateWords; ++i) {
    if (!absl::SimpleAtoi(numbers[i], &words[i])) {
      return Corrupt("does not parse");
    }
  }
  uint32_t position = 0;
  if (!absl::SimpleAtoi(numbers.back(), &position) || position > kStateWords) {
    return Corrupt("does not parse");
  }
  words_ = words;
  position_ = static_cast<int>(position);
  return absl::OkStatus();
}

}  // namespace cellfit::optimize
