#include "server/optimize/cmaes.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>
#include <vector>

#include "Eigen/Eigenvalues"
#include "absl/strings/str_cat.h"
#include "server/optimize/status_macros.h"
#include "server/optimize/unit_box.h"

namespace cellfit::optimize {
namespace {

// Largest accepted condition number of C; beyond it a ridge is added (the
// fitness landscape of a fit is never that ill-conditioned in the unit box;
// reaching it means numerical trouble).
constexpr double kMaxCondition = 1e14;
// Step sizes are kept within these bounds: far below, the samples no longer
// differ in double precision; far above, reflection makes the search uniform
// anyway.
constexpr double kMinSigma = 1e-300;
constexpr double kMaxSigma = 1e3;

}  // namespace

absl::StatusOr<CmaEsOptions> ReadCmaEsOptions(
    const std::map<std::string, double>& options) {
  OptionReader reader("CMAES", options, AcceptedOptions(MethodFamily::kCmaEs));
  OPTIMIZE_RETURN_IF_ERROR(reader.CheckNames());
  CmaEsOptions result;
  OPTIMIZE_ASSIGN_OR_RETURN(result.sigma0,
                            reader.Real("sigma0", 0.3, 0.0, 2.0, true));
  OPTIMIZE_ASSIGN_OR_RETURN(result.tolx, reader.Real("tolx", 1e-11, 0.0, 1.0));
  OPTIMIZE_ASSIGN_OR_RETURN(result.tolfun,
                            reader.Real("tolfun", 1e-12, 0.0, 1.0));
  return result;
}

absl::StatusOr<std::unique_ptr<Optimizer>> CmaEs::Create(
    const OptimizerConfig& config, const ParameterSpace& space, int n_samples) {
  OPTIMIZE_ASSIGN_OR_RETURN(CmaEsOptions options,
                            ReadCmaEsOptions(config.options));
  if (n_samples < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "CMAES needs n_samples >= 2 (one generation per round, lambda = "
        "n_samples), got ",
        n_samples));
  }
  return std::unique_ptr<Optimizer>(
      new CmaEs(config, space, n_samples, options));
}

CmaEs::CmaEs(const OptimizerConfig& config, const ParameterSpace& space,
             int n_samples, const CmaEsOptions& options)
    : Optimizer("CMAES", space, n_samples, config.seed, config.options),
      options_(options) {
  const double n = space.dimension();
  const int lambda = n_samples;
  mu_ = lambda / 2;
  weights_.resize(mu_);
  for (int i = 0; i < mu_; ++i) {
    weights_[i] = std::log((lambda + 1.0) / 2.0) - std::log(i + 1.0);
  }
  weights_ /= weights_.sum();
  mu_eff_ = 1.0 / weights_.squaredNorm();
  c_sigma_ = (mu_eff_ + 2.0) / (n + mu_eff_ + 5.0);
  d_sigma_ = 1.0 +
             2.0 * std::max(0.0, std::sqrt((mu_eff_ - 1.0) / (n + 1.0)) - 1.0) +
             c_sigma_;
  c_c_ = (4.0 + mu_eff_ / n) / (n + 4.0 + 2.0 * mu_eff_ / n);
  c_1_ = 2.0 / ((n + 1.3) * (n + 1.3) + mu_eff_);
  c_mu_ = std::min(1.0 - c_1_, 2.0 * (mu_eff_ - 2.0 + 1.0 / mu_eff_) /
                                   ((n + 2.0) * (n + 2.0) + mu_eff_));
  chi_n_ = std::sqrt(n) * (1.0 - 1.0 / (4.0 * n) + 1.0 / (21.0 * n * n));
  stagnation_window_ = 10 + static_cast<size_t>(std::ceil(30.0 * n / lambda));

  const int d = space.dimension();
  state_.rng = Random(config.seed);
  state_.mean = Eigen::VectorXd::Constant(d, 0.5);
  state_.sigma = options.sigma0;
  state_.covariance = Eigen::MatrixXd::Identity(d, d);
  state_.eigenvectors = Eigen::MatrixXd::Identity(d, d);
  state_.axis_lengths = Eigen::VectorXd::Ones(d);
  state_.path_c = Eigen::VectorXd::Zero(d);
  state_.path_sigma = Eigen::VectorXd::Zero(d);
  state_.samples = Eigen::MatrixXd::Zero(lambda, d);
}

