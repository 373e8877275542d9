#include "worker/metrics/efel_features.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cellfit::metrics {
namespace {

using efel::Index;

// Brian2's ms and mV as floats: brian2modelfitting divides by them.
constexpr double kMs = 1e-3;
constexpr double kMv = 1e-3;

// eFEL's precision_threshold for voltage_base's end time (ms).
constexpr double kPrecisionThreshold = 1e-10;

struct FeatureInfo {
  Feature feature;
  std::string_view name;
  std::string_view unit;
};

constexpr std::array<FeatureInfo, 11> kFeatures = {{
    {Feature::kSpikecount, "Spikecount", "1"},
    {Feature::kTimeToFirstSpike, "time_to_first_spike", "ms"},
    {Feature::kMeanFrequency, "mean_frequency", "Hz"},
    {Feature::kApAmplitude, "AP_amplitude", "mV"},
    {Feature::kApHeight, "AP_height", "mV"},
    {Feature::kAhpDepth, "AHP_depth", "mV"},
    {Feature::kVoltageBase, "voltage_base", "mV"},
    {Feature::kSteadyStateVoltage, "steady_state_voltage", "mV"},
    {Feature::kIsiCv, "ISI_CV", "1"},
    {Feature::kAdaptationIndex, "adaptation_index", "1"},
    {Feature::kApWidth, "AP_width", "ms"},
}};

constexpr std::array<Feature, 11> kAllFeatures = {
    Feature::kSpikecount,    Feature::kTimeToFirstSpike,
    Feature::kMeanFrequency, Feature::kApAmplitude,
    Feature::kApHeight,      Feature::kAhpDepth,
    Feature::kVoltageBase,   Feature::kSteadyStateVoltage,
    Feature::kIsiCv,         Feature::kAdaptationIndex,
    Feature::kApWidth,
};

const FeatureInfo& Info(Feature feature) {
  return kFeatures[static_cast<std::size_t>(feature)];
}

std::optional<double> Mean(const std::optional<std::vector<double>>& values) {
  if (!values.has_value() || values->empty()) return std::nullopt;
  double sum = 0.0;
  for (double v : *values) sum += v;
  return sum / static_cast<double>(values->size());
}

std::optional<std::vector<double>> Single(std::optional<double> value) {
  if (!value.has_value()) return std::nullopt;
  return std::vector<double>{*value};
}

}  // namespace

std::span<const Feature> AllFeatures() { return kAllFeatures; }

std::string_view FeatureName(Feature feature) { return Info(feature).name; }

std::optional<Feature> FeatureFromName(std::string_view name) {
  if (name == "spike_count") return Feature::kSpikecount;
  for (const FeatureInfo& info : kFeatures) {
    if (info.name == name) return info.feature;
  }
  return std::nullopt;
}

std::string SupportedFeatureNames() {
  std::vector<std::string> names;
  for (const FeatureInfo& info : kFeatures) {
    names.emplace_back(info.name);
  }
  return absl::StrJoin(names, ", ");
}

std::string_view EfelUnit(Feature feature) { return Info(feature).unit; }

double EfelUnitInSi(Feature feature) {
  const std::string_view unit = Info(feature).unit;
  return unit == "mV" || unit == "ms" ? 1e-3 : 1.0;
}

absl::Status ValidateFeatureSettings(const FeatureSettings& s) {
  auto bad = [](std::string_view what, double value, std::string_view want) {
    return absl::InvalidArgumentError(
        absl::StrCat("feature settings: ", std::string(what), " is ", value,
                     "; expected ", std::string(want)));
  };
  if (!std::isfinite(s.threshold)) {
    return bad("threshold", s.threshold, "a finite voltage in volts");
  }
  if (!std::isfinite(s.derivative_threshold)) {
    return bad("derivative_threshold", s.derivative_threshold,
               "a finite slope in V/s");
  }
  if (s.derivative_window < 1) {
    return bad("derivative_window", s.derivative_window, "at least 1 sample");
  }
  if (!std::isfinite(s.interp_step) || s.interp_step <= 0) {
    return bad("interp_step", s.interp_step, "a positive time in seconds");
  }
  if (!std::isfinite(s.voltage_base_start_perc) ||
      !std::isfinite(s.voltage_base_end_perc)) {
    return bad("voltage_base_start_perc/end_perc", s.voltage_base_start_perc,
               "finite fractions");
  }
  if (!(s.spike_skipf >= 0 && s.spike_skipf < 1)) {
    return bad("spike_skipf", s.spike_skipf, "a fraction in [0, 1)");
  }
  if (s.max_spike_skip < 0) {
    return bad("max_spike_skip", s.max_spike_skip, "a count >= 0");
  }
  return absl::OkStatus();
}

