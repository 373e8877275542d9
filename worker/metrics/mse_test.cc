#include "worker/metrics/mse.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cellfit::metrics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Two targets of 4 steps, dt = 0.5 ms (exact in binary, so that t_start / dt
// is exact too).
constexpr double kDt = 0.5e-3;
const std::vector<double> kTargets = {0, 1, 2, 3,   // trace 0
                                      1, 1, 1, 1};  // trace 1
const std::vector<double> kModel = {1, 1, 1, 1};
// Squared differences of kModel against trace 0: 1, 0, 1, 4; against
// trace 1: 0, 0, 0, 0.

TargetTraces Targets() {
  return TargetTraces{
      .dt = kDt, .n_traces = 2, .n_steps = 4, .values = kTargets};
}

TEST(MseTest, MeanOverStepsThenOverTraces) {
  auto metric = MakeMseMetric({}, Targets());
  ASSERT_TRUE(metric.ok()) << metric.status();
  EXPECT_EQ((*metric)->output_kind(), OutputKind::kTraces);
  EXPECT_EQ((*metric)->error_dimension_exponent(), 2);
  EXPECT_EQ(*(*metric)->TraceValue(0, kModel), 1.5);  // (1+0+1+4)/4
  EXPECT_EQ(*(*metric)->TraceValue(1, kModel), 0.0);
  EXPECT_EQ(*(*metric)->Error(std::vector<double>{1.5, 0.0}), 0.75);
}

TEST(MseTest, TStartSkipsRoundedSteps) {
  // t_start = 1 ms = 2 steps: (1 + 4) / 2.
  auto metric = MakeMseMetric({.t_start = 1e-3}, Targets());
  ASSERT_TRUE(metric.ok()) << metric.status();
  EXPECT_EQ((*metric)->start_step(), 2u);
  EXPECT_EQ(*(*metric)->TraceValue(0, kModel), 2.5);
  // 1.25 ms = 2.5 steps rounds to 2 (Python's round: half to even).
  auto tie = MakeMseMetric({.t_start = 1.25e-3}, Targets());
  ASSERT_TRUE(tie.ok());
  EXPECT_EQ((*tie)->start_step(), 2u);
  EXPECT_EQ(*(*tie)->TraceValue(0, kModel), 2.5);
  // The last step alone: 4.
  auto last = MakeMseMetric({.t_start = 1.5e-3}, Targets());
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*(*last)->TraceValue(0, kModel), 4.0);
}

TEST(MseTest, StartStepRoundsHalfToEven) {
  EXPECT_EQ(StartStep(0.25, 0.5), 0u);  // 0.5 -> 0
  EXPECT_EQ(StartStep(0.75, 0.5), 2u);  // 1.5 -> 2
  EXPECT_EQ(StartStep(1.25, 0.5), 2u);  // 2.5 -> 2
  EXPECT_EQ(StartStep(1.3, 0.5), 3u);   // 2.6 -> 3
}

TEST(MseTest, TWeightsAreNormalizedToMeanOne) {
  // Weights 0, 0, 2, 6 have mean 2: normalized 0, 0, 1, 3, and the error is
  // (0 + 0 + 1*1 + 3*4) / 4 = 3.25. Only relative values matter.
  auto metric = MakeMseMetric({.t_weights = {0, 0, 2, 6}}, Targets());
  ASSERT_TRUE(metric.ok()) << metric.status();
  EXPECT_THAT((*metric)->normalized_weights(), ElementsAre(0, 0, 1, 3));
  EXPECT_EQ(*(*metric)->TraceValue(0, kModel), 3.25);
  auto scaled = MakeMseMetric({.t_weights = {0, 0, 0.5, 1.5}}, Targets());
  ASSERT_TRUE(scaled.ok());
  EXPECT_EQ(*(*scaled)->TraceValue(0, kModel), 3.25);
}

