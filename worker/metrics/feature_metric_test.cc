#include "worker/metrics/feature_metric.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cellfit::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;

constexpr double kMv = 1e-3;
constexpr double kDt = 1e-4;  // 0.1 ms
constexpr int kSteps = 1200;  // 120 ms
constexpr double kTol = 1e-9;

// -70 mV with triangular spikes peaking at +35 mV: AP_amplitude 105 mV,
// AP_height 35 mV (see efel_features_test.cc for the shape).
std::vector<double> Trace(const std::vector<int>& peaks,
                          double baseline_mv = -70) {
  std::vector<double> v(kSteps, baseline_mv * kMv);
  auto set = [&v](int i, double mv) {
    if (i >= 0 && i < kSteps) v[i] = mv * kMv;
  };
  for (int p : peaks) {
    for (int k = 0; k <= 10; ++k) set(p - 10 + k, -70 + 10.5 * k);
    for (int m = 1; m <= 5; ++m) set(p + m, 35 - 23.0 * m);
    for (int m = 1; m <= 20; ++m) set(p + 5 + m, -80 + 0.5 * m);
  }
  return v;
}

// Two targets: five spikes (trace 0) and one spike at 50 ms (trace 1).
class FeatureMetricTest : public ::testing::Test {
 protected:
  FeatureMetricTest() {
    std::vector<double> five = Trace({200, 300, 450, 650, 900});
    std::vector<double> one = Trace({500});
    values_.insert(values_.end(), five.begin(), five.end());
    values_.insert(values_.end(), one.begin(), one.end());
  }

  TargetTraces Targets() const {
    return TargetTraces{
        .dt = kDt, .n_traces = 2, .n_steps = kSteps, .values = values_};
  }

  FeatureMetricConfig Config() const {
    FeatureMetricConfig config;
    config.features = {"Spikecount", "AP_amplitude", "voltage_base"};
    config.stim_start = {10e-3};
    config.stim_end = {110e-3};
    return config;
  }

  std::vector<double> values_;
};

TEST_F(FeatureMetricTest, TargetFeaturesAreComputedOnce) {
  auto metric = MakeFeatureMetric(Config(), Targets());
  ASSERT_TRUE(metric.ok()) << metric.status();
  EXPECT_EQ((*metric)->n_traces(), 2u);
  EXPECT_EQ((*metric)->error_dimension_exponent(), 0);
  EXPECT_THAT((*metric)->target_value(0, 0), Optional(5.0));
  EXPECT_NEAR(*(*metric)->target_value(0, 1), 105.0, kTol);
  EXPECT_NEAR(*(*metric)->target_value(0, 2), -70.0, kTol);
  EXPECT_THAT((*metric)->target_value(1, 0), Optional(1.0));
}

TEST_F(FeatureMetricTest, IdenticalTraceGivesZero) {
  auto metric = MakeFeatureMetric(Config(), Targets());
  ASSERT_TRUE(metric.ok()) << metric.status();
  EXPECT_NEAR(*(*metric)->TraceValue(0, Targets().trace(0)), 0.0, kTol);
  EXPECT_NEAR(*(*metric)->TraceValue(1, Targets().trace(1)), 0.0, kTol);
}

TEST_F(FeatureMetricTest, AbsoluteDifferencesSummedWithMissingAs99) {
  auto metric = MakeFeatureMetric(Config(), Targets());
  ASSERT_TRUE(metric.ok()) << metric.status();
  // A silent model at -70 mV against trace 0: Spikecount |0 - 5| = 5,
  // AP_amplitude undefined -> |99 - 105| = 6, voltage_base |-70 + 70| = 0.
  const std::vector<double> silent = Trace({});
  EXPECT_NEAR(*(*metric)->TraceValue(0, silent), 11.0, kTol);
  // Against trace 1: |0 - 1| + |99 - 105| = 7.
  EXPECT_NEAR(*(*metric)->TraceValue(1, silent), 7.0, kTol);
  // A model at -65 mV with the five spikes: voltage_base differs by 5 mV
  // (the comparison is in eFEL's units, mV).
  const std::vector<double> shifted = Trace({200, 300, 450, 650, 900}, -65);
  EXPECT_NEAR(*(*metric)->TraceValue(0, shifted), 5.0, kTol);
  // The sample's error is the sum over traces.
  EXPECT_NEAR(*(*metric)->Error(std::vector<double>{11.0, 7.0}), 18.0, kTol);
}