TraceFeatures::TraceFeatures(std::span<const double> v, double dt,
                             double stim_start, double stim_end,
                             const FeatureSettings& settings)
    : v_si_(v),
      dt_(dt),
      stim_start_ms_(stim_start / kMs),
      stim_end_ms_(stim_end / kMs),
      settings_(settings),
      threshold_mv_(settings.threshold / kMv),
      interp_step_ms_(settings.interp_step / kMs) {}

void TraceFeatures::Prepare() {
  if (prepared_) return;
  prepared_ = true;
  const std::size_t n = v_si_.size();
  if (n < 3) return;  // eFEL's interpolation needs more than 2 points
  std::vector<double> t_raw(n), v_raw(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v_si_[i])) return;
    // Exactly brian2modelfitting's calc_eFEL: arange(n) * dt / ms, v / mV.
    t_raw[i] = (static_cast<double>(i) * dt_) / kMs;
    v_raw[i] = v_si_[i] / kMv;
  }
  efel::LinearInterpolation(interp_step_ms_, t_raw, v_raw, t_, v_);
  usable_ = v_.size() >= 2;
}

std::span<const double> TraceFeatures::time_ms() {
  Prepare();
  return t_;
}

std::span<const double> TraceFeatures::voltage_mv() {
  Prepare();
  return v_;
}

std::span<const efel::Index> TraceFeatures::peak_indices() { return Peaks(); }

const std::vector<Index>& TraceFeatures::Peaks() {
  if (!peaks_.has_value()) {
    Prepare();
    peaks_ =
        usable_ ? efel::PeakIndices(v_, threshold_mv_) : std::vector<Index>{};
  }
  return *peaks_;
}

const std::optional<std::vector<Index>>& TraceFeatures::MinAhp() {
  if (!min_ahp_done_) {
    min_ahp_done_ = true;
    const std::vector<Index>& peaks = Peaks();
    if (!peaks.empty()) {
      std::vector<Index> ahp = efel::MinAhpIndices(v_, peaks);
      if (!ahp.empty()) min_ahp_ = std::move(ahp);
    }
  }
  return min_ahp_;
}

const std::optional<std::vector<Index>>& TraceFeatures::ApBegins() {
  if (!ap_begin_done_) {
    ap_begin_done_ = true;
    const std::vector<Index>& peaks = Peaks();
    if (!peaks.empty()) {
      // eFEL goes on without AHP minima (one spike whose AHP is cut off).
      const std::optional<std::vector<Index>>& ahp = MinAhp();
      const std::vector<Index> no_ahp;
      std::vector<Index> begins;
      const bool ok = efel::ApBeginIndices(
          t_, v_, stim_start_ms_, peaks, ahp.has_value() ? *ahp : no_ahp,
          settings_.derivative_threshold, settings_.derivative_window, begins);
      if (ok && !begins.empty()) ap_begin_ = std::move(begins);
    }
  }
  return ap_begin_;
}

