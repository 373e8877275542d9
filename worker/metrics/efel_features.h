// Single-value electrophysiology features of a voltage trace, computed
// natively following eFEL's definitions (eFEL 5: cppcore SpikeEvent.cpp,
// SpikeShape.cpp, Subthreshold.cpp, BasicFeatures.cpp; pyfeatures for
// Spikecount and ISI_CV), with eFEL's default settings.
//
// Inputs and SI results: volts, seconds, hertz. Internally the trace is
// converted exactly as brian2modelfitting hands it to eFEL (time
// i * dt / ms, voltage v / mV, stimulus times / ms) and every feature is
// computed in eFEL's units, so grids, thresholds and rounding match eFEL.
//
// Common steps (eFEL's dependencies):
//   interpolation  The trace is first resampled linearly on a grid of
//                  interp_step (0.1 ms) from t = 0 (eFEL's `interpolate`);
//                  all features below are computed on the resampled trace.
//   peaks          Spikes are upward crossings of `threshold` (-20 mV) that
//                  come down again before the trace ends; the peak is the
//                  maximum in between (eFEL's peak_indices; see
//                  efel_primitives.h). peak_time, peak_voltage: time and
//                  voltage there. All spikes count, also those outside the
//                  stimulus (eFEL's strict_stiminterval = False).
//   AHP minima     After each peak, the first local minimum before the next
//                  peak or the end of the trace (min_AHP_indices).
//   AP begin       Where dV/dt last rises above derivative_threshold
//                  (10 mV/ms) before each peak (AP_begin_indices).
//
// Features ("undefined" is eFEL's None; see feature_metric.h for the
// penalty that replaces it):
//   Spikecount            number of peaks; 0 when there are none. [1]
//   time_to_first_spike   peak_time[0] - stim_start. Undefined without
//                         spikes. [ms; SI: s]
//   mean_frequency        N / (t_last - stim_start) * 1000 with N the peaks
//                         in [stim_start, stim_end] and t_last the time of
//                         the last of them (0 when none, which gives 0).
//                         Undefined without spikes or if t_last ==
//                         stim_start. [Hz]
//   AP_amplitude          for each peak in [stim_start, stim_end]:
//                         peak_voltage - V(AP begin) (the i-th such peak
//                         paired with the i-th AP begin, as eFEL does).
//                         eFEL returns one value per spike; this is their
//                         mean. Undefined without spikes or AP begins, or
//                         when there are more such peaks than AP begins.
//                         [mV; SI: V]
//   AP_height             mean over spikes of peak_voltage. Undefined
//                         without spikes. [mV; SI: V]
//   AHP_depth             mean over AHP minima of V(min) - voltage_base.
//                         Undefined without AHP minima or voltage_base.
//                         [mV; SI: V]
//   voltage_base          mean voltage over [0.9, 1.0] * stim_start (eFEL's
//                         voltage_base_start_perc/end_perc, mode "mean";
//                         the end includes samples within 1e-10 ms of it).
//                         Undefined if stim_start is 0 or the window holds
//                         no sample. [mV; SI: V]
//   steady_state_voltage  mean voltage over the samples after stim_end.
//                         Undefined when there are none (eFEL: NaN).
//                         [mV; SI: V]
//   ISI_CV                ISIs = differences of peak times; the first is
//                         dropped (ignore_first_ISI); std (ddof 1) / mean.
//                         Needs 2 ISIs after dropping, i.e. 4 spikes.
//                         [1]
//   adaptation_index      spikes in [stim_start, stim_end]; the first
//                         min(max_spike_skip = 2, int(N * spike_skipf + 0.5))
//                         (spike_skipf = 0.1) are skipped; then the mean over
//                         consecutive ISIs of (ISI_i - ISI_{i-1}) /
//                         (ISI_i + ISI_{i-1}). Needs 4 spikes left. [1]
//   AP_width              for each AHP minimum: in the segment from the
//                         previous AHP minimum (the first: the trace start),
//                         the time from the first sample >= threshold to the
//                         next sample <= threshold (width at the detection
//                         threshold, not at half height). eFEL returns one
//                         value per AHP minimum; this is their mean.
//                         Undefined without spikes or AHP minima.
//                         [ms; SI: s]
// Departure from brian2modelfitting: it accepts only features for which eFEL
// returns exactly one value, so AP_amplitude, AP_height, AHP_depth and
// AP_width work there only for traces with one spike (and raise otherwise);
// here they are the mean over spikes, which equals eFEL's value for one spike.
#ifndef CELLFIT_WORKER_METRICS_EFEL_FEATURES_H_
#define CELLFIT_WORKER_METRICS_EFEL_FEATURES_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "worker/metrics/efel_primitives.h"

