#include "server/optimize/optimizer.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/optimize/absl_compat.h"
#include "server/optimize/status_macros.h"
#include "server/optimize/unit_box.h"

namespace cellfit::optimize {
namespace {

constexpr std::string_view kMagic = "cellfit.optimize.state";
// Bump when the layout changes; checkpoints this build cannot read then fail
// with a clear error instead of being misread. Version 1 kept the random
// engine as the standard engine's text, version 2 keeps its words; Random
// reads both, so version 1 checkpoints (fits in older databases) still
// resume.
constexpr uint32_t kVersion = 2;
constexpr uint32_t kOldestReadableVersion = 1;

}  // namespace

Optimizer::Optimizer(std::string method, ParameterSpace space, int n_samples,
                     uint64_t seed, std::map<std::string, double> options)
    : method_(std::move(method)),
      space_(std::move(space)),
      n_samples_(n_samples),
      seed_(seed),
      options_(std::move(options)),
      best_error_(std::numeric_limits<double>::infinity()) {}

absl::StatusOr<Eigen::MatrixXd> Optimizer::Ask() {
  if (awaiting_tell_) return outstanding_physical_;
  OPTIMIZE_ASSIGN_OR_RETURN(Eigen::MatrixXd unit, Propose());
  // A violation here is a bug in the algorithm; refuse to hand it out.
  if (unit.rows() != n_samples_ || unit.cols() != dimension() ||
      !InUnitBox(unit)) {
    return absl::InternalError(absl::StrCat(
        "optimizer ", method_, " proposed a ", unit.rows(), "x", unit.cols(),
        " candidate matrix outside the unit box (expected ", n_samples_, "x",
        dimension(), " within [0, 1])"));
  }
  outstanding_physical_ = space_.ToPhysicalRows(unit);
  outstanding_unit_ = std::move(unit);
  awaiting_tell_ = true;
  return outstanding_physical_;
}

absl::Status Optimizer::Tell(const Eigen::MatrixXd& candidates,
                             const Eigen::VectorXd& errors) {
  if (!awaiting_tell_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Tell on optimizer ", method_,
        " without an outstanding Ask: every round must be asked first"));
  }
  if (candidates.rows() != n_samples_ || candidates.cols() != dimension()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Tell got a ", candidates.rows(), "x", candidates.cols(),
        " candidate matrix; the last Ask gave ", n_samples_, "x", dimension()));
  }
  if (errors.size() != n_samples_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Tell got ", errors.size(), " errors for ", n_samples_, " candidates"));
  }
  for (Eigen::Index r = 0; r < candidates.rows(); ++r) {
    for (Eigen::Index c = 0; c < candidates.cols(); ++c) {
      if (candidates(r, c) != outstanding_physical_(r, c)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "Tell got candidate ", r, " with ", space_.parameters()[c].name,
            " = ", candidates(r, c), ", but the last Ask proposed ",
            outstanding_physical_(r, c),
            "; tell the errors of exactly the asked candidates, in order"));
      }
    }
  }
  Eigen::VectorXd sanitized = errors;
  for (Eigen::Index i = 0; i < sanitized.size(); ++i) {
    if (!std::isfinite(sanitized[i])) {
      sanitized[i] = std::numeric_limits<double>::infinity();
    }
  }
  OPTIMIZE_RETURN_IF_ERROR(Update(outstanding_unit_, sanitized));
  for (Eigen::Index i = 0; i < sanitized.size(); ++i) {
    if (sanitized[i] < best_error_) {
      best_error_ = sanitized[i];
      best_point_ = outstanding_physical_.row(i).transpose();
    }
  }
  ++rounds_told_;
  awaiting_tell_ = false;
  return absl::OkStatus();
}

void Optimizer::SaveEnvelope(StateWriter& writer) const {
  writer.PutString(kMagic);
  writer.PutU32(kVersion);
  writer.PutString(method_);
  writer.PutU64(seed_);
  writer.PutU32(static_cast<uint32_t>(n_samples_));
  writer.PutU32(static_cast<uint32_t>(dimension()));
  for (const ParameterBounds& p : space_.parameters()) {
    writer.PutString(p.name);
    writer.PutDouble(p.lower);
    writer.PutDouble(p.upper);
    writer.PutBool(p.log_scale);
  }
  writer.PutU32(static_cast<uint32_t>(options_.size()));
  for (const auto& [name, value] : options_) {
    writer.PutString(name);
    writer.PutDouble(value);
  }
  writer.PutI64(rounds_told_);
  writer.PutBool(awaiting_tell_);
  if (awaiting_tell_) {
    writer.PutMatrix(outstanding_unit_);
    writer.PutMatrix(outstanding_physical_);
  }
  writer.PutVector(best_point_);
  writer.PutDouble(best_error_);
}

std::string Optimizer::SaveState() const {
  StateWriter writer;
  SaveEnvelope(writer);
  StateWriter algorithm;
  SaveAlgorithm(algorithm);
  writer.PutString(algorithm.bytes());
  return writer.Release();
}