TEST(MseTest, NormalizationDividesTheTraces) {
  // Traces divided by 2: the error is divided by 4, as in brian2modelfitting.
  auto metric = MakeMseMetric({.normalization = 2}, Targets());
  ASSERT_TRUE(metric.ok());
  EXPECT_EQ((*metric)->normalization(), 2.0);
  EXPECT_EQ(*(*metric)->TraceValue(0, kModel), 1.5);  // raw per trace
  EXPECT_EQ(*(*metric)->Error(std::vector<double>{1.5, 0.0}), 0.75 / 4);
  EXPECT_EQ((*metric)->RevertNormalization(0.75 / 4), 0.75);
  // 0 means "not set", i.e. 1.
  auto unset = MakeMseMetric({.normalization = 0}, Targets());
  ASSERT_TRUE(unset.ok());
  EXPECT_EQ((*unset)->normalization(), 1.0);
}

TEST(MseTest, DivergedModelIsInfinitelyBadNotNaN) {
  auto metric = MakeMseMetric({}, Targets());
  ASSERT_TRUE(metric.ok());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto value = (*metric)->TraceValue(0, std::vector<double>{1, nan, 1, 1});
  ASSERT_TRUE(value.ok());
  EXPECT_TRUE(std::isinf(*value));
}

TEST(MseTest, RejectsTWeightsWithTStart) {
  auto metric =
      MakeMseMetric({.t_start = 1e-3, .t_weights = {1, 1, 1, 1}}, Targets());
  EXPECT_EQ(metric.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(metric.status().message(),
              HasSubstr("cannot use both t_weights and t_start"));
}

TEST(MseTest, RejectsTWeightsOfTheWrongLength) {
  auto metric = MakeMseMetric({.t_weights = {1, 1, 1}}, Targets());
  EXPECT_THAT(metric.status().message(), HasSubstr("one weight per time step"));
  EXPECT_THAT(metric.status().message(), HasSubstr("4 values"));
  EXPECT_THAT(metric.status().message(), HasSubstr("has 3"));
}

TEST(MseTest, RejectsNegativeOrZeroWeights) {
  auto negative = MakeMseMetric({.t_weights = {1, -1, 1, 1}}, Targets());
  EXPECT_THAT(negative.status().message(), HasSubstr("non-negative"));
  auto zero = MakeMseMetric({.t_weights = {0, 0, 0, 0}}, Targets());
  EXPECT_THAT(zero.status().message(), HasSubstr("all be zero"));
}

TEST(MseTest, RejectsTStartBeyondTheTrace) {
  // 4 steps of 0.5 ms: t_start = 2 ms is step 4, past the last one.
  auto at_end = MakeMseMetric({.t_start = 2e-3}, Targets());
  EXPECT_EQ(at_end.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(at_end.status().message(), HasSubstr("t_start"));
  EXPECT_THAT(at_end.status().message(), HasSubstr("4 steps"));
  EXPECT_FALSE(MakeMseMetric({.t_start = 1.0}, Targets()).ok());
  EXPECT_FALSE(MakeMseMetric({.t_start = 1e300}, Targets()).ok());
  auto negative = MakeMseMetric({.t_start = -1e-3}, Targets());
  EXPECT_THAT(negative.status().message(), HasSubstr("non-negative"));
}

TEST(MseTest, RejectsBadTargetsAndCalls) {
  TargetTraces short_values = Targets();
  short_values.n_steps = 5;
  EXPECT_THAT(MakeMseMetric({}, short_values).status().message(),
              HasSubstr("n_traces * n_steps"));
  TargetTraces no_dt = Targets();
  no_dt.dt = 0;
  EXPECT_THAT(MakeMseMetric({}, no_dt).status().message(), HasSubstr("dt"));
  EXPECT_THAT(
      MakeMseMetric({.normalization = -2}, Targets()).status().message(),
      HasSubstr("normalization"));

  auto metric = MakeMseMetric({}, Targets());
  ASSERT_TRUE(metric.ok());
  EXPECT_THAT(
      (*metric)->TraceValue(0, std::vector<double>{1, 2}).status().message(),
      HasSubstr("expected 4"));
  EXPECT_THAT((*metric)->TraceValue(2, kModel).status().message(),
              HasSubstr("out of range"));
  EXPECT_FALSE((*metric)->Combine(std::vector<double>{1}).ok());
}

}  // namespace
}  // namespace cellfit::metrics
