// Test objectives with known optima, and a driver that runs an optimizer on
// one while checking every candidate against the bounds. Test-only.
#ifndef CELLFIT_SERVER_OPTIMIZE_TEST_PROBLEMS_H_
#define CELLFIT_SERVER_OPTIMIZE_TEST_PROBLEMS_H_

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "Eigen/Core"
#include "gtest/gtest.h"
#include "server/optimize/optimizer.h"
#include "server/optimize/parameter_space.h"

namespace cellfit::optimize::test_problems {

struct Problem {
  std::string name;
  ParameterSpace space;
  std::function<double(const Eigen::VectorXd&)> f;
  Eigen::VectorXd optimum;  // the global minimiser
  double minimum = 0.0;     // f at the optimum
};

inline ParameterSpace Box(int d, double lower, double upper) {
  std::vector<ParameterBounds> bounds;
  for (int i = 0; i < d; ++i) {
    bounds.push_back({"x" + std::to_string(i), lower, upper, false});
  }
  return ParameterSpace::Create(bounds).value();
}

// sum_i (x_i - c_i)^2 on [-5, 5]^4 with c off the centre of the box.
inline Problem SumOfSquares() {
  Eigen::VectorXd c(4);
  c << 1.5, -2.0, 3.25, 0.5;
  return {"SumOfSquares", Box(4, -5, 5),
          [c](const Eigen::VectorXd& x) { return (x - c).squaredNorm(); }, c,
          0.0};
}

// The 4-D Rosenbrock function on [-2, 2]^4; minimum 0 at (1, 1, 1, 1).
inline double RosenbrockValue(const Eigen::VectorXd& x) {
  double f = 0.0;
  for (Eigen::Index i = 0; i + 1 < x.size(); ++i) {
    const double a = x[i + 1] - x[i] * x[i];
    const double b = 1.0 - x[i];
    f += 100.0 * a * a + b * b;
  }
  return f;
}
inline Problem Rosenbrock() {
  return {"Rosenbrock", Box(4, -2, 2), RosenbrockValue,
          Eigen::VectorXd::Ones(4), 0.0};
}

// The 4-D Rastrigin function shifted to s, on [-5.12, 5.12]^4: 10^4 local
// minima near the points s + integer vectors; minimum 0 at s.
inline Eigen::VectorXd RastriginShift() {
  Eigen::VectorXd s(4);
  s << 1.3, -0.7, 2.1, 0.4;
  return s;
}
inline double RastriginValue(const Eigen::VectorXd& x) {
  const Eigen::VectorXd y = x - RastriginShift();
  double f = 10.0 * y.size();
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    f += y[i] * y[i] - 10.0 * std::cos(2.0 * std::numbers::pi * y[i]);
  }
  return f;
}
inline Problem Rastrigin() {
  return {"Rastrigin", Box(4, -5.12, 5.12), RastriginValue, RastriginShift(),
          0.0};
}

struct DriveResult {
  int rounds = 0;
  int64_t evaluations = 0;
  double best_error = std::numeric_limits<double>::infinity();
  Eigen::VectorXd best_point;
  std::vector<Eigen::MatrixXd> asked;  // every round's candidates
};

// Runs up to `rounds` rounds, stopping early once the best error is at most
// `target`. Every candidate of every round must lie within the bounds.
inline DriveResult Drive(
    Optimizer& optimizer, const Problem& problem, int rounds,
    double target = -std::numeric_limits<double>::infinity(),
    bool keep_candidates = false) {
  DriveResult result;
  for (int r = 0; r < rounds; ++r) {
    auto asked = optimizer.Ask();
    EXPECT_TRUE(asked.ok()) << asked.status();
    if (!asked.ok()) break;
    const Eigen::MatrixXd& candidates = *asked;
    EXPECT_EQ(candidates.rows(), optimizer.n_samples());
    Eigen::VectorXd errors(candidates.rows());
    for (Eigen::Index i = 0; i < candidates.rows(); ++i) {
      const Eigen::VectorXd x = candidates.row(i).transpose();
      EXPECT_TRUE(problem.space.Contains(x))
          << optimizer.method() << " round " << r << " candidate " << i
          << " leaves the bounds: " << x.transpose();
      errors[i] = problem.f(x);
    }
    if (keep_candidates) result.asked.push_back(candidates);
    const absl::Status told = optimizer.Tell(candidates, errors);
    EXPECT_TRUE(told.ok()) << told;
    if (!told.ok()) break;
    result.rounds = r + 1;
    result.evaluations += candidates.rows();
    if (optimizer.best_error() <= target) break;
  }
  result.best_error = optimizer.best_error();
  result.best_point = optimizer.best_point();
  return result;
}

}  // namespace cellfit::optimize::test_problems

#endif  // CELLFIT_SERVER_OPTIMIZE_TEST_PROBLEMS_H_
