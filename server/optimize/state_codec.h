// The byte encoding of optimizer checkpoints.
//
// A checkpoint must restore an optimizer that continues bit for bit as the
// original would have, so every double is stored as its IEEE-754 bit pattern
// and every integer in a fixed width, all little-endian whatever the host.
// The format is a flat sequence of fields written and read in the same order;
// there are no tags, so each reader states what it expects and a truncated or
// mismatched blob fails with an error naming the field being read.
#ifndef CELLFIT_SERVER_OPTIMIZE_STATE_CODEC_H_
#define CELLFIT_SERVER_OPTIMIZE_STATE_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "Eigen/Core"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cellfit::optimize {

class StateWriter {
 public:
  void PutU8(uint8_t value);
  void PutU32(uint32_t value);
  void PutU64(uint64_t value);
  void PutI64(int64_t value);
  void PutBool(bool value) { PutU8(value ? 1 : 0); }
  void PutDouble(double value);
  void PutString(std::string_view value);
  void PutVector(const Eigen::VectorXd& value);
  void PutMatrix(const Eigen::MatrixXd& value);
  void PutDoubles(const std::vector<double>& value);

  const std::string& bytes() const { return bytes_; }
  std::string Release() { return std::move(bytes_); }

 private:
  std::string bytes_;
};

// Reads what a StateWriter wrote. Every getter names the field it reads so
// that a corrupt checkpoint says where it went wrong.
class StateReader {
 public:
  explicit StateReader(std::string_view bytes) : bytes_(bytes) {}

  absl::StatusOr<uint8_t> GetU8(std::string_view field);
  absl::StatusOr<uint32_t> GetU32(std::string_view field);
  absl::StatusOr<uint64_t> GetU64(std::string_view field);
  absl::StatusOr<int64_t> GetI64(std::string_view field);
  absl::StatusOr<bool> GetBool(std::string_view field);
  absl::StatusOr<double> GetDouble(std::string_view field);
  absl::StatusOr<std::string> GetString(std::string_view field);
  absl::StatusOr<Eigen::VectorXd> GetVector(std::string_view field);
  absl::StatusOr<Eigen::MatrixXd> GetMatrix(std::string_view field);
  absl::StatusOr<std::vector<double>> GetDoubles(std::string_view field);

  // Reads a vector that must have `size` entries, or a matrix of a known
  // shape: checkpoints for another problem size are rejected here.
  absl::StatusOr<Eigen::VectorXd> GetVectorOfSize(std::string_view field,
                                                  Eigen::Index size);
  absl::StatusOr<Eigen::MatrixXd> GetMatrixOfShape(std::string_view field,
                                                   Eigen::Index rows,
                                                   Eigen::Index cols);

  bool AtEnd() const { return position_ == bytes_.size(); }
  // An error unless every byte was consumed.
  absl::Status ExpectEnd() const;

 private:
  absl::Status Need(size_t n, std::string_view field) const;
  // Upper bound for element counts: a corrupt count fails fast instead of
  // attempting a huge allocation.
  absl::Status CheckCount(uint64_t count, size_t element_size,
                          std::string_view field) const;

  std::string_view bytes_;
  size_t position_ = 0;
};

}  // namespace cellfit::optimize

#endif  // CELLFIT_SERVER_OPTIMIZE_STATE_CODEC_H_