TEST_F(FeatureMetricTest, WeightsAndSquaredDifference) {
  FeatureMetricConfig config = Config();
  config.weights = {{"Spikecount", 2.0}, {"voltage_base", 0.5}};
  auto weighted = MakeFeatureMetric(config, Targets());
  ASSERT_TRUE(weighted.ok()) << weighted.status();
  const std::vector<double> silent = Trace({});
  // 2 * 5 + 1 * 6 + 0.5 * 0.
  EXPECT_NEAR(*(*weighted)->TraceValue(0, silent), 16.0, kTol);
  const std::vector<double> low = Trace({}, -72);
  // 2 * 5 + 6 + 0.5 * 2.
  EXPECT_NEAR(*(*weighted)->TraceValue(0, low), 17.0, kTol);

  config.combine = "squared_difference";
  auto squared = MakeFeatureMetric(config, Targets());
  ASSERT_TRUE(squared.ok()) << squared.status();
  // 2 * 25 + 36 + 0.5 * 4.
  // (The 0.1 ms grid carries ~1e-10 mV of rounding into AP_amplitude.)
  EXPECT_NEAR(*(*squared)->TraceValue(0, low), 88.0, 1e-8);
}

TEST_F(FeatureMetricTest, BothUndefinedCostsNothing) {
  // Target and model without spikes: AP_height is undefined for both.
  const std::vector<double> flat = Trace({});
  FeatureMetricConfig config = Config();
  config.features = {"AP_height", "time_to_first_spike"};
  TargetTraces targets{
      .dt = kDt, .n_traces = 1, .n_steps = kSteps, .values = flat};
  auto metric = MakeFeatureMetric(config, targets);
  ASSERT_TRUE(metric.ok()) << metric.status();
  EXPECT_EQ((*metric)->target_value(0, 0), std::nullopt);
  EXPECT_EQ(*(*metric)->TraceValue(0, flat), 0.0);
  // A spiking model pays |35 - 99| + |(50 - 10) - 99|.
  EXPECT_NEAR(*(*metric)->TraceValue(0, Trace({500})), 64.0 + 59.0, kTol);
  // The penalty value is configurable.
  config.missing_value = 0;
  auto zero = MakeFeatureMetric(config, targets);
  ASSERT_TRUE(zero.ok());
  EXPECT_NEAR(*(*zero)->TraceValue(0, Trace({500})), 35.0 + 40.0, kTol);
}

TEST_F(FeatureMetricTest, DivergedModelPaysThePenaltyNotNaN) {
  auto metric = MakeFeatureMetric(Config(), Targets());
  ASSERT_TRUE(metric.ok());
  std::vector<double> diverged = Trace({});
  diverged[600] = std::numeric_limits<double>::quiet_NaN();
  // Every feature missing: |99 - 5| + |99 - 105| + |99 + 70|.
  EXPECT_NEAR(*(*metric)->TraceValue(0, diverged), 94.0 + 6.0 + 169.0, kTol);
}

TEST_F(FeatureMetricTest, NormalizationDividesTheError) {
  FeatureMetricConfig config = Config();
  config.normalization = 4;
  auto metric = MakeFeatureMetric(config, Targets());
  ASSERT_TRUE(metric.ok());
  EXPECT_NEAR(*(*metric)->TraceValue(0, Trace({})), 11.0, kTol);
  EXPECT_NEAR(*(*metric)->Error(std::vector<double>{11.0, 7.0}), 4.5, kTol);
}

TEST_F(FeatureMetricTest, StimulusTimesPerTrace) {
  FeatureMetricConfig config = Config();
  config.features = {"time_to_first_spike"};
  config.stim_start = {10e-3, 20e-3};
  config.stim_end = {110e-3};
  auto metric = MakeFeatureMetric(config, Targets());
  ASSERT_TRUE(metric.ok()) << metric.status();
  EXPECT_NEAR(*(*metric)->target_value(0, 0), 20.0 - 10.0, kTol);
  EXPECT_NEAR(*(*metric)->target_value(1, 0), 50.0 - 20.0, kTol);
}