const std::optional<double>& TraceFeatures::VoltageBase() {
  if (!voltage_base_done_) {
    voltage_base_done_ = true;
    Prepare();
    if (!usable_) return voltage_base_;
    const double start_time =
        stim_start_ms_ * settings_.voltage_base_start_perc;
    const double end_time = stim_start_ms_ * settings_.voltage_base_end_perc;
    if (start_time >= end_time) return voltage_base_;
    // eFEL's get_time_index: the first sample at or after start_time (0 when
    // none), up to the last sample within the precision threshold of
    // end_time (the whole trace when none).
    const std::size_t n = t_.size();
    std::size_t first = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (t_[i] >= start_time) {
        first = i;
        break;
      }
    }
    std::size_t last = n;
    for (std::size_t i = n - 1; i > 0; --i) {
      if (t_[i] - end_time < kPrecisionThreshold) {
        last = i + 1;
        break;
      }
    }
    if (first >= last) return voltage_base_;  // eFEL: mean of nothing, NaN
    double sum = 0.0;
    for (std::size_t i = first; i < last; ++i) sum += v_[i];
    voltage_base_ = sum / static_cast<double>(last - first);
  }
  return voltage_base_;
}

std::optional<std::vector<double>> TraceFeatures::ApHeights() {
  const std::vector<Index>& peaks = Peaks();
  if (peaks.empty()) return std::nullopt;
  std::vector<double> heights;
  heights.reserve(peaks.size());
  for (Index p : peaks) heights.push_back(v_[p]);
  return heights;
}

std::optional<std::vector<double>> TraceFeatures::ApAmplitudes() {
  const std::vector<Index>& peaks = Peaks();
  const std::optional<std::vector<Index>>& begins = ApBegins();
  if (peaks.empty() || !begins.has_value()) return std::nullopt;
  std::vector<double> peak_voltage_during_stim;
  for (Index p : peaks) {
    if (t_[p] >= stim_start_ms_ && t_[p] <= stim_end_ms_) {
      peak_voltage_during_stim.push_back(v_[p]);
    }
  }
  if (peak_voltage_during_stim.size() > begins->size()) return std::nullopt;
  if (peak_voltage_during_stim.empty()) return std::nullopt;
  std::vector<double> amplitudes(peak_voltage_during_stim.size());
  for (std::size_t i = 0; i < amplitudes.size(); ++i) {
    amplitudes[i] = peak_voltage_during_stim[i] - v_[(*begins)[i]];
  }
  return amplitudes;
}

std::optional<std::vector<double>> TraceFeatures::AhpDepths() {
  const std::optional<double>& base = VoltageBase();
  const std::optional<std::vector<Index>>& ahp = MinAhp();
  if (!base.has_value() || !ahp.has_value()) return std::nullopt;
  std::vector<double> depths;
  depths.reserve(ahp->size());
  for (Index a : *ahp) depths.push_back(v_[a] - *base);
  return depths;
}

std::optional<std::vector<double>> TraceFeatures::ApWidths() {
  const std::optional<std::vector<Index>>& ahp = MinAhp();
  if (Peaks().empty() || !ahp.has_value()) return std::nullopt;
  std::vector<double> widths = efel::ApWidths(t_, v_, threshold_mv_, *ahp);
  if (widths.empty()) return std::nullopt;
  return widths;
}

std::optional<double> TraceFeatures::TimeToFirstSpike() {
  const std::vector<Index>& peaks = Peaks();
  if (peaks.empty()) return std::nullopt;
  return t_[peaks[0]] - stim_start_ms_;
}

std::optional<double> TraceFeatures::MeanFrequency() {
  const std::vector<Index>& peaks = Peaks();
  if (peaks.empty()) return std::nullopt;
  double last_ap_time = 0.;
  int count = 0;
  for (Index p : peaks) {
    if (t_[p] >= stim_start_ms_ && t_[p] <= stim_end_ms_) {
      last_ap_time = t_[p];
      ++count;
    }
  }
  if (last_ap_time == stim_start_ms_) return std::nullopt;  // divide by zero
  return count * 1000 / (last_ap_time - stim_start_ms_);
}

std::optional<double> TraceFeatures::SteadyStateVoltage() {
  Prepare();
  if (!usable_) return std::nullopt;
  double sum = 0.0;
  int count = 0;
  for (std::size_t i = t_.size(); i-- > 0 && t_[i] > stim_end_ms_;) {
    sum += v_[i];
    ++count;
  }
  if (count == 0) return std::nullopt;  // eFEL: 0 / 0
  return sum / count;
}

