// A metric comparing electrophysiology features of model and target traces:
// brian2modelfitting's FeatureMetric (metric.py), with the features computed
// natively (efel_features.h) instead of by calling eFEL.
//
// For one trace, with the features F, weights w_f (1 where not given) and
// model/target feature values m_f, d_f in eFEL's units (mV, ms, Hz, counts:
// the units brian2modelfitting compares them in, which sets the relative
// scale of the features):
//   value = sum_f w_f * c(m_f, d_f)
//   c(x, y) = |x - y|        "absolute_difference" (default;
//   brian2modelfitting's
//                            default combine)
//   c(x, y) = (x - y)²       "squared_difference"
// A sample's error is the sum of its traces' values (get_errors sums over
// traces and features), divided by normalization.
//
// Undefined features: where eFEL returns None (e.g. AP_amplitude of a trace
// without spikes), brian2modelfitting replaces the value by 99 (check_values)
// for the model as for the target, and so does cellfit (`missing_value`, in
// the feature's eFEL unit): a model that misses a feature the target has
// pays |99 - d_f|, and both missing costs nothing. A model trace containing
// NaN or infinity has every feature missing. The value is therefore always
// finite.
//
// Stimulus times: one (stim_start, stim_end) per trace, or one for all. With
// t_start > 0 the first round(t_start / dt) samples of model and target are
// dropped and the remaining trace starts at time 0 (as brian2modelfitting's
// TraceMetric.calc slices the traces before handing them to eFEL), so the
// stimulus times are relative to t_start.
//
// Departures from brian2modelfitting, which are fixes: it divides the
// voltage traces by `normalization` before extracting features (which moves
// the -20 mV spike threshold); cellfit divides the error. Per-spike features
// are averaged over spikes (see efel_features.h) where brian2modelfitting
// raises for more than one spike.
#ifndef CELLFIT_WORKER_METRICS_FEATURE_METRIC_H_
#define CELLFIT_WORKER_METRICS_FEATURE_METRIC_H_

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/metrics/efel_features.h"
#include "worker/metrics/metric.h"

namespace cellfit::metrics {

enum class FeatureCombine {
  kAbsoluteDifference,  // |model - target|
  kSquaredDifference,   // (model - target)²
};

// "absolute_difference" (or "", the default) or "squared_difference".
absl::StatusOr<FeatureCombine> ParseFeatureCombine(std::string_view name);

struct FeatureMetricConfig {
  // eFEL feature names (see efel_features.h), at least one, no repeats.
  std::vector<std::string> features;
  // Weight per feature name; features not listed weigh 1. Finite, >= 0.
  std::map<std::string, double> weights;
  // Seconds; one value per trace, or one for all traces.
  std::vector<double> stim_start;
  std::vector<double> stim_end;
  // "absolute_difference" (default when empty) or "squared_difference".
  std::string combine;
  // eFEL settings, spike detection threshold included (-20 mV by default).
  FeatureSettings settings;
  // Samples before this time (seconds) are dropped; see above.
  double t_start = 0.0;
  // The error is divided by this; 0 means 1.
  double normalization = 1.0;
  // Stands for an undefined feature value, in the feature's eFEL unit.
  double missing_value = 99.0;
};

class FeatureMetric final : public Metric {
 public:
  // Use MakeFeatureMetric, which validates and computes the targets'
  // features.
  FeatureMetric(std::vector<Feature> features, std::vector<double> weights,
                FeatureCombine combine, FeatureSettings settings, double dt,
                std::size_t n_steps, std::size_t start_step,
                std::vector<double> stim_start, std::vector<double> stim_end,
                std::vector<std::vector<std::optional<double>>> target_values,
                double missing_value, double normalization);

  MetricKind kind() const override { return MetricKind::kFeatureMetric; }
  std::size_t n_traces() const override { return target_values_.size(); }
  // `output`: the model's voltage trace in volts, all n_steps samples.
  absl::StatusOr<double> TraceValue(
      std::size_t trace, std::span<const double> output) const override;

  const std::vector<Feature>& features() const { return features_; }
  // The target's value of features()[k] on `trace`, in eFEL units (nullopt:
  // undefined, compared as missing_value).
  std::optional<double> target_value(std::size_t trace, std::size_t k) const {
    return target_values_[trace][k];
  }
  // The model's feature values of one trace in eFEL units, nullopt where
  // undefined: what TraceValue compares.
  absl::StatusOr<std::vector<std::optional<double>>> ModelValues(
      std::size_t trace, std::span<const double> output) const;

 private:
  std::vector<Feature> features_;
  std::vector<double> weights_;  // parallel to features_
  FeatureCombine combine_;
  FeatureSettings settings_;
  double dt_;
  std::size_t n_steps_;
  std::size_t start_step_;
  std::vector<double> stim_start_;  // per trace, seconds after t_start
  std::vector<double> stim_end_;
  std::vector<std::vector<std::optional<double>>> target_values_;
  double missing_value_;
};

// Builds and validates a feature metric for the given target voltage traces
// (volts) and computes the targets' features.
absl::StatusOr<std::unique_ptr<FeatureMetric>> MakeFeatureMetric(
    const FeatureMetricConfig& config, const TargetTraces& targets);

}  // namespace cellfit::metrics

#endif  // CELLFIT_WORKER_METRICS_FEATURE_METRIC_H_
