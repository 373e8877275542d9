#include "worker/metrics/efel_features.h"

#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/metrics/efel_primitives.h"

namespace cellfit::metrics {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

constexpr double kMv = 1e-3;
constexpr double kDt = 1e-4;   // 0.1 ms: eFEL's grid equals the samples
constexpr double kTol = 1e-9;  // eFEL units; the grid carries rounding

// A constructed recording (values in mV, converted to volts): a -70 mV
// baseline with triangular action potentials. Around each peak sample p:
//   rise  p-10 .. p   from -70 to +35 mV in steps of 10.5 mV
//                     (..., -28 at p-6, -17.5 at p-5: crosses -20 upwards)
//   fall  p .. p+5    from +35 to -80 mV in steps of 23 mV
//                     (-11 at p+2, -34 at p+3: crosses -20 downwards)
//   AHP   p+5 .. p+25 from -80 back to -70 mV in steps of 0.5 mV
class Recording {
 public:
  explicit Recording(int n, double baseline_mv = -70)
      : v_(n, baseline_mv * kMv) {}

  Recording& Spike(int p) {
    for (int k = 0; k <= 10; ++k) Set(p - 10 + k, -70 + 10.5 * k);
    for (int m = 1; m <= 5; ++m) Set(p + m, 35 - 23.0 * m);
    for (int m = 1; m <= 20; ++m) Set(p + 5 + m, -80 + 0.5 * m);
    return *this;
  }

  Recording& Level(int from, int to, double mv) {
    for (int i = from; i < to; ++i) Set(i, mv);
    return *this;
  }

  Recording& Set(int i, double mv) {
    if (i >= 0 && i < static_cast<int>(v_.size())) v_[i] = mv * kMv;
    return *this;
  }

  const std::vector<double>& volts() const { return v_; }