absl::Status Optimizer::RestoreState(std::string_view state) {
  StateReader reader(state);
  OPTIMIZE_ASSIGN_OR_RETURN(std::string magic, reader.GetString("magic"));
  if (magic != kMagic) {
    return absl::DataLossError(
        "the bytes are not a cellfit optimizer state (bad magic)");
  }
  OPTIMIZE_ASSIGN_OR_RETURN(uint32_t version, reader.GetU32("version"));
  if (version < kOldestReadableVersion || version > kVersion) {
    return absl::DataLossError(
        absl::StrCat("optimizer state has format version ", version,
                     "; this build reads versions ", kOldestReadableVersion,
                     " to ", kVersion));
  }
  const auto mismatch = [this](std::string_view what, const auto& saved,
                               const auto& configured) {
    return absl::InvalidArgumentError(
        absl::StrCat("optimizer state was saved with ", Sv(what), " ", saved,
                     " but is restored into an optimizer with ", Sv(what), " ",
                     configured, " (method ", method_,
                     "); restore with the configuration it was "
                     "saved with"));
  };
  OPTIMIZE_ASSIGN_OR_RETURN(std::string method, reader.GetString("method"));
  if (method != method_) return mismatch("method", method, method_);
  OPTIMIZE_ASSIGN_OR_RETURN(uint64_t seed, reader.GetU64("seed"));
  if (seed != seed_) return mismatch("seed", seed, seed_);
  OPTIMIZE_ASSIGN_OR_RETURN(uint32_t n_samples, reader.GetU32("n_samples"));
  if (static_cast<int>(n_samples) != n_samples_) {
    return mismatch("n_samples", n_samples, n_samples_);
  }
  OPTIMIZE_ASSIGN_OR_RETURN(uint32_t dimension, reader.GetU32("dimension"));
  if (static_cast<int>(dimension) != this->dimension()) {
    return mismatch("parameter count", dimension, this->dimension());
  }
  for (const ParameterBounds& p : space_.parameters()) {
    OPTIMIZE_ASSIGN_OR_RETURN(std::string name, reader.GetString("name"));
    OPTIMIZE_ASSIGN_OR_RETURN(double lower, reader.GetDouble("lower bound"));
    OPTIMIZE_ASSIGN_OR_RETURN(double upper, reader.GetDouble("upper bound"));
    OPTIMIZE_ASSIGN_OR_RETURN(bool log_scale, reader.GetBool("log scale"));
    if (name != p.name || lower != p.lower || upper != p.upper ||
        log_scale != p.log_scale) {
      return mismatch("parameter",
                      absl::StrCat(name, " [", lower, ", ", upper, "]",
                                   log_scale ? " log" : ""),
                      absl::StrCat(p.name, " [", p.lower, ", ", p.upper, "]",
                                   p.log_scale ? " log" : ""));
    }
  }
  OPTIMIZE_ASSIGN_OR_RETURN(uint32_t n_options, reader.GetU32("option count"));
  std::map<std::string, double> options;
  for (uint32_t i = 0; i < n_options; ++i) {
    OPTIMIZE_ASSIGN_OR_RETURN(std::string name, reader.GetString("option"));
    OPTIMIZE_ASSIGN_OR_RETURN(options[name], reader.GetDouble("option value"));
  }
  if (options != options_) {
    const auto format = [](const std::map<std::string, double>& o) {
      std::string text = "{";
      for (const auto& [name, value] : o) {
        absl::StrAppend(&text, text.size() > 1 ? ", " : "", name, "=", value);
      }
      return text + "}";
    };
    return mismatch("options", format(options), format(options_));
  }
  OPTIMIZE_ASSIGN_OR_RETURN(int64_t rounds_told, reader.GetI64("rounds told"));
  OPTIMIZE_ASSIGN_OR_RETURN(bool awaiting, reader.GetBool("awaiting tell"));
  Eigen::MatrixXd outstanding_unit;
  Eigen::MatrixXd outstanding_physical;
  if (awaiting) {
    OPTIMIZE_ASSIGN_OR_RETURN(
        outstanding_unit,
        reader.GetMatrixOfShape("asked candidates", n_samples_, dimension));
    OPTIMIZE_ASSIGN_OR_RETURN(
        outstanding_physical,
        reader.GetMatrixOfShape("asked candidates", n_samples_, dimension));
  }
  OPTIMIZE_ASSIGN_OR_RETURN(Eigen::VectorXd best_point,
                            reader.GetVector("best point"));
  if (best_point.size() != 0 && best_point.size() != dimension) {
    return absl::DataLossError("optimizer state has a malformed best point");
  }
  OPTIMIZE_ASSIGN_OR_RETURN(double best_error, reader.GetDouble("best error"));
  OPTIMIZE_ASSIGN_OR_RETURN(std::string algorithm,
                            reader.GetString("algorithm state"));
  OPTIMIZE_RETURN_IF_ERROR(reader.ExpectEnd());

  StateReader algorithm_reader(algorithm);
  OPTIMIZE_RETURN_IF_ERROR(RestoreAlgorithm(algorithm_reader));
  rounds_told_ = rounds_told;
  awaiting_tell_ = awaiting;
  outstanding_unit_ = std::move(outstanding_unit);
  outstanding_physical_ = std::move(outstanding_physical);
  best_point_ = std::move(best_point);
  best_error_ = best_error;
  return absl::OkStatus();
}

}  // namespace cellfit::optimize
