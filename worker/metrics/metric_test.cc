#include "worker/metrics/metric.h"

#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cellfit::metrics {
namespace {

using ::testing::HasSubstr;

TEST(MetricKindTest, CombineIsMeanOrSum) {
  const std::vector<double> values = {1, 2, 6};
  EXPECT_EQ(*CombineTraceValues(MetricKind::kMse, values), 3.0);
  EXPECT_EQ(*CombineTraceValues(MetricKind::kGammaFactor, values), 3.0);
  EXPECT_EQ(*CombineTraceValues(MetricKind::kFeatureMetric, values), 9.0);
  EXPECT_FALSE(CombineTraceValues(MetricKind::kMse, {}).ok());
  const std::vector<double> with_nan = {
      1, std::numeric_limits<double>::quiet_NaN()};
  EXPECT_THAT(CombineTraceValues(MetricKind::kMse, with_nan).status().message(),
              HasSubstr("trace 1 is NaN"));
}

TEST(MetricKindTest, NormalizationAndDimensions) {
  EXPECT_EQ(NormalizeError(MetricKind::kMse, 2.0, 8.0), 2.0);
  EXPECT_EQ(NormalizeError(MetricKind::kGammaFactor, 2.0, 8.0), 4.0);
  EXPECT_EQ(NormalizeError(MetricKind::kFeatureMetric, 2.0, 8.0), 4.0);
  EXPECT_EQ(RevertNormalization(MetricKind::kMse, 2.0, 2.0), 8.0);
  EXPECT_EQ(RevertNormalization(MetricKind::kFeatureMetric, 2.0, 4.0), 8.0);
  EXPECT_EQ(ErrorDimensionExponent(MetricKind::kMse), 2);
  EXPECT_EQ(ErrorDimensionExponent(MetricKind::kGammaFactor), 0);
  EXPECT_EQ(ErrorDimensionExponent(MetricKind::kFeatureMetric), 0);
  EXPECT_EQ(OutputKindOf(MetricKind::kGammaFactor), OutputKind::kSpikes);
  EXPECT_EQ(OutputKindOf(MetricKind::kFeatureMetric), OutputKind::kTraces);
  EXPECT_EQ(MetricKindName(MetricKind::kMse), "MSE");
}

TEST(MetricKindTest, ResolveNormalization) {
  EXPECT_EQ(*ResolveNormalization(0.0, "MSE"), 1.0);
  EXPECT_EQ(*ResolveNormalization(0.5, "MSE"), 0.5);
  EXPECT_THAT(ResolveNormalization(-1, "MSE").status().message(),
              HasSubstr("MSE: normalization must be a positive"));
  EXPECT_FALSE(
      ResolveNormalization(std::numeric_limits<double>::infinity(), "MSE")
          .ok());
}

TEST(TargetValidationTest, Traces) {
  const std::vector<double> values = {0, 1, 2, 3};
  TargetTraces ok{.dt = 1e-4, .n_traces = 2, .n_steps = 2, .values = values};
  EXPECT_TRUE(ValidateTargetTraces(ok).ok());
  EXPECT_EQ(ok.trace(1)[0], 2.0);
  TargetTraces empty{.dt = 1e-4, .n_traces = 0, .n_steps = 0, .values = {}};
  EXPECT_THAT(ValidateTargetTraces(empty).message(),
              HasSubstr("at least one trace"));
  const std::vector<double> bad = {0, 1,
                                   std::numeric_limits<double>::infinity(), 3};
  TargetTraces inf{.dt = 1e-4, .n_traces = 2, .n_steps = 2, .values = bad};
  EXPECT_THAT(ValidateTargetTraces(inf).message(),
              HasSubstr("trace 1, step 0"));
}

TEST(TargetValidationTest, Spikes) {
  const std::vector<std::vector<double>> trains = {{0.1, 0.2}, {}};
  EXPECT_TRUE(ValidateTargetSpikes({.dt = 1e-4, .trains = trains}).ok());
  EXPECT_THAT(ValidateTargetSpikes({.dt = -1, .trains = trains}).message(),
              HasSubstr("dt"));
  const std::vector<std::vector<double>> unsorted = {{0.2, 0.1}};
  EXPECT_THAT(ValidateTargetSpikes({.dt = 1e-4, .trains = unsorted}).message(),
              HasSubstr("ascending"));
}

}  // namespace
}  // namespace cellfit::metrics