TEST_F(FeatureMetricTest, TStartShiftsTheTimeAxis) {
  // Dropping the first 5 ms: the trace restarts at 0 and stimulus times are
  // relative to t_start (10 ms after it is 15 ms in the recording).
  FeatureMetricConfig config = Config();
  config.features = {"time_to_first_spike"};
  config.t_start = 5e-3;
  auto metric = MakeFeatureMetric(config, Targets());
  ASSERT_TRUE(metric.ok()) << metric.status();
  EXPECT_NEAR(*(*metric)->target_value(0, 0), (20.0 - 5.0) - 10.0, kTol);
  auto model = (*metric)->ModelValues(1, Trace({600}));
  ASSERT_TRUE(model.ok());
  EXPECT_NEAR(*(*model)[0], (60.0 - 5.0) - 10.0, kTol);
}

TEST_F(FeatureMetricTest, RejectsBadConfigs) {
  auto error = [this](const FeatureMetricConfig& config) {
    return std::string(MakeFeatureMetric(config, Targets()).status().message());
  };
  FeatureMetricConfig config = Config();
  config.features = {};
  EXPECT_THAT(error(config), HasSubstr("no features"));
  config.features = {"Spikecount", "AP_begin_time"};
  EXPECT_THAT(error(config), HasSubstr("unknown feature \"AP_begin_time\""));
  EXPECT_THAT(error(config), HasSubstr("AP_amplitude"));  // lists the names
  config.features = {"Spikecount", "spike_count"};
  EXPECT_THAT(error(config), HasSubstr("listed twice"));

  config = Config();
  config.weights = {{"ISI_CV", 1.0}};
  EXPECT_THAT(error(config), HasSubstr("not among the features"));
  config.weights = {{"Spikecount", -1.0}};
  EXPECT_THAT(error(config), HasSubstr(">= 0"));

  config = Config();
  config.combine = "max";
  EXPECT_THAT(error(config), HasSubstr("squared_difference"));

  config = Config();
  config.stim_start = {10e-3, 10e-3, 10e-3};
  EXPECT_THAT(error(config), HasSubstr("one per trace (2)"));
  config.stim_start = {};
  EXPECT_THAT(error(config), HasSubstr("stim_start has 0 values"));
  config.stim_start = {50e-3};
  config.stim_end = {40e-3};
  EXPECT_THAT(error(config), HasSubstr("stim_start < stim_end"));
  config.stim_start = {0.2};
  config.stim_end = {0.3};
  EXPECT_THAT(error(config), HasSubstr("beyond the end of the trace"));

  config = Config();
  config.t_start = 0.2;
  EXPECT_THAT(error(config), HasSubstr("t_start"));
  config.t_start = 1e300;
  EXPECT_THAT(error(config), HasSubstr("t_start"));
  config.t_start = 0;
  config.normalization = -1;
  EXPECT_THAT(error(config), HasSubstr("normalization"));
  config.normalization = 1;
  config.settings.interp_step = 0;
  EXPECT_THAT(error(config), HasSubstr("interp_step"));
}

TEST_F(FeatureMetricTest, RejectsBadCalls) {
  auto metric = MakeFeatureMetric(Config(), Targets());
  ASSERT_TRUE(metric.ok());
  EXPECT_THAT((*metric)->TraceValue(2, Trace({})).status().message(),
              HasSubstr("out of range"));
  EXPECT_THAT(
      (*metric)->TraceValue(0, std::vector<double>(10, 0.0)).status().message(),
      HasSubstr("expected 1200"));
  EXPECT_FALSE((*metric)->Combine(std::vector<double>{1.0}).ok());
}

TEST(ParseFeatureCombineTest, Names) {
  EXPECT_EQ(*ParseFeatureCombine(""), FeatureCombine::kAbsoluteDifference);
  EXPECT_EQ(*ParseFeatureCombine("absolute_difference"),
            FeatureCombine::kAbsoluteDifference);
  EXPECT_EQ(*ParseFeatureCombine("squared_difference"),
            FeatureCombine::kSquaredDifference);
  EXPECT_FALSE(ParseFeatureCombine("abs").ok());
}

}  // namespace
}  // namespace cellfit::metrics
