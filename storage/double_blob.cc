#include "storage/double_blob.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cellfit::storage {

std::string EncodeDoubles(absl::Span<const double> values) {
  std::string blob(values.size() * 8, '\0');
  if constexpr (std::endian::native == std::endian::little) {
    if (!values.empty()) std::memcpy(blob.data(), values.data(), blob.size());
  } else {
    for (size_t i = 0; i < values.size(); ++i) {
      const uint64_t bits =
          __builtin_bswap64(std::bit_cast<uint64_t>(values[i]));
      std::memcpy(blob.data() + 8 * i, &bits, sizeof bits);
    }
  }
  return blob;
}

absl::StatusOr<std::vector<double>> DecodeDoubles(std::string_view blob) {
  if (blob.size() % 8 != 0) {
    return absl::DataLossError(absl::StrCat(
        "a blob of doubles has ", blob.size(), " bytes, not a multiple of 8"));
  }
  std::vector<double> values(blob.size() / 8);
  for (size_t i = 0; i < values.size(); ++i) values[i] = DoubleAt(blob, i);
  return values;
}

}  // namespace cellfit::storage
