#include "worker/metrics/make_metric.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cellfit::metrics {
namespace {

using ::testing::HasSubstr;

const std::vector<double> kValues = {0, 1, 2, 3};
const std::vector<std::vector<double>> kTrains = {{0.001, 0.005}};

TargetTraces Traces() {
  return TargetTraces{
      .dt = 1e-3, .n_traces = 1, .n_steps = 4, .values = kValues};
}

TargetSpikes Spikes() { return TargetSpikes{.dt = 1e-4, .trains = kTrains}; }

TEST(MakeMetricTest, BuildsEachKind) {
  auto mse = MakeMetric(MseConfig{}, Traces());
  ASSERT_TRUE(mse.ok()) << mse.status();
  EXPECT_EQ((*mse)->name(), "MSE");

  auto gamma =
      MakeMetric(GammaFactorConfig{.delta = 1e-4, .time = 0.01}, Spikes());
  ASSERT_TRUE(gamma.ok()) << gamma.status();
  EXPECT_EQ((*gamma)->name(), "GammaFactor");
  EXPECT_EQ((*gamma)->output_kind(), OutputKind::kSpikes);

  FeatureMetricConfig features;
  features.features = {"voltage_base"};
  features.stim_start = {1e-3};
  features.stim_end = {2e-3};
  auto feature = MakeMetric(features, Traces());
  ASSERT_TRUE(feature.ok()) << feature.status();
  EXPECT_EQ((*feature)->name(), "FeatureMetric");
}

TEST(MakeMetricTest, RejectsMismatchedTargets) {
  auto gamma_on_traces =
      MakeMetric(GammaFactorConfig{.delta = 1e-4, .time = 0.01}, Traces());
  EXPECT_EQ(gamma_on_traces.status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(gamma_on_traces.status().message(),
              HasSubstr("GammaFactor compares spike trains"));
  auto mse_on_spikes = MakeMetric(MseConfig{}, Spikes());
  EXPECT_THAT(mse_on_spikes.status().message(),
              HasSubstr("MSE compares traces"));
  auto features_on_spikes = MakeMetric(FeatureMetricConfig{}, Spikes());
  EXPECT_THAT(features_on_spikes.status().message(),
              HasSubstr("FeatureMetric compares traces"));
}

TEST(MakeMetricTest, PassesOnValidationErrors) {
  auto mse = MakeMetric(MseConfig{.t_start = 1.0}, Traces());
  EXPECT_THAT(mse.status().message(), HasSubstr("t_start"));
}

}  // namespace
}  // namespace cellfit::metrics
