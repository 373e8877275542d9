#include "server/optimize/state_codec.h"

#include <bit>
#include <cstring>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "server/optimize/absl_compat.h"
#include "server/optimize/status_macros.h"

namespace cellfit::optimize {
namespace {

// Guards allocations while reading: no optimizer state comes near this.
constexpr uint64_t kMaxElements = uint64_t{1} << 32;

// Whole words at a time: a fit round's checkpoint is some 2.6 kB, written
// on the round's critical path.
template <typename Word>
void AppendLittleEndian(std::string& bytes, Word value) {
  char little_endian[sizeof(Word)];
  for (size_t i = 0; i < sizeof(Word); ++i) {
    little_endian[i] = static_cast<char>(value >> (8 * i));
  }
  bytes.append(little_endian, sizeof little_endian);
}

}  // namespace

void StateWriter::PutU8(uint8_t value) {
  bytes_.push_back(static_cast<char>(value));
}

void StateWriter::PutU32(uint32_t value) { AppendLittleEndian(bytes_, value); }

void StateWriter::PutU64(uint64_t value) { AppendLittleEndian(bytes_, value); }

void StateWriter::PutI64(int64_t value) {
  PutU64(static_cast<uint64_t>(value));
}

void StateWriter::PutDouble(double value) {
  PutU64(std::bit_cast<uint64_t>(value));
}

void StateWriter::PutString(std::string_view value) {
  PutU64(value.size());
  bytes_.append(value);
}

void StateWriter::PutVector(const Eigen::VectorXd& value) {
  PutU64(static_cast<uint64_t>(value.size()));
  for (Eigen::Index i = 0; i < value.size(); ++i) PutDouble(value[i]);
}

void StateWriter::PutMatrix(const Eigen::MatrixXd& value) {
  PutU64(static_cast<uint64_t>(value.rows()));
  PutU64(static_cast<uint64_t>(value.cols()));
  for (Eigen::Index c = 0; c < value.cols(); ++c) {
    for (Eigen::Index r = 0; r < value.rows(); ++r) PutDouble(value(r, c));
  }
}

void StateWriter::PutDoubles(const std::vector<double>& value) {
  PutU64(value.size());
  for (double v : value) PutDouble(v);
}

absl::Status StateReader::Need(size_t n, std::string_view field) const {
  if (bytes_.size() - position_ < n) {
    return absl::DataLossError(
        absl::StrCat("optimizer state is truncated while reading '", Sv(field),
                     "' at byte ", position_, " (", n, " bytes needed, ",
                     bytes_.size() - position_, " left)"));
  }
  return absl::OkStatus();
}

absl::Status StateReader::CheckCount(uint64_t count, size_t element_size,
                                     std::string_view field) const {
  if (count > kMaxElements ||
      count * element_size > bytes_.size() - position_) {
    return absl::DataLossError(absl::StrCat(
        "optimizer state is corrupt: '", Sv(field), "' claims ", count,
        " elements but only ", bytes_.size() - position_, " bytes are left"));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint8_t> StateReader::GetU8(std::string_view field) {
  OPTIMIZE_RETURN_IF_ERROR(Need(1, field));
  return static_cast<uint8_t>(bytes_[position_++]);
}

absl::StatusOr<uint32_t> StateReader::GetU32(std::string_view field) {
  OPTIMIZE_RETURN_IF_ERROR(Need(4, field));
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    value |= uint32_t{static_cast<uint8_t>(bytes_[position_++])} << (8 * i);
  }
  return value;
}

absl::StatusOr<uint64_t> StateReader::GetU64(std::string_view field) {
  OPTIMIZE_RETURN_IF_ERROR(Need(8, field));
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= uint64_t{static_cast<uint8_t>(bytes_[position_++])} << (8 * i);
  }
  return value;
}

absl::StatusOr<int64_t> StateReader::GetI64(std::string_view field) {
  OPTIMIZE_ASSIGN_OR_RETURN(uint64_t bits, GetU64(field));
  return static_cast<int64_t>(bits);
}

absl::StatusOr<bool> StateReader::GetBool(std::string_view field) {
  OPTIMIZE_ASSIGN_OR_RETURN(uint8_t byte, GetU8(field));
  if (byte > 1) {
    return absl::DataLossError(absl::StrCat("optimizer state is corrupt: '",
                                            Sv(field), "' is not a boolean"));
  }
  return byte == 1;
}

absl::StatusOr<double> StateReader::GetDouble(std::string_view field) {
  OPTIMIZE_ASSIGN_OR_RETURN(uint64_t bits, GetU64(field));
  return std::bit_cast<double>(bits);
}

absl::StatusOr<std::string> StateReader::GetString(std::string_view field) {
  OPTIMIZE_ASSIGN_OR_RETURN(uint64_t size, GetU64(field));
  OPTIMIZE_RETURN_IF_ERROR(CheckCount(size, 1, field));
  std::string value(bytes_.substr(position_, size));
  position_ += size;
  return value;
}

absl::StatusOr<Eigen::VectorXd> StateReader::GetVector(std::string_view field) {
  OPTIMIZE_ASSIGN_OR_RETURN(uint64_t size, GetU64(field));
  OPTIMIZE_RETURN_IF_ERROR(CheckCount(size, 8, field));
  Eigen::VectorXd value(static_cast<Eigen::Index>(size));
  for (Eigen::Index i = 0; i < value.size(); ++i) {
    OPTIMIZE_ASSIGN_OR_RETURN(value[i], GetDouble(field));
  }
  return value;
}

absl::StatusOr<Eigen::MatrixXd> StateReader::GetMatrix(std::string_view field) {
  OPTIMIZE_ASSIGN_OR_RETURN(uint64_t rows, GetU64(field));
  OPTIMIZE_ASSIGN_OR_RETURN(uint64_t cols, GetU64(field));
  if (rows > kMaxElements || cols > kMaxElements) {
    return CheckCount(kMaxElements + 1, 8, field);
  }
  OPTIMIZE_RETURN_IF_ERROR(CheckCount(rows * cols, 8, field));
  Eigen::MatrixXd value(static_cast<Eigen::Index>(rows),
                        static_cast<Eigen::Index>(cols));
  for (Eigen::Index c = 0; c < value.cols(); ++c) {
    for (Eigen::Index r = 0; r < value.rows(); ++r) {
      OPTIMIZE_ASSIGN_OR_RETURN(value(r, c), GetDouble(field));
    }
  }
  return value;
}

absl::StatusOr<std::vector<double>> StateReader::GetDoubles(
    std::string_view field) {
  OPTIMIZE_ASSIGN_OR_RETURN(uint64_t size, GetU64(field));
  OPTIMIZE_RETURN_IF_ERROR(CheckCount(size, 8, field));
  std::vector<double> value(size);
  for (double& v : value) {
    OPTIMIZE_ASSIGN_OR_RETURN(v, GetDouble(field));
  }
  return value;
}

absl::StatusOr<Eigen::VectorXd> StateReader::GetVectorOfSize(
    std::string_view field, Eigen::Index size) {
  OPTIMIZE_ASSIGN_OR_RETURN(Eigen::VectorXd value, GetVector(field));
  if (value.size() != size) {
    return absl::DataLossError(absl::StrCat("optimizer state does not fit: '",
                                            Sv(field), "' has ", value.size(),
                                            " entries, expected ", size));
  }
  return value;
}

absl::StatusOr<Eigen::MatrixXd> StateReader::GetMatrixOfShape(
    std::string_view field, Eigen::Index rows, Eigen::Index cols) {
  OPTIMIZE_ASSIGN_OR_RETURN(Eigen::MatrixXd value, GetMatrix(field));
  if (value.rows() != rows || value.cols() != cols) {
    return absl::DataLossError(absl::StrCat(
        "optimizer state does not fit: '", Sv(field), "' is ", value.rows(),
        "x", value.cols(), ", expected ", rows, "x", cols));
  }
  return value;
}

absl::Status StateReader::ExpectEnd() const {
  if (!AtEnd()) {
    return absl::DataLossError(
        absl::StrCat("optimizer state has ", bytes_.size() - position_,
                     " unexpected trailing bytes at byte ", position_));
  }
  return absl::OkStatus();
}

}  // namespace cellfit::optimize
