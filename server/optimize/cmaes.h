// CMA-ES: the covariance matrix adaptation evolution strategy, (mu/mu_w,
// lambda) with cumulative step-size adaptation and rank-one and rank-mu
// covariance updates, as in Hansen's tutorial "The CMA Evolution Strategy"
// (arXiv:1604.00772), with its default learning rates.
//
// lambda is n_samples (one generation per round, at least 2) and mu =
// lambda / 2 with log-decreasing positive weights. The search starts at the
// centre of the unit box with step size sigma0 (option "sigma0", default
// 0.3, i.e. about a third of every parameter's range).
//
// A fit runs for as many rounds as the user asks, and a converged CMA-ES
// would spend them resampling one point. So the strategy restarts (a fresh
// mean drawn uniformly in the box, sigma0, C = I) when it has converged:
// when sigma * max_i sqrt(C_ii) falls below "tolx" (default 1e-11 of the
// range), or when the best errors of the last 10 + ceil(30 d / lambda)
// generations and all of the current one agree within a relative "tolfun"
// (default 1e-12). Either criterion is off when set to 0. (These are
// Hansen's TolX and TolFun; lambda stays n_samples, so restarts are not
// IPOP's growing populations.) The best point is kept across restarts.
//
// Bounds: the strategy samples the whole real line and the candidate it
// hands out is the sample reflected into the box (ReflectIntoUnit). The
// reflection is an isometry of the box, so this is an ordinary CMA-ES on the
// periodic, mirrored extension of the objective: the distribution is updated
// with the samples as drawn, which keeps the adaptation unbiased (no
// repair, no penalty to tune), and an optimum on a bound is a smooth
// symmetric minimum of the extension.
#ifndef CELLFIT_SERVER_OPTIMIZE_CMAES_H_
#define CELLFIT_SERVER_OPTIMIZE_CMAES_H_

#include <memory>
#include <vector>

#include "Eigen/Core"
#include "absl/status/statusor.h"
#include "server/optimize/optimizer.h"
#include "server/optimize/optimizer_config.h"
#include "server/optimize/random.h"

namespace cellfit::optimize {

struct CmaEsOptions {
  double sigma0 = 0.3;
  double tolx = 1e-11;
  double tolfun = 1e-12;
};

absl::StatusOr<CmaEsOptions> ReadCmaEsOptions(
    const std::map<std::string, double>& options);

class CmaEs : public Optimizer {
 public:
  static absl::StatusOr<std::unique_ptr<Optimizer>> Create(
      const OptimizerConfig& config, const ParameterSpace& space,
      int n_samples);

  double sigma() const { return state_.sigma; }
  const Eigen::VectorXd& mean() const { return state_.mean; }
  int64_t restarts() const { return state_.restarts; }

 private:
  // Everything that evolves, kept together so a restore swaps it at once.
  struct State {
    Random rng{0};
    Eigen::VectorXd mean;
    double sigma = 0.0;
    Eigen::MatrixXd covariance;
    Eigen::MatrixXd eigenvectors;  // B: C = B diag(D^2) B^T
    Eigen::VectorXd axis_lengths;  // D: square roots of C's eigenvalues
    Eigen::VectorXd path_c;        // evolution path of C
    Eigen::VectorXd path_sigma;    // conjugate evolution path of sigma
    int64_t generation = 0;        // since the last restart
    int64_t restarts = 0;
    std::vector<double> recent_best;  // best error of recent generations
    Eigen::MatrixXd samples;  // the last proposal, unreflected (lambda x d)
  };

  CmaEs(const OptimizerConfig& config, const ParameterSpace& space,
        int n_samples, const CmaEsOptions& options);

  absl::StatusOr<Eigen::MatrixXd> Propose() override;
  absl::Status Update(const Eigen::MatrixXd& candidates,
                      const Eigen::VectorXd& errors) override;
  void SaveAlgorithm(StateWriter& writer) const override;
  absl::Status RestoreAlgorithm(StateReader& reader) override;

  // Recomputes B and D from C, keeping C symmetric and well conditioned.
  void Decompose();
  // Whether the strategy has converged (see the restart rule above), given
  // this generation's sorted errors.
  bool Converged(const std::vector<double>& sorted_errors) const;
  // A fresh start from a random mean.
  void Restart();

  // Strategy constants, functions of d and lambda only.
  int mu_ = 0;
  Eigen::VectorXd weights_;
  double mu_eff_ = 0.0;
  double c_sigma_ = 0.0;
  double d_sigma_ = 0.0;
  double c_c_ = 0.0;
  double c_1_ = 0.0;
  double c_mu_ = 0.0;
  double chi_n_ = 0.0;  // E||N(0, I)||
  size_t stagnation_window_ = 0;

  CmaEsOptions options_;

  State state_;
};

}  // namespace cellfit::optimize

#endif  // CELLFIT_SERVER_OPTIMIZE_CMAES_H_
