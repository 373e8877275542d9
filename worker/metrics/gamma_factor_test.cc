#include "worker/metrics/gamma_factor.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cellfit::metrics {
namespace {

using ::testing::HasSubstr;

constexpr double kMs = 1e-3;

std::vector<double> Ms(std::vector<double> times) {
  for (double& t : times) t *= kMs;
  return times;
}

// Six data spikes every 2 ms in 12 ms, the example of brian2modelfitting's
// tests: r_data = 500 Hz; with delta = 0.5 ms the expected coincidences are
// 2 * 0.0005 * 6 * 500 = 3 and norm = (1 - 2 * 500 * 0.0005) / 2 = 0.25.
const std::vector<double> kTarget = Ms({0, 2, 4, 6, 8, 10});

TEST(GammaFactorErrorTest, IdenticalTrainsGiveZero) {
  // Γ = (6 - 3) / (0.25 * 12) = 1 and R = 1.
  EXPECT_NEAR(
      GammaFactorError(kTarget, kTarget, 0.5 * kMs, 12 * kMs, 0.1 * kMs, true),
      0.0, 1e-12);
  EXPECT_NEAR(
      GammaFactorError(kTarget, kTarget, 0.5 * kMs, 12 * kMs, 0.1 * kMs, false),
      0.0, 1e-12);
}

TEST(GammaFactorErrorTest, HalfRateModelByHand) {
  // Model [1, 2, 3] ms: only the data spike at 2 ms has a model spike within
  // 0.5 ms, so N_coinc = 1; Γ = (1 - 3) / (0.25 * 9) = -8/9.
  // R = 1 + 2 |500 - 250| / 500 = 2, so the error is 2 + 8/9 = 26/9.
  const std::vector<double> model = Ms({1, 2, 3});
  EXPECT_NEAR(
      GammaFactorError(model, kTarget, 0.5 * kMs, 12 * kMs, 0.1 * kMs, true),
      26.0 / 9.0, 1e-12);
  EXPECT_NEAR(
      GammaFactorError(model, kTarget, 0.5 * kMs, 12 * kMs, 0.1 * kMs, false),
      17.0 / 9.0, 1e-12);
}

TEST(GammaFactorErrorTest, CoincidenceAtExactlyDeltaCounts) {
  // 1 spike each in 1 s, delta 0.5 ms = 5 steps of 0.1 ms.
  // Expected coincidences 2 * 0.0005 * 1 * 1 = 0.001, norm = 0.4995.
  const std::vector<double> data = Ms({10.0});
  // 10.5 ms is 5 steps away: a coincidence, Γ = 0.999 / 0.999 = 1.
  EXPECT_NEAR(
      GammaFactorError(Ms({10.5}), data, 0.5 * kMs, 1.0, 0.1 * kMs, true), 0.0,
      1e-12);
  EXPECT_NEAR(
      GammaFactorError(Ms({9.5}), data, 0.5 * kMs, 1.0, 0.1 * kMs, true), 0.0,
      1e-12);
  // 10.6 ms is 6 steps away: none, Γ = -0.001 / 0.999.
  EXPECT_NEAR(
      GammaFactorError(Ms({10.6}), data, 0.5 * kMs, 1.0, 0.1 * kMs, true),
      1.0 + 0.001 / 0.999, 1e-12);
}

TEST(GammaFactorErrorTest, NoModelSpikes) {
  // N_coinc = 0: Γ = (0 - 3) / (0.25 * 6) = -2; R = 1 + 2 * 1 = 3.
  EXPECT_NEAR(
      GammaFactorError({}, kTarget, 0.5 * kMs, 12 * kMs, 0.1 * kMs, true), 5.0,
      1e-12);
  EXPECT_NEAR(
      GammaFactorError({}, kTarget, 0.5 * kMs, 12 * kMs, 0.1 * kMs, false), 3.0,
      1e-12);
}

TEST(GammaFactorErrorTest, NoDataSpikesIsFinite) {
  const std::vector<double> model = Ms({1, 2, 3});
  // Defined in cellfit (brian2modelfitting gives inf): R = 1 + 2 * N_model.
  EXPECT_EQ(GammaFactorError(model, {}, 0.5 * kMs, 12 * kMs, 0.1 * kMs, true),
            7.0);
  EXPECT_EQ(GammaFactorError(model, {}, 0.5 * kMs, 12 * kMs, 0.1 * kMs, false),
            1.0);
  // Both silent: a perfect match (brian2modelfitting: NaN).
  EXPECT_EQ(GammaFactorError({}, {}, 0.5 * kMs, 12 * kMs, 0.1 * kMs, true),
            0.0);
  EXPECT_EQ(GammaFactorError({}, {}, 0.5 * kMs, 12 * kMs, 0.1 * kMs, false),
            0.0);
}

TEST(GammaFactorErrorTest, SpikesAtTheEdgesOfTheRecording) {
  // Spikes at t = 0 and t = time: r = 2 / 12 ms; expected coincidences
  // 2 * 0.0005 * 2 * r = 1/3, norm = (1 - 1/6) / 2 = 5/12, so
  // Γ = (2 - 1/3) / (5/12 * 4) = 1.
  const std::vector<double> edges = Ms({0, 12});
  EXPECT_NEAR(
      GammaFactorError(edges, edges, 0.5 * kMs, 12 * kMs, 0.1 * kMs, true), 0.0,
      1e-12);
}

TEST(GammaFactorErrorTest, SeveralDataSpikesMayMatchOneModelSpike) {
  // brian2modelfitting counts per data spike: both data spikes match the
  // single model spike, so N_coinc = 2 > N_model.
  const std::vector<std::int64_t> model = {100};
  const std::vector<std::int64_t> data = {99, 101};
  EXPECT_EQ(CountCoincidences(model, data, 5), 2);
  // In 1 s with delta 0.5 ms: expected 2 * 0.0005 * 2 * 2 = 0.004,
  // norm = (1 - 0.002) / 2 = 0.499, Γ = 1.996 / (0.499 * 3) = 4/3.
  // Without rate correction 1 - 4/3 < 0 is clipped to 0.
  EXPECT_EQ(GammaFactorError(Ms({10}), Ms({9.9, 10.1}), 0.5 * kMs, 1.0,
                             0.1 * kMs, false),
            0.0);
  // With it, R = 1 + 2 * |2 - 1| / 2 = 2.
  EXPECT_NEAR(GammaFactorError(Ms({10}), Ms({9.9, 10.1}), 0.5 * kMs, 1.0,
                               0.1 * kMs, true),
              2.0 - 4.0 / 3.0, 1e-12);
}

TEST(GammaFactorErrorTest, NearestModelSpikeIsUsed) {
  // Model spikes at steps 100 and 200 (midpoint 150): data at 140 belongs to
  // 100 (40 steps away), data at 160 to 200 (40 steps away).
  const std::vector<std::int64_t> model = {100, 200};
  EXPECT_EQ(CountCoincidences(model, std::vector<std::int64_t>{140}, 40), 1);
  EXPECT_EQ(CountCoincidences(model, std::vector<std::int64_t>{140}, 39), 0);
  EXPECT_EQ(CountCoincidences(model, std::vector<std::int64_t>{160, 201}, 40),
            2);
  // Before the first and after the last model spike.
  EXPECT_EQ(CountCoincidences(model, std::vector<std::int64_t>{0, 300}, 100),
            2);
  EXPECT_EQ(CountCoincidences({}, std::vector<std::int64_t>{0, 300}, 100), 0);
}

TEST(GammaFactorErrorTest, SpikeStepsRoundHalfToEvenLikeNumpyRint) {
  EXPECT_THAT(SpikeSteps(std::vector<double>{0.25, 0.75, 1.25, -0.25}, 0.5),
              ::testing::ElementsAre(0, 2, 2, 0));
}

TEST(GammaFactorErrorTest, MatchesNumpyReference) {
  // Expected values from testdata/gamma_reference.py (numpy).
  const std::vector<double> model =
      Ms({3.1, 9.8, 10.4, 25.0, 31.7, 48.2, 49.0, 77.7});
  const std::vector<double> data =
      Ms({3.0, 10.0, 26.2, 31.9, 31.95, 50.0, 61.0, 78.1, 90.0});
  EXPECT_NEAR(
      GammaFactorError(model, data, 1.0 * kMs, 100 * kMs, 0.1 * kMs, true),
      0.5938147616770287, 1e-14);
  EXPECT_NEAR(
      GammaFactorError(model, data, 1.0 * kMs, 100 * kMs, 0.1 * kMs, false),
      0.3715925394548064, 1e-14);
  // Times between grid points with delta = 0 (rint: 1.05 ms -> step 11,
  // 2.25 ms -> 22, 3.95 ms -> 40).
  EXPECT_NEAR(GammaFactorError(Ms({1.05, 2.25, 4.0}), Ms({1.0, 2.2, 3.95}), 0.0,
                               10 * kMs, 0.1 * kMs, true),
              0.33333333333333337, 1e-14);
}

TargetSpikes Targets(const std::vector<std::vector<double>>& trains) {
  return TargetSpikes{.dt = 0.1 * kMs, .trains = trains};
}

TEST(GammaFactorMetricTest, PerTraceValuesAndMeanOverTraces) {
  const std::vector<std::vector<double>> trains = {kTarget, Ms({1, 2, 3})};
  auto metric = MakeGammaFactorMetric({.delta = 0.5 * kMs, .time = 12 * kMs},
                                      Targets(trains));
  ASSERT_TRUE(metric.ok()) << metric.status();
  EXPECT_EQ((*metric)->output_kind(), OutputKind::kSpikes);
  EXPECT_EQ((*metric)->n_traces(), 2u);
  EXPECT_EQ((*metric)->error_dimension_exponent(), 0);

  auto first = (*metric)->TraceValue(0, Ms({1, 2, 3}));
  ASSERT_TRUE(first.ok());
  EXPECT_NEAR(*first, 26.0 / 9.0, 1e-12);
  auto second = (*metric)->TraceValue(1, Ms({1, 2, 3}));
  ASSERT_TRUE(second.ok());
  EXPECT_NEAR(*second, 0.0, 1e-12);

  const std::vector<double> per_trace = {*first, *second};
  auto error = (*metric)->Error(per_trace);
  ASSERT_TRUE(error.ok());
  EXPECT_NEAR(*error, 13.0 / 9.0, 1e-12);
}

TEST(GammaFactorMetricTest, NormalizationDividesTheErrorOnce) {
  const std::vector<std::vector<double>> trains = {kTarget};
  auto metric = MakeGammaFactorMetric(
      {.delta = 0.5 * kMs, .time = 12 * kMs, .normalization = 4},
      Targets(trains));
  ASSERT_TRUE(metric.ok()) << metric.status();
  const std::vector<double> per_trace = {2.0};
  EXPECT_EQ(*(*metric)->Combine(per_trace), 2.0);
  EXPECT_EQ(*(*metric)->Error(per_trace), 0.5);
  EXPECT_EQ((*metric)->RevertNormalization(0.5), 2.0);
}

TEST(GammaFactorMetricTest, TStartDropsSpikesUpToAndIncludingIt) {
  // Only spikes strictly after 2 ms count: the data spike at 2 ms goes, and
  // model and data are left with one identical spike each.
  const std::vector<std::vector<double>> trains = {Ms({2, 5})};
  auto metric = MakeGammaFactorMetric(
      {.delta = 0.5 * kMs, .time = 12 * kMs, .t_start = 2 * kMs},
      Targets(trains));
  ASSERT_TRUE(metric.ok()) << metric.status();
  EXPECT_NEAR(*(*metric)->TraceValue(0, Ms({5})), 0.0, 1e-12);
  EXPECT_NEAR(*(*metric)->TraceValue(0, Ms({1, 2, 5})), 0.0, 1e-12);
  // Without t_start the same pair differs.
  auto plain = MakeGammaFactorMetric({.delta = 0.5 * kMs, .time = 12 * kMs},
                                     Targets(trains));
  ASSERT_TRUE(plain.ok());
  EXPECT_GT(*(*plain)->TraceValue(0, Ms({5})), 0.5);
}

TEST(GammaFactorMetricTest, RejectsBadConfigWithClearMessages) {
  const std::vector<std::vector<double>> trains = {kTarget};
  auto negative_delta = MakeGammaFactorMetric(
      {.delta = -1 * kMs, .time = 12 * kMs}, Targets(trains));
  EXPECT_EQ(negative_delta.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(negative_delta.status().message(), HasSubstr("delta"));
  EXPECT_THAT(negative_delta.status().message(), HasSubstr("non-negative"));

  auto no_time = MakeGammaFactorMetric({.delta = 0.5 * kMs}, Targets(trains));
  EXPECT_THAT(no_time.status().message(), HasSubstr("time"));

  // 2 * 1 ms * 500 Hz = 1: Γ's normalisation would vanish.
  auto wide = MakeGammaFactorMetric({.delta = 1 * kMs, .time = 12 * kMs},
                                    Targets(trains));
  EXPECT_THAT(wide.status().message(), HasSubstr("too large"));
  EXPECT_THAT(wide.status().message(), HasSubstr("2 * delta * rate < 1"));

  auto late_start = MakeGammaFactorMetric(
      {.delta = 0.5 * kMs, .time = 12 * kMs, .t_start = 12 * kMs},
      Targets(trains));
  EXPECT_THAT(late_start.status().message(), HasSubstr("t_start"));

  auto bad_norm = MakeGammaFactorMetric(
      {.delta = 0.5 * kMs, .time = 12 * kMs, .normalization = -1},
      Targets(trains));
  EXPECT_THAT(bad_norm.status().message(), HasSubstr("normalization"));

  const std::vector<std::vector<double>> unsorted = {Ms({3, 1})};
  auto not_ascending = MakeGammaFactorMetric(
      {.delta = 0.5 * kMs, .time = 12 * kMs}, Targets(unsorted));
  EXPECT_THAT(not_ascending.status().message(), HasSubstr("ascending"));

  auto no_trains =
      MakeGammaFactorMetric({.delta = 0.5 * kMs, .time = 12 * kMs}, {});
  EXPECT_FALSE(no_trains.ok());
}

TEST(GammaFactorMetricTest, RejectsBadCalls) {
  const std::vector<std::vector<double>> trains = {kTarget};
  auto metric = MakeGammaFactorMetric({.delta = 0.5 * kMs, .time = 12 * kMs},
                                      Targets(trains));
  ASSERT_TRUE(metric.ok());
  EXPECT_THAT((*metric)->TraceValue(1, {}).status().message(),
              HasSubstr("out of range"));
  EXPECT_THAT((*metric)->TraceValue(0, Ms({3, 1})).status().message(),
              HasSubstr("ascending"));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE((*metric)->TraceValue(0, std::vector<double>{nan}).ok());
  EXPECT_FALSE((*metric)->Combine(std::vector<double>{1, 2}).ok());
}

}  // namespace
}  // namespace cellfit::metrics