namespace cellfit::metrics {

enum class Feature {
  kSpikecount,
  kTimeToFirstSpike,
  kMeanFrequency,
  kApAmplitude,
  kApHeight,
  kAhpDepth,
  kVoltageBase,
  kSteadyStateVoltage,
  kIsiCv,
  kAdaptationIndex,
  kApWidth,
};

// Every supported feature, in the order above.
std::span<const Feature> AllFeatures();

// eFEL's name of the feature ("Spikecount", "AP_amplitude", ...).
std::string_view FeatureName(Feature feature);

// The feature named `name` (eFEL's names; "spike_count", eFEL 5's new name
// of Spikecount, is accepted too), or nullopt.
std::optional<Feature> FeatureFromName(std::string_view name);

// Comma-separated list of the supported names, for error messages.
std::string SupportedFeatureNames();

// eFEL's unit of the feature: "mV", "ms", "Hz" or "1".
std::string_view EfelUnit(Feature feature);

// The SI value of one eFEL unit of the feature (1e-3 for mV and ms, else 1).
double EfelUnitInSi(Feature feature);

// The eFEL settings the features depend on, in SI; defaults are eFEL's.
struct FeatureSettings {
  double threshold = -0.020;           // V: spike detection (Threshold)
  double derivative_threshold = 10.0;  // V/s = mV/ms (DerivativeThreshold)
  int derivative_window = 3;           // samples (DerivativeWindow)
  double interp_step = 1e-4;           // s (interp_step, 0.1 ms)
  double voltage_base_start_perc = 0.9;
  double voltage_base_end_perc = 1.0;
  double spike_skipf = 0.1;  // in [0, 1)
  int max_spike_skip = 2;
  bool ignore_first_isi = true;
};

// Checks that the settings are usable (finite, interp_step > 0,
// derivative_window >= 1, spike_skipf in [0, 1), max_spike_skip >= 0).
absl::Status ValidateFeatureSettings(const FeatureSettings& settings);

// The features of one voltage trace. Intermediate results (the resampled
// trace, peaks, AHP minima, ...) are computed once, on first use. Not
// thread-safe; cheap to build one per trace.
class TraceFeatures {
 public:
  // `v`: voltage in volts sampled every `dt` seconds from t = 0;
  // `stim_start`, `stim_end`: seconds. The span must outlive the object.
  // A trace with fewer than 3 samples or a non-finite sample has no spikes
  // and every other feature undefined.
  TraceFeatures(std::span<const double> v, double dt, double stim_start,
                double stim_end, const FeatureSettings& settings);

  // The feature in eFEL's units, or nullopt where eFEL returns None.
  std::optional<double> EfelValue(Feature feature);

  // The feature in SI units, or nullopt where eFEL returns None.
  std::optional<double> SiValue(Feature feature);

  // eFEL's per-spike array (eFEL units) for AP_amplitude, AP_height,
  // AHP_depth and AP_width; a one-element array for the other features.
  // nullopt where eFEL returns None.
  std::optional<std::vector<double>> EfelArray(Feature feature);

  // The resampled trace eFEL works on (ms, mV).
  std::span<const double> time_ms();
  std::span<const double> voltage_mv();
  // Peak indices into the resampled trace (empty: no spikes).
  std::span<const efel::Index> peak_indices();

 private:
  void Prepare();
  const std::vector<efel::Index>& Peaks();
  // nullopt where eFEL's min_AHP_indices fails (no peaks, or none kept).
  const std::optional<std::vector<efel::Index>>& MinAhp();
  const std::optional<std::vector<efel::Index>>& ApBegins();
  const std::optional<double>& VoltageBase();

  std::optional<std::vector<double>> ApAmplitudes();
  std::optional<std::vector<double>> ApHeights();
  std::optional<std::vector<double>> AhpDepths();
  std::optional<std::vector<double>> ApWidths();
  std::optional<double> TimeToFirstSpike();
  std::optional<double> MeanFrequency();
  std::optional<double> SteadyStateVoltage();
  std::optional<double> IsiCv();
  std::optional<double> AdaptationIndex();

  std::span<const double> v_si_;
  double dt_;
  double stim_start_ms_;
  double stim_end_ms_;
  FeatureSettings settings_;
  double threshold_mv_;
  double interp_step_ms_;

  bool prepared_ = false;
  bool usable_ = false;    // >= 3 finite samples
  std::vector<double> t_;  // resampled, ms
  std::vector<double> v_;  // resampled, mV
  std::optional<std::vector<efel::Index>> peaks_;
  bool min_ahp_done_ = false;
  std::optional<std::vector<efel::Index>> min_ahp_;
  bool ap_begin_done_ = false;
  std::optional<std::vector<efel::Index>> ap_begin_;
  bool voltage_base_done_ = false;
  std::optional<double> voltage_base_;
};

}  // namespace cellfit::metrics

#endif  // CELLFIT_WORKER_METRICS_EFEL_FEATURES_H_