std::optional<double> TraceFeatures::IsiCv() {
  const std::vector<Index>& peaks = Peaks();
  if (peaks.size() < 2) return std::nullopt;  // all_ISI_values fails
  std::vector<double> isis;
  for (std::size_t i = 1; i < peaks.size(); ++i) {
    isis.push_back(t_[peaks[i]] - t_[peaks[i - 1]]);
  }
  if (settings_.ignore_first_isi) isis.erase(isis.begin());
  if (isis.size() < 2) return std::nullopt;
  // numpy: mean, then std with ddof = 1.
  double sum = 0.0;
  for (double isi : isis) sum += isi;
  const double mean = sum / static_cast<double>(isis.size());
  double squares = 0.0;
  for (double isi : isis) squares += (isi - mean) * (isi - mean);
  const double std_dev =
      std::sqrt(squares / static_cast<double>(isis.size() - 1));
  return std_dev / mean;
}

std::optional<double> TraceFeatures::AdaptationIndex() {
  const std::vector<Index>& peaks = Peaks();
  if (peaks.empty()) return std::nullopt;
  std::vector<double> spikes;
  for (Index p : peaks) {
    // eFEL's offset setting is 0 by default.
    if (t_[p] >= stim_start_ms_ && t_[p] <= stim_end_ms_) {
      spikes.push_back(t_[p]);
    }
  }
  int to_remove = static_cast<int>(
      (static_cast<double>(spikes.size()) * settings_.spike_skipf) + 0.5);
  if (settings_.max_spike_skip < to_remove)
    to_remove = settings_.max_spike_skip;
  spikes.erase(
      spikes.begin(),
      spikes.begin() + std::min<std::size_t>(
                           static_cast<std::size_t>(to_remove), spikes.size()));
  if (spikes.size() < 4) return std::nullopt;
  std::vector<double> isis;
  for (std::size_t i = 1; i < spikes.size(); ++i) {
    isis.push_back(spikes[i] - spikes[i - 1]);
  }
  double adi = 0.0;
  for (std::size_t i = 1; i < isis.size(); ++i) {
    adi += (isis[i] - isis[i - 1]) / (isis[i] + isis[i - 1]);
  }
  return adi / static_cast<double>(isis.size() - 1);
}

std::optional<std::vector<double>> TraceFeatures::EfelArray(Feature feature) {
  switch (feature) {
    case Feature::kSpikecount:
      return std::vector<double>{static_cast<double>(Peaks().size())};
    case Feature::kTimeToFirstSpike:
      return Single(TimeToFirstSpike());
    case Feature::kMeanFrequency:
      return Single(MeanFrequency());
    case Feature::kApAmplitude:
      return ApAmplitudes();
    case Feature::kApHeight:
      return ApHeights();
    case Feature::kAhpDepth:
      return AhpDepths();
    case Feature::kVoltageBase:
      return Single(VoltageBase());
    case Feature::kSteadyStateVoltage:
      return Single(SteadyStateVoltage());
    case Feature::kIsiCv:
      return Single(IsiCv());
    case Feature::kAdaptationIndex:
      return Single(AdaptationIndex());
    case Feature::kApWidth:
      return ApWidths();
  }
  return std::nullopt;
}

std::optional<double> TraceFeatures::EfelValue(Feature feature) {
  std::optional<double> value = Mean(EfelArray(feature));
  // Degenerate input (e.g. identical peak times) can make eFEL's formulas
  // divide by zero; an undefined result is reported as such, never as NaN.
  if (value.has_value() && std::isnan(*value)) return std::nullopt;
  return value;
}

std::optional<double> TraceFeatures::SiValue(Feature feature) {
  std::optional<double> value = EfelValue(feature);
  if (!value.has_value()) return std::nullopt;
  return *value * EfelUnitInSi(feature);
}

}  // namespace cellfit::metrics
