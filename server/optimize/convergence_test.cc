// Every method reaches the known optimum of a sum of squares, the 4-D
// Rosenbrock and the 4-D (shifted) Rastrigin functions within a stated budget
// and tolerance, for a fixed seed (1); every candidate of every round stays
// within the bounds (checked by Drive). Each case prints the figures reached.
//
// Budgets are what each method realistically needs, in rounds of n_samples
// candidates; a case stops early once its criterion is met. NLopt methods
// split the budget over n_samples independent runs, so the slow global ones
// run with few samples and a per-run budget ("maxeval") that lets one run go
// the distance. Where a method cannot reach the global optimum in a
// test-sized budget, the case says so and checks a weaker, stated criterion:
//   * the local NLopt methods (BOBYQA, Nelder-Mead; Subplex happens to find
//     the global one) are multi-started local searches, and Rastrigin has
//     10^4 local minima: they must end on a local minimiser (to 1e-3 per
//     coordinate, computed independently here) of value <= 3;
//   * DIRECT-L settles in the local minimum next to the global one (NLopt's
//     own single DIRECT-L run on this function reaches only 3.98 after
//     200000 evaluations);
//   * Subplex, ISRES and ESCH converge slowly in Rosenbrock's curved valley
//     (NLopt's own single Subplex run: 3.5e-3 after 40000 evaluations), and
//     ESCH slowly everywhere: their tolerances are looser, and ESCH on
//     Rosenbrock (1.24 after 40000 evaluations in NLopt's own run) is checked
//     for progress only.
// Global methods on Rastrigin succeed for most seeds, not all. Over seeds
// 1..10 at these settings (measured once, not part of the test) the global
// optimum was reached by CMA-ES 10/10, DE 9/10, CRS2 9/10 and PSO 8/10; the
// others stopped in a neighbouring local minimum (0.995). Seed 1 succeeds
// for all four.
#include <cmath>
#include <cstdio>
#include <numbers>
#include <string>

#include "gtest/gtest.h"
#include "server/optimize/make_optimizer.h"
#include "server/optimize/test_problems.h"

