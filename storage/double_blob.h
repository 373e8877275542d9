// Vectors of doubles as BLOBs: IEEE-754 binary64, little-endian, packed, no
// header; the length of the blob gives the count. Chosen for the evaluation
// log, where a round writes n_samples rows at once and a read of 10^6 rows must
// be fast: one BLOB per row keeps the row count (and so the b-tree) at one per
// evaluation, and copies back bit for bit (NaN payloads, -0.0 included).
// Outside C++: numpy.frombuffer(blob, '<f8'), struct.unpack('<%dd' % n, blob).
#ifndef CELLFIT_STORAGE_DOUBLE_BLOB_H_
#define CELLFIT_STORAGE_DOUBLE_BLOB_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace cellfit::storage {

std::string EncodeDoubles(absl::Span<const double> values);

// Fails (DataLoss) unless the size is a multiple of 8.
absl::StatusOr<std::vector<double>> DecodeDoubles(std::string_view blob);

// The i-th double of a blob of at least 8*(i+1) bytes; for decoding straight
// into columns without a temporary vector.
inline double DoubleAt(std::string_view blob, size_t i) {
  uint64_t bits;
  std::memcpy(&bits, blob.data() + 8 * i, sizeof bits);
  if constexpr (std::endian::native == std::endian::big) {
    bits = __builtin_bswap64(bits);
  }
  return std::bit_cast<double>(bits);
}

}  // namespace cellfit::storage

#endif  // CELLFIT_STORAGE_DOUBLE_BLOB_H_