absl::StatusOr<Eigen::MatrixXd> CmaEs::Propose() {
  const int d = dimension();
  Eigen::MatrixXd candidates(n_samples(), d);
  Eigen::VectorXd z(d);
  for (int j = 0; j < n_samples(); ++j) {
    for (int k = 0; k < d; ++k) z[k] = state_.rng.Normal();
    const Eigen::VectorXd x =
        state_.mean + state_.sigma * (state_.eigenvectors *
                                      state_.axis_lengths.cwiseProduct(z));
    state_.samples.row(j) = x.transpose();
    Eigen::VectorXd folded = x;
    ReflectIntoUnit(folded);
    candidates.row(j) = folded.transpose();
  }
  return candidates;
}

absl::Status CmaEs::Update(const Eigen::MatrixXd& /*candidates*/,
                           const Eigen::VectorXd& errors) {
  const int d = dimension();
  const double n = d;
  // Rank by error; ties (e.g. several +inf) keep the sampling order so the
  // result is deterministic.
  std::vector<int> order(n_samples());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return errors[a] < errors[b]; });
  std::vector<double> sorted_errors(n_samples());
  for (int i = 0; i < n_samples(); ++i) sorted_errors[i] = errors[order[i]];

  State& s = state_;
  const Eigen::VectorXd old_mean = s.mean;
  // Steps y_i = (x_i - m) / sigma of the mu best samples.
  Eigen::MatrixXd steps(d, mu_);
  for (int i = 0; i < mu_; ++i) {
    steps.col(i) = (s.samples.row(order[i]).transpose() - old_mean) / s.sigma;
  }
  const Eigen::VectorXd step_w = steps * weights_;
  s.mean = old_mean + s.sigma * step_w;

  // C^{-1/2} y_w = B D^{-1} B^T y_w.
  const Eigen::VectorXd whitened =
      s.eigenvectors *
      (s.eigenvectors.transpose() * step_w).cwiseQuotient(s.axis_lengths);
  s.path_sigma = (1.0 - c_sigma_) * s.path_sigma +
                 std::sqrt(c_sigma_ * (2.0 - c_sigma_) * mu_eff_) * whitened;
  ++s.generation;
  const double ps_norm = s.path_sigma.norm();
  const double ps_bias =
      std::sqrt(1.0 - std::pow(1.0 - c_sigma_, 2.0 * s.generation));
  const bool h_sigma = ps_norm / ps_bias < (1.4 + 2.0 / (n + 1.0)) * chi_n_;
  s.path_c = (1.0 - c_c_) * s.path_c;
  if (h_sigma) {
    s.path_c += std::sqrt(c_c_ * (2.0 - c_c_) * mu_eff_) * step_w;
  }

  const double delta_h = h_sigma ? 0.0 : c_c_ * (2.0 - c_c_);
  Eigen::MatrixXd rank_mu = steps * weights_.asDiagonal() * steps.transpose();
  s.covariance = (1.0 - c_1_ - c_mu_ + c_1_ * delta_h) * s.covariance +
                 c_1_ * s.path_c * s.path_c.transpose() + c_mu_ * rank_mu;

  s.sigma *=
      std::exp(std::min(1.0, (c_sigma_ / d_sigma_) * (ps_norm / chi_n_ - 1.0)));
  s.sigma = std::clamp(s.sigma, kMinSigma, kMaxSigma);
  Decompose();

  if (Converged(sorted_errors)) {
    Restart();
  } else {
    s.recent_best.push_back(sorted_errors.front());
    if (s.recent_best.size() > stagnation_window_) {
      s.recent_best.erase(s.recent_best.begin());
    }
  }
  return absl::OkStatus();
}

bool CmaEs::Converged(const std::vector<double>& sorted_errors) const {
  const State& s = state_;
  if (options_.tolx > 0.0) {
    const double spread =
        s.sigma * std::max(s.covariance.diagonal().cwiseSqrt().maxCoeff(),
                           s.path_c.cwiseAbs().maxCoeff());
    if (spread < options_.tolx) return true;
  }
  if (options_.tolfun > 0.0 && s.recent_best.size() >= stagnation_window_) {
    double low = sorted_errors.front();
    double high = sorted_errors.back();
    for (double e : s.recent_best) {
      low = std::min(low, e);
      high = std::max(high, e);
    }
    // Infinite errors everywhere are a flat landscape too, but not one a
    // restart at a random point should be kept from leaving.
    if (std::isfinite(high) &&
        high - low <=
            options_.tolfun * std::max(std::fabs(low), std::fabs(high))) {
      return true;
    }
  }
  return false;
}

