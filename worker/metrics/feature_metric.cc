#include "worker/metrics/feature_metric.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "worker/metrics/mse.h"

namespace cellfit::metrics {
namespace {

bool AllFinite(std::span<const double> values) {
  for (double v : values) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

// Picks trace `i`'s value from a list holding one value per trace or one for
// all traces.
double PerTrace(const std::vector<double>& values, std::size_t i) {
  return values.size() == 1 ? values[0] : values[i];
}

std::vector<std::optional<double>> ComputeFeatures(
    std::span<const double> v, double dt, double stim_start, double stim_end,
    const FeatureSettings& settings, const std::vector<Feature>& features) {
  std::vector<std::optional<double>> values(features.size());
  if (!AllFinite(v)) return values;  // all undefined, Spikecount included
  TraceFeatures trace(v, dt, stim_start, stim_end, settings);
  for (std::size_t k = 0; k < features.size(); ++k) {
    values[k] = trace.EfelValue(features[k]);
  }
  return values;
}

}  // namespace

absl::StatusOr<FeatureCombine> ParseFeatureCombine(std::string_view name) {
  if (name.empty() || name == "absolute_difference") {
    return FeatureCombine::kAbsoluteDifference;
  }
  if (name == "squared_difference") return FeatureCombine::kSquaredDifference;
  return absl::InvalidArgumentError(
      absl::StrCat("FeatureMetric: unknown combine \"", std::string(name),
                   "\"; expected \"absolute_difference\" (the default) or "
                   "\"squared_difference\""));
}

FeatureMetric::FeatureMetric(
    std::vector<Feature> features, std::vector<double> weights,
    FeatureCombine combine, FeatureSettings settings, double dt,
    std::size_t n_steps, std::size_t start_step, std::vector<double> stim_start,
    std::vector<double> stim_end,
    std::vector<std::vector<std::optional<double>>> target_values,
    double missing_value, double normalization)
    : Metric(normalization),
      features_(std::move(features)),
      weights_(std::move(weights)),
      combine_(combine),
      settings_(settings),
      dt_(dt),
      n_steps_(n_steps),
      start_step_(start_step),
      stim_start_(std::move(stim_start)),
      stim_end_(std::move(stim_end)),
      target_values_(std::move(target_values)),
      missing_value_(missing_value) {}

absl::StatusOr<std::vector<std::optional<double>>> FeatureMetric::ModelValues(
    std::size_t trace, std::span<const double> output) const {
  if (absl::Status s = CheckTraceIndex(trace); !s.ok()) return s;
  if (output.size() != n_steps_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "FeatureMetric: the model trace for trace ", trace, " has ",
        output.size(), " steps; expected ", n_steps_, " like its target"));
  }
  return ComputeFeatures(output.subspan(start_step_), dt_, stim_start_[trace],
                         stim_end_[trace], settings_, features_);
}

absl::StatusOr<double> FeatureMetric::TraceValue(
    std::size_t trace, std::span<const double> output) const {
  absl::StatusOr<std::vector<std::optional<double>>> model =
      ModelValues(trace, output);
  if (!model.ok()) return model.status();
  double value = 0.0;
  for (std::size_t k = 0; k < features_.size(); ++k) {
    const double m = (*model)[k].value_or(missing_value_);
    const double d = target_values_[trace][k].value_or(missing_value_);
    const double diff = m - d;
    const double c = combine_ == FeatureCombine::kAbsoluteDifference
                         ? std::abs(diff)
                         : diff * diff;
    value += weights_[k] * c;
  }
  return value;
}

