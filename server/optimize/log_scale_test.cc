// Log-scaled parameters through a whole optimizer: candidates spread evenly
// over decades, and fits of parameters spanning decades reach them to a
// relative tolerance.
#include <cmath>

#include "gtest/gtest.h"
#include "server/optimize/make_optimizer.h"

namespace cellfit::optimize {
namespace {

ParameterSpace Conductances(bool log_scale) {
  return ParameterSpace::Create({{"gNa", 1e-9, 1e-3, log_scale},
                                 {"gK", 1e-9, 1e-3, log_scale},
                                 {"gL", 1e-9, 1e-3, log_scale}})
      .value();
}

TEST(LogScaleTest, FirstRoundCoversEveryDecade) {
  constexpr int kSamples = 600;
  OptimizerConfig config{"DE", 4, {}};
  auto log = MakeOptimizer(config, Conductances(true), kSamples).value();
  auto linear = MakeOptimizer(config, Conductances(false), kSamples).value();
  const Eigen::MatrixXd log_first = log->Ask().value();
  const Eigen::MatrixXd linear_first = linear->Ask().value();
  for (int k = 0; k < 3; ++k) {
    int per_decade[6] = {0, 0, 0, 0, 0, 0};
    int linear_top_decade = 0;
    for (int i = 0; i < kSamples; ++i) {
      ASSERT_GE(log_first(i, k), 1e-9);
      ASSERT_LE(log_first(i, k), 1e-3);
      const int decade = std::min(
          5, static_cast<int>(std::floor(std::log10(log_first(i, k)) + 9)));
      ++per_decade[decade];
      if (linear_first(i, k) >= 1e-4) ++linear_top_decade;
    }
    // Uniform in log: 100 per decade expected (binomial sd ~9).
    for (int count : per_decade) {
      EXPECT_GT(count, 60);
      EXPECT_LT(count, 140);
    }
    // Uniform in value: ~90% in the top decade.
    EXPECT_GT(linear_top_decade, kSamples * 8 / 10);
  }
}

TEST(LogScaleTest, FitsConductancesSpanningDecades) {
  // Error in decades from (3e-8, 2e-4, 5e-6) S: the kind of landscape a
  // conductance fit has, where only ratios matter.
  const Eigen::Vector3d target(3e-8, 2e-4, 5e-6);
  const auto error = [&](const Eigen::VectorXd& g) {
    return (g.array() / target.array()).log10().square().sum();
  };
  for (const char* method : {"DE", "CMAES", "LN_BOBYQA"}) {
    OptimizerConfig config{method, 1, {}};
    auto optimizer = MakeOptimizer(config, Conductances(true), 20).value();
    for (int round = 0; round < 300; ++round) {
      const Eigen::MatrixXd x = optimizer->Ask().value();
      Eigen::VectorXd e(x.rows());
      for (Eigen::Index i = 0; i < x.rows(); ++i) {
        e[i] = error(x.row(i).transpose());
      }
      ASSERT_TRUE(optimizer->Tell(x, e).ok());
    }
    const Eigen::VectorXd best = optimizer->best_point();
    const double relative =
        (best.array() / target.array() - 1.0).abs().maxCoeff();
    EXPECT_LT(relative, 1e-4) << method << ": " << best.transpose();
  }
}

}  // namespace
}  // namespace cellfit::optimize