void CmaEs::Restart() {
  State& s = state_;
  const int d = dimension();
  for (int k = 0; k < d; ++k) s.mean[k] = s.rng.Uniform();
  s.sigma = options_.sigma0;
  s.covariance = Eigen::MatrixXd::Identity(d, d);
  s.eigenvectors = Eigen::MatrixXd::Identity(d, d);
  s.axis_lengths = Eigen::VectorXd::Ones(d);
  s.path_c.setZero();
  s.path_sigma.setZero();
  s.generation = 0;
  s.recent_best.clear();
  ++s.restarts;
}

void CmaEs::Decompose() {
  State& s = state_;
  s.covariance = 0.5 * (s.covariance + s.covariance.transpose()).eval();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(s.covariance);
  Eigen::VectorXd eigenvalues = solver.eigenvalues();
  const double largest = std::max(eigenvalues.maxCoeff(), 1e-300);
  const double floor = largest / kMaxCondition;
  if (solver.info() != Eigen::Success || !eigenvalues.allFinite() ||
      eigenvalues.minCoeff() < floor) {
    // Restore a usable covariance: clip the spectrum from below.
    if (solver.info() != Eigen::Success || !eigenvalues.allFinite()) {
      s.covariance = Eigen::MatrixXd::Identity(dimension(), dimension());
      s.eigenvectors = Eigen::MatrixXd::Identity(dimension(), dimension());
      s.axis_lengths = Eigen::VectorXd::Ones(dimension());
      return;
    }
    eigenvalues = eigenvalues.cwiseMax(floor);
    s.covariance = solver.eigenvectors() * eigenvalues.asDiagonal() *
                   solver.eigenvectors().transpose();
  }
  s.eigenvectors = solver.eigenvectors();
  s.axis_lengths = eigenvalues.cwiseSqrt();
}

void CmaEs::SaveAlgorithm(StateWriter& writer) const {
  const State& s = state_;
  s.rng.Save(writer);
  writer.PutVector(s.mean);
  writer.PutDouble(s.sigma);
  writer.PutMatrix(s.covariance);
  writer.PutMatrix(s.eigenvectors);
  writer.PutVector(s.axis_lengths);
  writer.PutVector(s.path_c);
  writer.PutVector(s.path_sigma);
  writer.PutI64(s.generation);
  writer.PutI64(s.restarts);
  writer.PutDoubles(s.recent_best);
  writer.PutMatrix(s.samples);
}

absl::Status CmaEs::RestoreAlgorithm(StateReader& reader) {
  const int d = dimension();
  State s;
  OPTIMIZE_RETURN_IF_ERROR(s.rng.Restore(reader));
  OPTIMIZE_ASSIGN_OR_RETURN(s.mean, reader.GetVectorOfSize("CMA mean", d));
  OPTIMIZE_ASSIGN_OR_RETURN(s.sigma, reader.GetDouble("CMA sigma"));
  OPTIMIZE_ASSIGN_OR_RETURN(s.covariance,
                            reader.GetMatrixOfShape("CMA covariance", d, d));
  OPTIMIZE_ASSIGN_OR_RETURN(s.eigenvectors,
                            reader.GetMatrixOfShape("CMA eigenvectors", d, d));
  OPTIMIZE_ASSIGN_OR_RETURN(s.axis_lengths,
                            reader.GetVectorOfSize("CMA axis lengths", d));
  OPTIMIZE_ASSIGN_OR_RETURN(s.path_c, reader.GetVectorOfSize("CMA path c", d));
  OPTIMIZE_ASSIGN_OR_RETURN(s.path_sigma,
                            reader.GetVectorOfSize("CMA path sigma", d));
  OPTIMIZE_ASSIGN_OR_RETURN(s.generation, reader.GetI64("CMA generation"));
  OPTIMIZE_ASSIGN_OR_RETURN(s.restarts, reader.GetI64("CMA restarts"));
  OPTIMIZE_ASSIGN_OR_RETURN(s.recent_best, reader.GetDoubles("CMA recent"));
  OPTIMIZE_ASSIGN_OR_RETURN(
      s.samples, reader.GetMatrixOfShape("CMA samples", n_samples(), d));
  OPTIMIZE_RETURN_IF_ERROR(reader.ExpectEnd());
  if (!(s.sigma > 0.0) || !s.mean.allFinite() || s.generation < 0) {
    return absl::DataLossError("CMA-ES state has an invalid mean or sigma");
  }
  state_ = std::move(s);
  return absl::OkStatus();
}

}  // namespace cellfit::optimize