absl::StatusOr<std::unique_ptr<FeatureMetric>> MakeFeatureMetric(
    const FeatureMetricConfig& config, const TargetTraces& targets) {
  if (absl::Status s = ValidateTargetTraces(targets); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("FeatureMetric: ", s.message()));
  }
  absl::StatusOr<double> normalization =
      ResolveNormalization(config.normalization, "FeatureMetric");
  if (!normalization.ok()) return normalization.status();
  absl::StatusOr<FeatureCombine> combine = ParseFeatureCombine(config.combine);
  if (!combine.ok()) return combine.status();
  if (absl::Status s = ValidateFeatureSettings(config.settings); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("FeatureMetric: ", s.message()));
  }
  if (!std::isfinite(config.missing_value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("FeatureMetric: missing_value must be finite, got ",
                     config.missing_value));
  }

  // Features and weights.
  if (config.features.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "FeatureMetric: no features given; expected one or more of ",
        SupportedFeatureNames()));
  }
  std::vector<Feature> features;
  for (const std::string& name : config.features) {
    std::optional<Feature> feature = FeatureFromName(name);
    if (!feature.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("FeatureMetric: unknown feature \"", name,
                       "\"; supported: ", SupportedFeatureNames()));
    }
    for (Feature seen : features) {
      if (seen == *feature) {
        return absl::InvalidArgumentError(absl::StrCat(
            "FeatureMetric: feature \"", name, "\" is listed twice"));
      }
    }
    features.push_back(*feature);
  }
  for (const auto& [name, weight] : config.weights) {
    bool listed = false;
    for (const std::string& f : config.features) listed = listed || f == name;
    if (!listed) {
      return absl::InvalidArgumentError(absl::StrCat(
          "FeatureMetric: a weight is given for \"", name,
          "\", which is not among the features; expected weights only for "
          "listed features"));
    }
    if (!std::isfinite(weight) || weight < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("FeatureMetric: the weight of \"", name, "\" is ",
                       weight, "; expected a finite number >= 0"));
    }
  }
  std::vector<double> weights;
  for (const std::string& name : config.features) {
    auto it = config.weights.find(name);
    weights.push_back(it == config.weights.end() ? 1.0 : it->second);
  }

  // The window the features see.
  if (!std::isfinite(config.t_start) || config.t_start < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "FeatureMetric: t_start must be a non-negative time in seconds, got ",
        config.t_start));
  }
  const std::size_t start_step = StartStep(config.t_start, targets.dt);
  if (start_step >= targets.n_steps || targets.n_steps - start_step < 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "FeatureMetric: the traces need at least 3 samples after t_start "
        "(eFEL interpolates them), but have ",
        targets.n_steps, " steps of which t_start = ", config.t_start,
        " s skips ", std::min(start_step, targets.n_steps)));
  }
  const double duration =
      static_cast<double>(targets.n_steps - start_step - 1) * targets.dt;

  // Stimulus times.
  const std::size_t n = targets.n_traces;
  auto check_count = [n](const std::vector<double>& values,
                         std::string_view what) -> absl::Status {
    if (values.size() == 1 || values.size() == n) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        "FeatureMetric: ", std::string(what), " has ", values.size(),
        " values; expected one per trace (", n, ") or one for all traces"));
  };
  if (absl::Status s = check_count(config.stim_start, "stim_start"); !s.ok()) {
    return s;
  }
  if (absl::Status s = check_count(config.stim_end, "stim_end"); !s.ok()) {
    return s;
  }
  std::vector<double> stim_start(n), stim_end(n);
  for (std::size_t i = 0; i < n; ++i) {
    stim_start[i] = PerTrace(config.stim_start, i);
    stim_end[i] = PerTrace(config.stim_end, i);
    if (!std::isfinite(stim_start[i]) || !std::isfinite(stim_end[i]) ||
        stim_start[i] < 0 || stim_end[i] <= stim_start[i]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "FeatureMetric: trace ", i, " has stim_start = ", stim_start[i],
          " s and stim_end = ", stim_end[i],
          " s; expected 0 <= stim_start < stim_end"));
    }
    if (stim_start[i] > duration) {
      return absl::InvalidArgumentError(absl::StrCat(
          "FeatureMetric: stim_start = ", stim_start[i], " s of trace ", i,
          " lies beyond the end of the trace (", duration,
          " s after t_start); stimulus times are measured from t_start"));
    }
  }

  std::vector<std::vector<std::optional<double>>> target_values;
  target_values.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    target_values.push_back(
        ComputeFeatures(targets.trace(i).subspan(start_step), targets.dt,
                        stim_start[i], stim_end[i], config.settings, features));
  }
  return std::make_unique<FeatureMetric>(
      std::move(features), std::move(weights), *combine, config.settings,
      targets.dt, targets.n_steps, start_step, std::move(stim_start),
      std::move(stim_end), std::move(target_values), config.missing_value,
      *normalization);
}

}  // namespace cellfit::metrics
