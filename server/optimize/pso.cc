#include "server/optimize/pso.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <utility>

#include "server/optimize/status_macros.h"

namespace cellfit::optimize {
namespace {

const double kSpsoInertia = 1.0 / (2.0 * std::numbers::ln2);
const double kSpsoAcceleration = 0.5 + std::numbers::ln2;

}  // namespace

absl::StatusOr<PsoOptions> ReadPsoOptions(
    const std::map<std::string, double>& options) {
  OptionReader reader("PSO", options, AcceptedOptions(MethodFamily::kPso));
  OPTIMIZE_RETURN_IF_ERROR(reader.CheckNames());
  PsoOptions result;
  OPTIMIZE_ASSIGN_OR_RETURN(result.inertia,
                            reader.Real("inertia", kSpsoInertia, 0.0, 1.0));
  OPTIMIZE_ASSIGN_OR_RETURN(
      result.cognitive, reader.Real("cognitive", kSpsoAcceleration, 0.0, 4.0));
  OPTIMIZE_ASSIGN_OR_RETURN(result.social,
                            reader.Real("social", kSpsoAcceleration, 0.0, 4.0));
  OPTIMIZE_ASSIGN_OR_RETURN(result.vmax,
                            reader.Real("vmax", 0.5, 0.0, 1.0, true));
  return result;
}

absl::StatusOr<std::unique_ptr<Optimizer>> Pso::Create(
    const OptimizerConfig& config, const ParameterSpace& space, int n_samples) {
  OPTIMIZE_ASSIGN_OR_RETURN(PsoOptions options, ReadPsoOptions(config.options));
  return std::unique_ptr<Optimizer>(new Pso(config, space, n_samples, options));
}

Pso::Pso(const OptimizerConfig& config, const ParameterSpace& space,
         int n_samples, const PsoOptions& options)
    : Optimizer("PSO", space, n_samples, config.seed, config.options),
      options_(options) {
  const int d = space.dimension();
  state_.rng = Random(config.seed);
  state_.position = Eigen::MatrixXd::Zero(n_samples, d);
  state_.velocity = Eigen::MatrixXd::Zero(n_samples, d);
  state_.personal_best = Eigen::MatrixXd::Zero(n_samples, d);
  state_.personal_best_error = Eigen::VectorXd::Constant(
      n_samples, std::numeric_limits<double>::infinity());
}

absl::StatusOr<Eigen::MatrixXd> Pso::Propose() {
  State& s = state_;
  const int n = n_samples();
  const int d = dimension();
  if (!s.started) {
    for (int j = 0; j < n; ++j) {
      for (int k = 0; k < d; ++k) {
        s.position(j, k) = s.rng.Uniform();
        s.velocity(j, k) = (s.rng.Uniform() - s.position(j, k)) / 2.0;
      }
    }
    s.started = true;
    return s.position;
  }
  int leader = 0;
  for (int j = 1; j < n; ++j) {
    if (s.personal_best_error[j] < s.personal_best_error[leader]) leader = j;
  }
  for (int j = 0; j < n; ++j) {
    for (int k = 0; k < d; ++k) {
      const double x = s.position(j, k);
      const double r1 = s.rng.Uniform();
      const double r2 = s.rng.Uniform();
      double v = options_.inertia * s.velocity(j, k) +
                 options_.cognitive * r1 * (s.personal_best(j, k) - x) +
                 options_.social * r2 * (s.personal_best(leader, k) - x);
      v = std::clamp(v, -options_.vmax, options_.vmax);
      double moved = x + v;
      if (moved < 0.0) {
        moved = 0.0;
        v = -0.5 * v;
      } else if (moved > 1.0) {
        moved = 1.0;
        v = -0.5 * v;
      }
      s.position(j, k) = moved;
      s.velocity(j, k) = v;
    }
  }
  return s.position;
}

absl::Status Pso::Update(const Eigen::MatrixXd& candidates,
                         const Eigen::VectorXd& errors) {
  State& s = state_;
  for (int j = 0; j < n_samples(); ++j) {
    // The first round sets every personal best, even to an infinite error.
    if (!s.told || errors[j] < s.personal_best_error[j]) {
      s.personal_best.row(j) = candidates.row(j);
      s.personal_best_error[j] = errors[j];
    }
  }
  s.told = true;
  return absl::OkStatus();
}

void Pso::SaveAlgorithm(StateWriter& writer) const {
  const State& s = state_;
  s.rng.Save(writer);
  writer.PutBool(s.started);
  writer.PutBool(s.told);
  writer.PutMatrix(s.position);
  writer.PutMatrix(s.velocity);
  writer.PutMatrix(s.personal_best);
  writer.PutVector(s.personal_best_error);
}

absl::Status Pso::RestoreAlgorithm(StateReader& reader) {
  const int n = n_samples();
  const int d = dimension();
  State s;
  OPTIMIZE_RETURN_IF_ERROR(s.rng.Restore(reader));
  OPTIMIZE_ASSIGN_OR_RETURN(s.started, reader.GetBool("PSO started"));
  OPTIMIZE_ASSIGN_OR_RETURN(s.told, reader.GetBool("PSO told"));
  OPTIMIZE_ASSIGN_OR_RETURN(s.position,
                            reader.GetMatrixOfShape("PSO positions", n, d));
  OPTIMIZE_ASSIGN_OR_RETURN(s.velocity,
                            reader.GetMatrixOfShape("PSO velocities", n, d));
  OPTIMIZE_ASSIGN_OR_RETURN(
      s.personal_best, reader.GetMatrixOfShape("PSO personal bests", n, d));
  OPTIMIZE_ASSIGN_OR_RETURN(
      s.personal_best_error,
      reader.GetVectorOfSize("PSO personal best errors", n));
  OPTIMIZE_RETURN_IF_ERROR(reader.ExpectEnd());
  state_ = std::move(s);
  return absl::OkStatus();
}

}  // namespace cellfit::optimize
