// The ask/tell contract every method shares (optimizer.h): idempotent Ask,
// Tell checks, NaN and infinite errors, best-point tracking, and the
// configuration checks of RestoreState.
#include "server/optimize/optimizer.h"

#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/optimize/make_optimizer.h"
#include "server/optimize/test_problems.h"

namespace cellfit::optimize {
namespace {

using test_problems::Drive;
using ::testing::HasSubstr;

std::unique_ptr<Optimizer> MakeOrDie(
    const std::string& method, const ParameterSpace& space, int n_samples,
    uint64_t seed = 1, std::map<std::string, double> options = {}) {
  OptimizerConfig config;
  config.method = method;
  config.seed = seed;
  config.options = std::move(options);
  auto optimizer = MakeOptimizer(config, space, n_samples);
  EXPECT_TRUE(optimizer.ok()) << optimizer.status();
  return std::move(optimizer).value();
}

class ContractTest : public ::testing::TestWithParam<std::string> {};

INSTANTIATE_TEST_SUITE_P(Methods, ContractTest,
                         ::testing::Values("DE", "CMAES", "PSO", "LN_BOBYQA",
                                           "GN_CRS2_LM", "GN_DIRECT_L"));

TEST_P(ContractTest, AskRepeatsUntilTold) {
  auto optimizer = MakeOrDie(GetParam(), test_problems::Box(3, -1, 1), 6);
  EXPECT_FALSE(optimizer->awaiting_tell());
  const Eigen::MatrixXd first = optimizer->Ask().value();
  EXPECT_TRUE(optimizer->awaiting_tell());
  EXPECT_EQ(optimizer->Ask().value(), first);
  ASSERT_TRUE(optimizer->Tell(first, Eigen::VectorXd::Ones(6)).ok());
  EXPECT_EQ(optimizer->rounds_told(), 1);
  EXPECT_FALSE(optimizer->awaiting_tell());
  EXPECT_NE(optimizer->Ask().value(), first);
}

TEST_P(ContractTest, TellChecksWhatItIsGiven) {
  auto optimizer = MakeOrDie(GetParam(), test_problems::Box(3, -1, 1), 6);
  const Eigen::VectorXd errors = Eigen::VectorXd::LinSpaced(6, 1, 6);
  EXPECT_EQ(optimizer->Tell(Eigen::MatrixXd::Zero(6, 3), errors).code(),
            absl::StatusCode::kFailedPrecondition);

  const Eigen::MatrixXd asked = optimizer->Ask().value();
  const absl::Status rows = optimizer->Tell(asked.topRows(5), errors);
  EXPECT_EQ(rows.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(rows.message()),
              HasSubstr("Tell got a 5x3 candidate matrix; the last Ask gave "
                        "6x3"));
  EXPECT_THAT(std::string(optimizer->Tell(asked, errors.head(4)).message()),
              HasSubstr("Tell got 4 errors for 6 candidates"));
  Eigen::MatrixXd altered = asked;
  altered(2, 1) = std::nextafter(altered(2, 1), 2.0);
  const absl::Status mismatch = optimizer->Tell(altered, errors);
  EXPECT_EQ(mismatch.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(mismatch.message()),
              HasSubstr("Tell got candidate 2 with x1 = "));

  // The failed Tells changed nothing: the round can still be told.
  EXPECT_TRUE(optimizer->awaiting_tell());
  EXPECT_EQ(optimizer->rounds_told(), 0);
  ASSERT_TRUE(optimizer->Tell(asked, errors).ok());
  EXPECT_EQ(optimizer->best_error(), 1.0);
  EXPECT_EQ(optimizer->best_point(), asked.row(0).transpose());
}

TEST_P(ContractTest, AllFailedRoundLeavesNoBest) {
  auto optimizer = MakeOrDie(GetParam(), test_problems::Box(2, -1, 1), 6);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  Eigen::VectorXd errors(6);
  errors << nan, inf, -inf, nan, inf, -inf;
  for (int round = 0; round < 3; ++round) {
    const Eigen::MatrixXd asked = optimizer->Ask().value();
    ASSERT_TRUE(optimizer->Tell(asked, errors).ok());
    EXPECT_FALSE(optimizer->has_best());
    EXPECT_EQ(optimizer->best_error(), inf);
    EXPECT_EQ(optimizer->best_point().size(), 0);
  }
  const Eigen::MatrixXd asked = optimizer->Ask().value();
  ASSERT_TRUE(asked.allFinite());
  errors << 5, 4, 3, nan, 1, 2;
  ASSERT_TRUE(optimizer->Tell(asked, errors).ok());
  EXPECT_EQ(optimizer->best_error(), 1.0);
  EXPECT_EQ(optimizer->best_point(), asked.row(4).transpose());
}

TEST_P(ContractTest, NonFiniteErrorsCountAsWorstAndPoisonNothing) {
  // Sum of squares where a slab of the box "fails to simulate" (NaN, +inf
  // or -inf), as unstable parameter regions do. The optimizer must neither
  // record failures as best nor stall.
  const test_problems::Problem problem = test_problems::SumOfSquares();
  constexpr int kSamples = 6;
  constexpr int kRounds = 1000;
  auto optimizer = MakeOrDie(GetParam(), problem.space, kSamples);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  double best_finite = inf;
  int failures = 0;
  Eigen::VectorXd errors(kSamples);
  for (int round = 0; round < kRounds; ++round) {
    const Eigen::MatrixXd asked = optimizer->Ask().value();
    for (int i = 0; i < kSamples; ++i) {
      const Eigen::VectorXd x = asked.row(i).transpose();
      ASSERT_TRUE(problem.space.Contains(x));
      if (x[0] > 3.0 || x[1] > 3.0) {
        errors[i] = i % 3 == 0 ? nan : i % 3 == 1 ? inf : -inf;
        ++failures;
      } else {
        errors[i] = problem.f(x);
        best_finite = std::min(best_finite, errors[i]);
      }
    }
    ASSERT_TRUE(optimizer->Tell(asked, errors).ok());
  }
  EXPECT_GT(failures, 0);
  EXPECT_EQ(optimizer->best_error(), best_finite);
  EXPECT_EQ(problem.f(optimizer->best_point()), best_finite);
  // Converging, not sampling: the best of 6000 uniformly random points
  // scores ~0.5 here (the box average is ~50). The slowest method tested,
  // CRS2 split into 6 runs of 1000 evaluations, reaches ~4e-5.
  EXPECT_LT(best_finite, 1e-3) << GetParam();
}

TEST(OptimizerTest, BestIsTheLowestToldError) {
  auto optimizer = MakeOrDie("DE", test_problems::Box(2, 0, 10), 5);
  double lowest = std::numeric_limits<double>::infinity();
  Eigen::VectorXd lowest_point;
  for (int round = 0; round < 20; ++round) {
    const Eigen::MatrixXd asked = optimizer->Ask().value();
    Eigen::VectorXd errors(5);
    for (int i = 0; i < 5; ++i) {
      errors[i] = std::sin(asked(i, 0)) + std::cos(asked(i, 1));
      if (errors[i] < lowest) {
        lowest = errors[i];
        lowest_point = asked.row(i).transpose();
      }
    }
    ASSERT_TRUE(optimizer->Tell(asked, errors).ok());
    EXPECT_EQ(optimizer->best_error(), lowest);
    EXPECT_EQ(optimizer->best_point(), lowest_point);
  }
}

TEST(OptimizerTest, RestoreRefusesAnotherConfiguration) {
  const ParameterSpace space = test_problems::Box(3, -1, 1);
  auto saved = MakeOrDie("DE", space, 8, 5, {{"CR", 0.7}});
  Drive(*saved, test_problems::SumOfSquares(), 0);
  saved->Ask().value();
  const std::string state = saved->SaveState();

  struct Case {
    std::string method;
    ParameterSpace space;
    int n_samples;
    uint64_t seed;
    std::map<std::string, double> options;
    const char* message;
  };
  const Case cases[] = {
      {"PSO",
       space,
       8,
       5,
       {},
       "saved with method DE but is restored into an "
       "optimizer with method PSO"},
      {"DE", space, 8, 6, {{"CR", 0.7}}, "seed 5"},
      {"DE", space, 9, 5, {{"CR", 0.7}}, "n_samples 8"},
      {"DE", space, 8, 5, {{"CR", 0.8}}, "options {CR=0.7}"},
      {"DE",
       test_problems::Box(3, -1, 2),
       8,
       5,
       {{"CR", 0.7}},
       "parameter x0 [-1, 1] but is restored into an optimizer with "
       "parameter x0 [-1, 2]"},
      {"DE",
       test_problems::Box(2, -1, 1),
       8,
       5,
       {{"CR", 0.7}},
       "parameter count 3"},
  };
  for (const Case& c : cases) {
    OptimizerConfig config{c.method, c.seed, c.options};
    auto restored = RestoreOptimizer(config, c.space, c.n_samples, state);
    EXPECT_EQ(restored.status().code(), absl::StatusCode::kInvalidArgument)
        << c.message;
    EXPECT_THAT(std::string(restored.status().message()), HasSubstr(c.message));
  }
}

TEST(OptimizerTest, CorruptStateIsDataLossAndChangesNothing) {
  const test_problems::Problem problem = test_problems::Rosenbrock();
  auto optimizer = MakeOrDie("CMAES", problem.space, 8, 3);
  auto twin = MakeOrDie("CMAES", problem.space, 8, 3);
  Drive(*optimizer, problem, 5);
  Drive(*twin, problem, 5);
  const std::string state = optimizer->SaveState();

  const std::string bad_inputs[] = {
      "",
      "not a state",
      state.substr(0, state.size() / 2),
      state.substr(0, state.size() - 1),
      state + "x",
  };
  for (const std::string& bad : bad_inputs) {
    const absl::Status status = optimizer->RestoreState(bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  }
  // Another method's state, under the same envelope, fails on the method.
  auto de = MakeOrDie("DE", problem.space, 8, 3);
  EXPECT_EQ(optimizer->RestoreState(de->SaveState()).code(),
            absl::StatusCode::kInvalidArgument);

  // Nothing changed: it continues exactly like its twin.
  const auto a = Drive(*optimizer, problem, 5, -INFINITY, true);
  const auto b = Drive(*twin, problem, 5, -INFINITY, true);
  for (size_t r = 0; r < a.asked.size(); ++r) EXPECT_EQ(a.asked[r], b.asked[r]);
}

}  // namespace
}  // namespace cellfit::optimize
