// MT19937-64, the engine std::mt19937_64 specifies bit for bit, with its state
// open to a binary checkpoint. The standard engine's only portable view of its
// state is its textual form, 312 numbers in decimal (6.4 kB): formatting it
// was most of the 51 us each fit round spent writing its checkpoint, on the
// round's critical path (11 us with the words), and parsing it slowed every
// restore.
#ifndef CELLFIT_SERVER_OPTIMIZE_MERSENNE_TWISTER_H_
#define CELLFIT_SERVER_OPTIMIZE_MERSENNE_TWISTER_H_

#include <array>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/optimize/state_codec.h"

namespace cellfit::optimize {

class MersenneTwister64 {
 public:
  static constexpr int kStateWords = 312;

  // std::mt19937_64(seed)'s state.
  explicit MersenneTwister64(uint64_t seed);

  // The next output, as std::mt19937_64's operator().
  uint64_t operator()() {
    if (position_ >= kStateWords) Twist();
    uint64_t y = words_[position_++];
    y ^= (y >> 29) & 0x5555555555555555ULL;
    y ^= (y << 17) & 0x71d67fffeda60000ULL;
    y ^= (y << 37) & 0xfff7eee000000000ULL;
    return y ^ (y >> 43);
  }

  // The state words and position, little-endian.
  void Save(StateWriter& writer) const;
  absl::Status Restore(StateReader& reader);
  // The textual form of libstdc++'s std::mt19937_64 (its state words, then
  // its position), as checkpoints before the binary form stored it.
  absl::Status RestoreFromText(absl::string_view text);

 private:
  void Twist();

  std::array<uint64_t, kStateWords> words_;
  int position_ = kStateWords;
};

}  // namespace cellfit::optimize

#endif  // CELLFIT_SERVER_OPTIMIZE_MERSENNE_TWISTER_H_