namespace cellfit::optimize {
namespace {

using test_problems::Problem;

enum class Criterion {
  kGlobal,        // best error <= tol_f and |x - x*|_inf <= tol_x
  kLocalMinimum,  // Rastrigin: a local minimiser to tol_x, error <= tol_f
  kProgress,      // best error <= tol_f
};

struct Case {
  std::string method;
  std::map<std::string, double> options;
  std::string problem;
  int n_samples;
  int rounds;  // the budget
  Criterion criterion;
  double tol_f;
  double tol_x;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.method << " on " << c.problem;
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.method + "_" + info.param.problem;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

Problem ProblemNamed(const std::string& name) {
  if (name == "SumOfSquares") return test_problems::SumOfSquares();
  if (name == "Rosenbrock") return test_problems::Rosenbrock();
  return test_problems::Rastrigin();
}

// The local minimiser of Rastrigin's coordinate term y^2 - 10 cos(2 pi y)
// nearest to y: a root of 2y + 20 pi sin(2 pi y) near round(y), by Newton.
double RastriginLocalMinimiser(double y) {
  double z = std::round(y);
  for (int i = 0; i < 50; ++i) {
    const double g =
        2 * z + 20 * std::numbers::pi * std::sin(2 * std::numbers::pi * z);
    const double h = 2 + 40 * std::numbers::pi * std::numbers::pi *
                             std::cos(2 * std::numbers::pi * z);
    z -= g / h;
  }
  return z;
}

// Distance (max norm) from x to the Rastrigin local minimiser of its basin,
// which on a bound is the bound itself.
double DistanceToRastriginLocalMinimum(const Problem& problem,
                                       const Eigen::VectorXd& x) {
  const Eigen::VectorXd shift = test_problems::RastriginShift();
  double distance = 0.0;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const ParameterBounds& b = problem.space.parameters()[i];
    const double minimiser = std::clamp(
        shift[i] + RastriginLocalMinimiser(x[i] - shift[i]), b.lower, b.upper);
    distance = std::max(distance, std::fabs(x[i] - minimiser));
  }
  return distance;
}

class ConvergenceTest : public ::testing::TestWithParam<Case> {};

TEST_P(ConvergenceTest, ReachesTheOptimumWithinBudget) {
  const Case& c = GetParam();
  const Problem problem = ProblemNamed(c.problem);
  OptimizerConfig config{c.method, /*seed=*/1, c.options};
  auto optimizer = MakeOptimizer(config, problem.space, c.n_samples);
  ASSERT_TRUE(optimizer.ok()) << optimizer.status();

  // Global cases stop as soon as they meet the criterion; the others use
  // their whole budget.
  test_problems::DriveResult result;
  double distance = INFINITY;
  while (result.rounds < c.rounds) {
    const test_problems::DriveResult round =
        test_problems::Drive(**optimizer, problem, 1);
    if (round.rounds != 1) break;  // Drive reported the failure
    ++result.rounds;
    result.evaluations += round.evaluations;
    result.best_error = round.best_error;
    result.best_point = round.best_point;
    if (c.criterion == Criterion::kGlobal && result.best_error <= c.tol_f) {
      distance = (result.best_point - problem.optimum).cwiseAbs().maxCoeff();
      if (distance <= c.tol_x) break;
    }
  }
  ASSERT_GT(result.best_point.size(), 0);
  distance = (result.best_point - problem.optimum).cwiseAbs().maxCoeff();
  const double local_distance =
      c.problem == "Rastrigin"
          ? DistanceToRastriginLocalMinimum(problem, result.best_point)
          : NAN;
  std::printf(
      "%-16s %-12s n=%-3d rounds %5d/%-5d evaluations %6ld  best %.3g  "
      "|x-x*| %.3g%s\n",
      c.method.c_str(), c.problem.c_str(), c.n_samples, result.rounds, c.rounds,
      static_cast<long>(result.evaluations), result.best_error, distance,
      c.criterion == Criterion::kLocalMinimum
          ? ("  to local min " + std::to_string(local_distance)).c_str()
          : "");

  switch (c.criterion) {
    case Criterion::kGlobal:
      EXPECT_LE(result.best_error, c.tol_f);
      EXPECT_LE(distance, c.tol_x);
      break;
    case Criterion::kLocalMinimum:
      EXPECT_LE(result.best_error, c.tol_f);
      EXPECT_LE(local_distance, c.tol_x);
      break;
    case Criterion::kProgress:
      EXPECT_LE(result.best_error, c.tol_f);
      break;
  }
}

constexpr Criterion kGlobal = Criterion::kGlobal;
constexpr Criterion kLocal = Criterion::kLocalMinimum;
constexpr Criterion kProgress = Criterion::kProgress;

// A per-run budget long enough for one NLopt run to converge.
const std::map<std::string, double> kLongRuns = {{"maxeval", 100000}};

// method, options, problem, n_samples, rounds, criterion, tol_f, tol_x
const Case kCases[] = {
    {"DE", {}, "SumOfSquares", 30, 1000, kGlobal, 1e-8, 1e-4},
    {"DE", {}, "Rosenbrock", 30, 1000, kGlobal, 1e-8, 1e-3},
    {"DE", {}, "Rastrigin", 30, 2000, kGlobal, 1e-6, 1e-3},
    {"CMAES", {}, "SumOfSquares", 10, 1000, kGlobal, 1e-8, 1e-4},
    {"CMAES", {}, "Rosenbrock", 10, 1000, kGlobal, 1e-8, 1e-3},
    {"CMAES", {}, "Rastrigin", 100, 1000, kGlobal, 1e-6, 1e-3},
    {"PSO", {}, "SumOfSquares", 30, 1000, kGlobal, 1e-8, 1e-4},
    {"PSO", {}, "Rosenbrock", 30, 5000, kGlobal, 1e-8, 1e-3},
    {"PSO", {}, "Rastrigin", 40, 2000, kGlobal, 1e-6, 1e-3},
    {"LN_BOBYQA", {}, "SumOfSquares", 4, 1000, kGlobal, 1e-8, 1e-4},
    {"LN_BOBYQA", {}, "Rosenbrock", 4, 3000, kGlobal, 1e-8, 1e-3},
    {"LN_BOBYQA", {}, "Rastrigin", 10, 1000, kLocal, 3.0, 1e-3},
    {"LN_SBPLX", {}, "SumOfSquares", 4, 3000, kGlobal, 1e-8, 1e-4},
    {"LN_SBPLX", kLongRuns, "Rosenbrock", 1, 40000, kGlobal, 1e-4, 1e-2},
    {"LN_SBPLX", {}, "Rastrigin", 10, 1000, kLocal, 3.0, 1e-3},
    {"LN_NELDERMEAD", {}, "SumOfSquares", 4, 3000, kGlobal, 1e-8, 1e-4},
    {"LN_NELDERMEAD", {}, "Rosenbrock", 4, 10000, kGlobal, 1e-8, 1e-3},
    {"LN_NELDERMEAD", {}, "Rastrigin", 10, 1000, kLocal, 3.0, 1e-3},
    {"GN_CRS2_LM", {}, "SumOfSquares", 2, 10000, kGlobal, 1e-8, 1e-4},
    {"GN_CRS2_LM", {}, "Rosenbrock", 2, 20000, kGlobal, 1e-8, 1e-3},
    {"GN_CRS2_LM", {}, "Rastrigin", 2, 20000, kGlobal, 1e-6, 1e-3},
    {"GN_ISRES", kLongRuns, "SumOfSquares", 1, 40000, kGlobal, 1e-8, 1e-4},
    {"GN_ISRES", kLongRuns, "Rosenbrock", 1, 40000, kGlobal, 1e-2, 1e-1},
    {"GN_ISRES", kLongRuns, "Rastrigin", 1, 40000, kGlobal, 1e-6, 1e-3},
    {"GN_ESCH", kLongRuns, "SumOfSquares", 1, 40000, kGlobal, 1e-4, 1e-2},
    {"GN_ESCH", kLongRuns, "Rosenbrock", 1, 20000, kProgress, 1.5, 0},
    {"GN_ESCH", kLongRuns, "Rastrigin", 1, 40000, kGlobal, 5e-2, 2e-2},
    {"GN_DIRECT_L", {}, "SumOfSquares", 4, 3000, kGlobal, 1e-8, 1e-4},
    {"GN_DIRECT_L", {}, "Rosenbrock", 1, 10000, kGlobal, 1e-8, 1e-3},
    {"GN_DIRECT_L", {}, "Rastrigin", 4, 10000, kLocal, 3.0, 1e-2},
};

INSTANTIATE_TEST_SUITE_P(Methods, ConvergenceTest, ::testing::ValuesIn(kCases),
                         CaseName);

}  // namespace
}  // namespace cellfit::optimize
