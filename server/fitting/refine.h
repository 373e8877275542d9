// Local refinement of a trace fit (brian2modelfitting's TraceFitter.refine):
// bounded Levenberg-Marquardt on the residuals (model trace - recorded trace)
// from t_start on, scaled by 1/normalization, as lmfit minimizes them. Bounds
// are handled by lmfit's (MINUIT's) transformation x = lo +
// (sin(u)+1)(hi-lo)/2; the Jacobian comes from forward differences, all of an
// iteration's perturbed points simulated as one batch on the workers.
#ifndef CELLFIT_SERVER_FITTING_REFINE_H_
#define CELLFIT_SERVER_FITTING_REFINE_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "Eigen/Core"
#include "absl/status/statusor.h"

namespace cellfit::fitting {

struct RefineProblem {
  std::vector<double> start;  // physical values, within the bounds
  std::vector<double> lower;
  std::vector<double> upper;
  int max_iterations = 100;
  // Simulated points at most (brian2modelfitting's max_nfev counts function
  // evaluations, not iterations); 0: no limit. The refinement stops before a
  // batch that would exceed it, so it never simulates more.
  int max_evaluations = 0;
  // Residuals of each row of `points` (physical values): one column per point.
  std::function<absl::StatusOr<Eigen::MatrixXd>(const Eigen::MatrixXd& points)>
      residuals;
  // When set (calc_gradient), the residuals at one point together with their
  // derivatives with respect to the physical parameters (one column each),
  // used instead of forward differences.
  std::function<absl::StatusOr<std::pair<Eigen::VectorXd, Eigen::MatrixXd>>(
      const std::vector<double>& point)>
      residuals_and_gradient;
  // Called after each accepted or rejected evaluation with the point and its
  // error (the mean squared residual); returning false stops the refinement.
  std::function<bool(int iteration, const std::vector<double>& point,
                     double error)>
      progress;
  // When set, called for every simulated point instead of `progress`
  // (brian2modelfitting calls refine's callback per function evaluation,
  // finite-difference and rejected points included); returning false stops
  // the refinement.
  std::function<bool(int iteration, const std::vector<double>& point,
                     double error)>
      evaluated;
};

struct RefineResult {
  std::vector<double> params;
  double error = 0;
  int iterations = 0;
  int evaluations = 0;
  std::string message;  // why it stopped
};

absl::StatusOr<RefineResult> Refine(const RefineProblem& problem);

}  // namespace cellfit::fitting

#endif  // CELLFIT_SERVER_FITTING_REFINE_H_
