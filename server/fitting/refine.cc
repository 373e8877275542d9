#include "server/fitting/refine.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "Eigen/Dense"
#include "absl/strings/str_cat.h"

namespace cellfit::fitting {
namespace {

// lmfit's bounded-parameter transformation (from MINUIT).
struct Transform {
  std::vector<double> lower, upper;
  double ToPhysical(int j, double u) const {
    return lower[j] + (std::sin(u) + 1.0) * (upper[j] - lower[j]) / 2.0;
  }
  double ToInternal(int j, double x) const {
    const double scaled = 2.0 * (x - lower[j]) / (upper[j] - lower[j]) - 1.0;
    return std::asin(std::clamp(scaled, -1.0, 1.0));
  }
};

double Cost(const Eigen::VectorXd& r) { return r.squaredNorm(); }

}  // namespace

absl::StatusOr<RefineResult> Refine(const RefineProblem& problem) {
  const int n = static_cast<int>(problem.start.size());
  if (n == 0)
    return absl::InvalidArgumentError("nothing to refine: no parameters");
  if (problem.lower.size() != problem.start.size() ||
      problem.upper.size() != problem.start.size()) {
    return absl::InvalidArgumentError("bounds are needed for every parameter");
  }
  Transform transform{problem.lower, problem.upper};
  for (int j = 0; j < n; ++j) {
    if (!(problem.lower[j] < problem.upper[j])) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter ", j, ": lower bound ", problem.lower[j],
                       " >= upper bound ", problem.upper[j]));
    }
    if (problem.start[j] < problem.lower[j] ||
        problem.start[j] > problem.upper[j]) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter ", j, ": the start value ", problem.start[j],
                       " lies outside its bounds"));
    }
  }
  auto physical = [&](const Eigen::VectorXd& u) {
    Eigen::VectorXd x(n);
    for (int j = 0; j < n; ++j) x(j) = transform.ToPhysical(j, u(j));
    return x;
  };
  Eigen::VectorXd u(n);
  for (int j = 0; j < n; ++j) u(j) = transform.ToInternal(j, problem.start[j]);

  RefineResult result;
  int iteration = 0;
  // Set when `evaluated` asks to stop; checked after each evaluation.
  bool callback_stop = false;
  const int jacobian_points = problem.residuals_and_gradient ? 1 : n + 1;
  auto within_budget = [&](int points) {
    return problem.max_evaluations <= 0 ||
           result.evaluations + points <= problem.max_evaluations;
  };
  auto announce = [&](const Eigen::VectorXd& x, const Eigen::VectorXd& r) {
    if (!problem.evaluated || callback_stop) return;
    const double error =
        Cost(r) / static_cast<double>(std::max<Eigen::Index>(r.size(), 1));
    if (!problem.evaluated(
            iteration, std::vector<double>(x.data(), x.data() + n), error)) {
      callback_stop = true;
    }
  };
  auto evaluate = [&](const Eigen::MatrixXd& internal_points)
      -> absl::StatusOr<Eigen::MatrixXd> {
    Eigen::MatrixXd points(internal_points.cols(), n);
    for (int k = 0; k < internal_points.cols(); ++k) {
      points.row(k) = physical(internal_points.col(k)).transpose();
    }
    result.evaluations += static_cast<int>(internal_points.cols());
    auto residuals = problem.residuals(points);
    if (!residuals.ok()) return residuals;
    for (int k = 0; k < internal_points.cols(); ++k) {
      announce(points.row(k).transpose(), residuals->col(k));
    }
    return residuals;
  };
  auto report = [&](int step, const Eigen::VectorXd& at, double cost, int m) {
    if (problem.evaluated) return !callback_stop;
    const Eigen::VectorXd x = physical(at);
    return !problem.progress ||
           problem.progress(step, std::vector<double>(x.data(), x.data() + n),
                            cost / std::max(m, 1));
  };

  // Residuals and forward-difference Jacobian at u, one batch of n+1 points.
  const double step_scale = std::sqrt(std::numeric_limits<double>::epsilon());
  auto residuals_and_jacobian = [&](const Eigen::VectorXd& at,
                                    Eigen::VectorXd* r,
                                    Eigen::MatrixXd* jacobian) -> absl::Status {
    if (problem.residuals_and_gradient) {
      const Eigen::VectorXd x = physical(at);
      auto both = problem.residuals_and_gradient(
          std::vector<double>(x.data(), x.data() + n));
      if (!both.ok()) return both.status();
      ++result.evaluations;
      announce(x, both->first);
      *r = both->first;
      // Chain rule through the bounds transformation.
      *jacobian = both->second;
      for (int j = 0; j < n; ++j) {
        jacobian->col(j) *=
            std::cos(at(j)) * (problem.upper[j] - problem.lower[j]) / 2.0;
      }
      return absl::OkStatus();
    }
    Eigen::MatrixXd points(n, n + 1);
    points.col(0) = at;
    std::vector<double> steps(n);
    for (int j = 0; j < n; ++j) {
      steps[j] = step_scale * std::max(std::fabs(at(j)), 1e-3);
      points.col(j + 1) = at;
      points(j, j + 1) += steps[j];
    }
    auto columns = evaluate(points);
    if (!columns.ok()) return columns.status();
    *r = columns->col(0);
    jacobian->resize(r->size(), n);
    for (int j = 0; j < n; ++j) {
      jacobian->col(j) = (columns->col(j + 1) - *r) / steps[j];
    }
    return absl::OkStatus();
  };

  constexpr char kBudgetMessage[] =
      "reached the maximum number of simulations (max_nfev)";
  Eigen::VectorXd r;
  Eigen::MatrixXd jacobian;
  // With too few simulations allowed for a Jacobian, only the start point is
  // evaluated (least_squares, too, evaluates it whatever max_nfev is).
  const bool start_only = !within_budget(jacobian_points);
  if (start_only) {
    Eigen::MatrixXd one(n, 1);
    one.col(0) = u;
    auto start_r = evaluate(one);
    if (!start_r.ok()) return start_r.status();
    r = start_r->col(0);
  } else if (absl::Status s = residuals_and_jacobian(u, &r, &jacobian);
             !s.ok()) {
    return s;
  }
  const int m = static_cast<int>(r.size());
  double cost = Cost(r);
  if (!std::isfinite(cost)) {
    return absl::FailedPreconditionError(
        "the model's trace at the start point is not finite; refine needs a "
        "point that simulates");
  }
  double lambda = 1e-3;
  result.message = "reached the maximum number of iterations";
  bool stopped = !report(iteration, u, cost, m);
  if (stopped) {
    result.message = "stopped by the callback";
  } else if (start_only) {
    stopped = true;
    result.message = kBudgetMessage;
  }
  while (!stopped && iteration < problem.max_iterations) {
    ++iteration;
    const Eigen::MatrixXd jtj = jacobian.transpose() * jacobian;
    const Eigen::VectorXd gradient = jacobian.transpose() * r;
    if (gradient.cwiseAbs().maxCoeff() <= 1e-15 * std::max(cost, 1e-300)) {
      result.message = "the gradient vanished";
      break;
    }
    bool improved = false;
    for (int attempt = 0; attempt < 12 && !improved; ++attempt) {
      Eigen::MatrixXd damped = jtj;
      for (int j = 0; j < n; ++j)
        damped(j, j) += lambda * std::max(jtj(j, j), 1e-300);
      const Eigen::VectorXd delta = damped.ldlt().solve(-gradient);
      if (!delta.allFinite()) {
        lambda *= 10;
        continue;
      }
      if (!within_budget(1)) {
        result.message = kBudgetMessage;
        stopped = true;
        break;
      }
      const Eigen::VectorXd trial = u + delta;
      Eigen::MatrixXd one(n, 1);
      one.col(0) = trial;
      auto trial_r = evaluate(one);
      if (!trial_r.ok()) return trial_r.status();
      const double trial_cost = Cost(trial_r->col(0));
      if (std::isfinite(trial_cost) && trial_cost < cost) {
        const double reduction = (cost - trial_cost) / cost;
        const double step = delta.norm() / (u.norm() + 1e-12);
        u = trial;
        lambda = std::max(lambda / 10, 1e-12);
        improved = true;
        cost = trial_cost;
        if (!report(iteration, u, cost, m)) {
          stopped = true;
          result.message = "stopped by the callback";
          break;
        }
        if (reduction < 1e-10 || step < 1e-12) {
          result.message = "converged: the error no longer decreases";
          stopped = true;
          break;
        }
        if (!within_budget(jacobian_points)) {
          result.message = kBudgetMessage;
          stopped = true;
          break;
        }
        if (absl::Status s = residuals_and_jacobian(u, &r, &jacobian); !s.ok())
          return s;
        if (callback_stop) {
          stopped = true;
          result.message = "stopped by the callback";
        }
      } else if (callback_stop) {
        stopped = true;
        result.message = "stopped by the callback";
        break;
      } else {
        lambda *= 10;
      }
    }
    if (!improved && !stopped) {
      result.message = "converged: no step reduces the error";
      break;
    }
  }
  const Eigen::VectorXd x = physical(u);
  result.params.assign(x.data(), x.data() + n);
  result.error = cost / std::max(m, 1);
  result.iterations = iteration;
  return result;
}

}  // namespace cellfit::fitting