 private:
  std::vector<double> v_;
};

// 120 ms at 0.1 ms; spikes at 20, 30, 45, 65 and 90 ms (ISIs 10, 15, 20, 25
// ms); -72 mV from 109.5 ms on, so that the steady state after stim_end =
// 110 ms differs from the baseline. Stimulus 10 .. 110 ms.
Recording FiveSpikes() {
  Recording r(1200);
  for (int p : {200, 300, 450, 650, 900}) r.Spike(p);
  r.Level(1095, 1200, -72);
  return r;
}

constexpr double kStimStart = 10e-3;
constexpr double kStimEnd = 110e-3;

TEST(EfelFeaturesTest, FeatureNamesRoundTrip) {
  for (Feature f : AllFeatures()) {
    EXPECT_THAT(FeatureFromName(FeatureName(f)), Optional(f));
  }
  EXPECT_THAT(FeatureFromName("spike_count"), Optional(Feature::kSpikecount));
  EXPECT_EQ(FeatureFromName("AP_begin_time"), std::nullopt);
  EXPECT_EQ(EfelUnit(Feature::kApWidth), "ms");
  EXPECT_EQ(EfelUnitInSi(Feature::kAhpDepth), 1e-3);
  EXPECT_EQ(EfelUnitInSi(Feature::kMeanFrequency), 1.0);
}

TEST(EfelFeaturesTest, FiveSpikeRecordingByHand) {
  const Recording r = FiveSpikes();
  TraceFeatures f(r.volts(), kDt, kStimStart, kStimEnd, FeatureSettings{});

  EXPECT_THAT(f.peak_indices(), ElementsAre(200, 300, 450, 650, 900));
  EXPECT_THAT(f.EfelValue(Feature::kSpikecount), Optional(5.0));
  // First peak at 20 ms, stimulus from 10 ms.
  EXPECT_NEAR(*f.EfelValue(Feature::kTimeToFirstSpike), 10.0, kTol);
  // 5 spikes in the stimulus, the last at 90 ms: 5 * 1000 / (90 - 10).
  EXPECT_NEAR(*f.EfelValue(Feature::kMeanFrequency), 62.5, kTol);
  EXPECT_NEAR(*f.EfelValue(Feature::kApHeight), 35.0, kTol);
  // The AP begins where dV/dt last exceeds 10 mV/ms before the peak: at the
  // start of the ramp, -70 mV (dV/dt there is 52.5 mV/ms, one sample earlier
  // 0). 35 - (-70) = 105 for every spike.
  EXPECT_NEAR(*f.EfelValue(Feature::kApAmplitude), 105.0, kTol);
  // Baseline over 9 .. 10 ms: -70; AHP minima -80.
  EXPECT_NEAR(*f.EfelValue(Feature::kVoltageBase), -70.0, kTol);
  EXPECT_NEAR(*f.EfelValue(Feature::kAhpDepth), -10.0, kTol);
  // Above -20 mV from p-5 (-17.5) up to p+3 (-34, the first sample <= -20).
  EXPECT_NEAR(*f.EfelValue(Feature::kApWidth), 0.8, kTol);
  // After 110 ms: -72.
  EXPECT_NEAR(*f.EfelValue(Feature::kSteadyStateVoltage), -72.0, kTol);
  // ISIs 10, 15, 20, 25; the first is ignored: std(15, 20, 25) / 20.
  EXPECT_NEAR(*f.EfelValue(Feature::kIsiCv), 0.25, kTol);
  // 5 spikes, int(5 * 0.1 + 0.5) = 1 skipped: ISIs 15, 20, 25;
  // ((20 - 15) / 35 + (25 - 20) / 45) / 2 = 8/63.
  EXPECT_NEAR(*f.EfelValue(Feature::kAdaptationIndex), 8.0 / 63.0, kTol);

  // eFEL's per-spike arrays.
  auto widths = f.EfelArray(Feature::kApWidth);
  ASSERT_TRUE(widths.has_value());
  EXPECT_EQ(widths->size(), 5u);
  auto depths = f.EfelArray(Feature::kAhpDepth);
  ASSERT_TRUE(depths.has_value());
  EXPECT_EQ(depths->size(), 5u);
}

TEST(EfelFeaturesTest, SiValues) {
  const Recording r = FiveSpikes();
  TraceFeatures f(r.volts(), kDt, kStimStart, kStimEnd, FeatureSettings{});
  EXPECT_NEAR(*f.SiValue(Feature::kTimeToFirstSpike), 0.010, 1e-12);
  EXPECT_NEAR(*f.SiValue(Feature::kApHeight), 0.035, 1e-12);
  EXPECT_NEAR(*f.SiValue(Feature::kApAmplitude), 0.105, 1e-12);
  EXPECT_NEAR(*f.SiValue(Feature::kVoltageBase), -0.070, 1e-12);
  EXPECT_NEAR(*f.SiValue(Feature::kApWidth), 0.0008, 1e-12);
  EXPECT_NEAR(*f.SiValue(Feature::kMeanFrequency), 62.5, 1e-9);
  EXPECT_THAT(f.SiValue(Feature::kSpikecount), Optional(5.0));
}

TEST(EfelFeaturesTest, NoSpikes) {
  const Recording r(1200);
  TraceFeatures f(r.volts(), kDt, kStimStart, kStimEnd, FeatureSettings{});
  EXPECT_THAT(f.EfelValue(Feature::kSpikecount), Optional(0.0));
  for (Feature undefined :
       {Feature::kTimeToFirstSpike, Feature::kMeanFrequency,
        Feature::kApAmplitude, Feature::kApHeight, Feature::kAhpDepth,
        Feature::kIsiCv, Feature::kAdaptationIndex, Feature::kApWidth}) {
    EXPECT_EQ(f.EfelValue(undefined), std::nullopt) << FeatureName(undefined);
  }
  EXPECT_NEAR(*f.EfelValue(Feature::kVoltageBase), -70.0, kTol);
  EXPECT_NEAR(*f.EfelValue(Feature::kSteadyStateVoltage), -70.0, kTol);
}

TEST(EfelFeaturesTest, StimulusWindowOnlyRestrictsSomeFeatures) {
  // Stimulus from 40 ms: the spikes at 20 and 30 ms precede it.
  const Recording r = FiveSpikes();
  TraceFeatures f(r.volts(), kDt, 40e-3, kStimEnd, FeatureSettings{});
  // Spikecount and time_to_first_spike use every spike (eFEL's
  // strict_stiminterval = False): 20 - 40 = -20 ms.
  EXPECT_THAT(f.EfelValue(Feature::kSpikecount), Optional(5.0));
  EXPECT_NEAR(*f.EfelValue(Feature::kTimeToFirstSpike), -20.0, kTol);
  // mean_frequency counts 45, 65, 90: 3 * 1000 / (90 - 40).
  EXPECT_NEAR(*f.EfelValue(Feature::kMeanFrequency), 60.0, kTol);
  // AP_amplitude only for the spikes in the stimulus, still 105 each.
  auto amplitudes = f.EfelArray(Feature::kApAmplitude);
  ASSERT_TRUE(amplitudes.has_value());
  EXPECT_EQ(amplitudes->size(), 3u);
  EXPECT_NEAR(*f.EfelValue(Feature::kApAmplitude), 105.0, kTol);
  // AP_height and AHP_depth use every spike.
  EXPECT_EQ(f.EfelArray(Feature::kApHeight)->size(), 5u);
  EXPECT_NEAR(*f.EfelValue(Feature::kVoltageBase), -70.0, kTol);
  // adaptation_index: 3 spikes in the stimulus, too few.
  EXPECT_EQ(f.EfelValue(Feature::kAdaptationIndex), std::nullopt);
}

TEST(EfelFeaturesTest, VoltageBaseWindow) {
  // Stimulus from 40 ms with the second spike moved to 35 ms: the window
  // 36 .. 40 ms (samples 360 .. 400) holds the end of its AHP, samples 360
  // .. 374 at -80 + 0.5 * (i - 355) mV, the rest at -70.
  Recording r(1200);
  for (int p : {200, 350, 450}) r.Spike(p);
  TraceFeatures f(r.volts(), kDt, 40e-3, kStimEnd, FeatureSettings{});
  double sum = 0;
  for (int i = 360; i <= 400; ++i) sum += r.volts()[i] / kMv;
  EXPECT_NEAR(*f.EfelValue(Feature::kVoltageBase), sum / 41, kTol);
  EXPECT_LT(*f.EfelValue(Feature::kVoltageBase), -70.0);
}

TEST(EfelFeaturesTest, IsiCvNeedsFourSpikes) {
  Recording r(1200);
  for (int p : {200, 300, 450}) r.Spike(p);
  TraceFeatures f(r.volts(), kDt, kStimStart, kStimEnd, FeatureSettings{});
  EXPECT_EQ(f.EfelValue(Feature::kIsiCv), std::nullopt);
  FeatureSettings keep_first;
  keep_first.ignore_first_isi = false;
  TraceFeatures g(r.volts(), kDt, kStimStart, kStimEnd, keep_first);
  // ISIs 10 and 15: mean 12.5, std (ddof 1) sqrt(12.5).
  EXPECT_NEAR(*g.EfelValue(Feature::kIsiCv), std::sqrt(12.5) / 12.5, kTol);
}

TEST(EfelFeaturesTest, SpikeCutOffAtTheEndDoesNotCount) {
  // The last spike rises above threshold but the recording stops first.
  Recording r(1200);
  r.Spike(200);
  for (int k = 0; k <= 5; ++k) r.Set(1194 + k, -70 + 10.5 * k);  // to -17.5
  TraceFeatures f(r.volts(), kDt, kStimStart, kStimEnd, FeatureSettings{});
  EXPECT_THAT(f.EfelValue(Feature::kSpikecount), Optional(1.0));
}

TEST(EfelFeaturesTest, TraceStartingAboveThreshold) {
  // Starts at 0 mV and falls to the baseline: that downward crossing is not
  // a spike.
  Recording r(1200);
  for (int i = 0; i < 10; ++i) r.Set(i, 0 - 7.0 * i);
  r.Spike(500);
  TraceFeatures f(r.volts(), kDt, kStimStart, kStimEnd, FeatureSettings{});
  EXPECT_THAT(f.peak_indices(), ElementsAre(500));
}

TEST(EfelFeaturesTest, AhpCutOffByTheEndOfTheRecording) {
  // One spike whose fall reaches the last sample: the minimum after it is
  // the last sample, which eFEL does not take as an AHP. Without AHP minima
  // AP_width and AHP_depth are undefined, but AP_amplitude is not.
  Recording r(1200);
  r.Spike(1196);  // falls 35, 12, -11, -34 at samples 1196 .. 1199
  TraceFeatures f(r.volts(), kDt, kStimStart, kStimEnd, FeatureSettings{});
  ASSERT_EQ(f.voltage_mv().size(), 1200u);
  EXPECT_THAT(f.peak_indices(), ElementsAre(1196));
  EXPECT_EQ(f.EfelValue(Feature::kApWidth), std::nullopt);
  EXPECT_EQ(f.EfelValue(Feature::kAhpDepth), std::nullopt);
  // Stimulus to 120 ms so that the peak at 119.6 ms is inside it.
  TraceFeatures g(r.volts(), kDt, kStimStart, 120e-3, FeatureSettings{});
  EXPECT_NEAR(*g.EfelValue(Feature::kApAmplitude), 105.0, kTol);
  EXPECT_NEAR(*g.EfelValue(Feature::kApHeight), 35.0, kTol);
}

TEST(EfelFeaturesTest, ThresholdSetting) {
  const Recording r = FiveSpikes();
  FeatureSettings high;
  high.threshold = 0.040;  // above the 35 mV peaks
  TraceFeatures f(r.volts(), kDt, kStimStart, kStimEnd, high);
  EXPECT_THAT(f.EfelValue(Feature::kSpikecount), Optional(0.0));
  FeatureSettings low;
  low.threshold = 0.0;  // the spikes still cross 0 mV
  TraceFeatures g(r.volts(), kDt, kStimStart, kStimEnd, low);
  EXPECT_THAT(g.EfelValue(Feature::kSpikecount), Optional(5.0));
  // At or above 0 mV from p-3 (3.5 mV) until p+2 (-11 mV): 5 samples.
  EXPECT_NEAR(*g.EfelValue(Feature::kApWidth), 0.5, kTol);
}

TEST(EfelFeaturesTest, InterpolationOnTheEfelGrid) {
  // Sampled at 0.05 ms, a peak on an odd sample falls between two points of
  // eFEL's 0.1 ms grid, which sees only the neighbours' 24.5 mV.
  std::vector<double> v(2400, -70 * kMv);
  const int p = 801;
  for (int k = 0; k <= 10; ++k) v[p - 10 + k] = (-70 + 10.5 * k) * kMv;
  for (int m = 1; m <= 5; ++m) v[p + m] = (35 - 23.0 * m) * kMv;
  for (int m = 1; m <= 20; ++m) v[p + 5 + m] = (-80 + 0.5 * m) * kMv;
  TraceFeatures f(v, 0.5 * kDt, kStimStart, kStimEnd, FeatureSettings{});
  EXPECT_NEAR(f.time_ms()[1], 0.1, 1e-12);
  EXPECT_THAT(f.EfelValue(Feature::kSpikecount), Optional(1.0));
  EXPECT_NEAR(*f.EfelValue(Feature::kApHeight), 24.5, kTol);
  // The grid point at 40.0 ms (sample 800) holds the peak's left neighbour.
  EXPECT_NEAR(*f.EfelValue(Feature::kTimeToFirstSpike), 40.0 - 10.0, kTol);
}

TEST(EfelFeaturesTest, DegenerateTraces) {
  const std::vector<double> two = {-0.07, -0.07};
  TraceFeatures f(two, kDt, 0.0, 1e-4, FeatureSettings{});
  EXPECT_THAT(f.EfelValue(Feature::kSpikecount), Optional(0.0));
  EXPECT_EQ(f.EfelValue(Feature::kVoltageBase), std::nullopt);
  std::vector<double> with_nan = FiveSpikes().volts();
  with_nan[500] = std::numeric_limits<double>::quiet_NaN();
  TraceFeatures g(with_nan, kDt, kStimStart, kStimEnd, FeatureSettings{});
  EXPECT_EQ(g.EfelValue(Feature::kApHeight), std::nullopt);
  EXPECT_EQ(g.EfelValue(Feature::kSteadyStateVoltage), std::nullopt);
  // voltage_base is undefined for a stimulus starting at 0 (empty window).
  const Recording r = FiveSpikes();
  TraceFeatures h(r.volts(), kDt, 0.0, kStimEnd, FeatureSettings{});
  EXPECT_EQ(h.EfelValue(Feature::kVoltageBase), std::nullopt);
  EXPECT_EQ(h.EfelValue(Feature::kAhpDepth), std::nullopt);
  // No sample after stim_end: steady_state_voltage undefined.
  TraceFeatures i(r.volts(), kDt, kStimStart, 0.2, FeatureSettings{});
  EXPECT_EQ(i.EfelValue(Feature::kSteadyStateVoltage), std::nullopt);
}

TEST(EfelFeaturesTest, SettingsValidation) {
  EXPECT_TRUE(ValidateFeatureSettings(FeatureSettings{}).ok());
  FeatureSettings s;
  s.interp_step = 0;
  EXPECT_FALSE(ValidateFeatureSettings(s).ok());
  s = FeatureSettings{};
  s.spike_skipf = 1.0;
  EXPECT_FALSE(ValidateFeatureSettings(s).ok());
  s = FeatureSettings{};
  s.threshold = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(ValidateFeatureSettings(s).ok());
}

// The primitives, on inputs small enough to check by hand.

TEST(EfelPrimitivesTest, PeakIndicesNeedStrictCrossings) {
  // A sample exactly at the threshold crosses neither way (eFEL compares
  // strictly on both sides), so this bump is not a spike.
  EXPECT_TRUE(
      efel::PeakIndices(std::vector<double>{-30, -20, -10, -20, -30}, -20)
          .empty());
  EXPECT_THAT(
      efel::PeakIndices(std::vector<double>{-30, -19, -10, -15, -30}, -20),
      ElementsAre(2));
  // The first maximum wins.
  EXPECT_THAT(
      efel::PeakIndices(std::vector<double>{-30, 5, 5, -30, 0, -30}, -20),
      ElementsAre(1, 4));
}

TEST(EfelPrimitivesTest, FirstMinIndexStopsAtTheFirstLocalMinimum) {
  // Running minimum 3 at index 1, then 4 (one sample not below), then 2
  // (a new minimum), then 6 and 7: two samples not below 2 -> index 3.
  const std::vector<double> v = {5, 3, 4, 2, 6, 7};
  EXPECT_EQ(efel::FirstMinIndex(v, 0, 6), 3);
  // 1 at index 2 followed by two samples that are not lower.
  const std::vector<double> w = {5, 4, 1, 3, 3, 0};
  EXPECT_EQ(efel::FirstMinIndex(w, 0, 6), 2);
  // Never two samples above: the overall minimum.
  const std::vector<double> u = {5, 4, 6, 3, 7};
  EXPECT_EQ(efel::FirstMinIndex(u, 0, 5), 3);
  EXPECT_EQ(efel::FirstMinIndex(u, 2, 2), 2);
}

TEST(EfelPrimitivesTest, LinearInterpolationAccumulatesTheGrid) {
  const std::vector<double> x = {0, 0.3, 0.6};
  const std::vector<double> y = {0, 3, 0};
  std::vector<double> xi, yi;
  efel::LinearInterpolation(0.1, x, y, xi, yi);
  ASSERT_EQ(yi.size(), 7u);
  ASSERT_EQ(xi.size(), 7u);
  const double expected[] = {0, 1, 2, 3, 2, 1, 0};
  for (int i = 0; i < 7; ++i) EXPECT_NEAR(yi[i], expected[i], 1e-12) << i;
  // 0.1 added three times, not 3 * 0.1.
  EXPECT_EQ(xi[3], 0.1 + 0.1 + 0.1);
}

TEST(EfelPrimitivesTest, CentralDifference) {
  EXPECT_THAT(efel::CentralDifference(std::vector<double>{0, 1, 4, 9}),
              ElementsAre(1, 2, 4, 5));
}

TEST(EfelPrimitivesTest, MinAhpDropsAMinimumAtTheLastSample) {
  const std::vector<double> v = {0, 10, 0, -5, -3, -2, 10, 0, -1, -2};
  const std::vector<efel::Index> peaks = {1, 6};
  EXPECT_THAT(efel::MinAhpIndices(v, peaks), ElementsAre(3));
}

}  // namespace
}  // namespace cellfit::metrics
