#include "worker/metrics/metric.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "worker/metrics/pairwise_sum.h"

namespace cellfit::metrics {

absl::Status ValidateTargetTraces(const TargetTraces& targets) {
  if (!std::isfinite(targets.dt) || targets.dt <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "target traces: dt must be a positive number of seconds, got ",
        targets.dt));
  }
  if (targets.n_traces == 0 || targets.n_steps == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "target traces: expected at least one trace of at least one step, got ",
        targets.n_traces, " traces of ", targets.n_steps, " steps"));
  }
  if (targets.values.size() != targets.n_traces * targets.n_steps) {
    return absl::InvalidArgumentError(absl::StrCat(
        "target traces: expected n_traces * n_steps = ", targets.n_traces,
        " * ", targets.n_steps, " = ", targets.n_traces * targets.n_steps,
        " values, got ", targets.values.size()));
  }
  for (std::size_t i = 0; i < targets.values.size(); ++i) {
    if (!std::isfinite(targets.values[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("target traces: value at trace ", i / targets.n_steps,
                       ", step ", i % targets.n_steps, " is ",
                       targets.values[i], "; expected a finite number"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTargetSpikes(const TargetSpikes& targets) {
  if (!std::isfinite(targets.dt) || targets.dt <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "target spikes: dt must be a positive number of seconds, got ",
        targets.dt));
  }
  if (targets.trains.empty()) {
    return absl::InvalidArgumentError(
        "target spikes: expected at least one spike train (one per trace), "
        "got none");
  }
  for (std::size_t i = 0; i < targets.trains.size(); ++i) {
    const std::vector<double>& train = targets.trains[i];
    for (std::size_t k = 0; k < train.size(); ++k) {
      if (!std::isfinite(train[k])) {
        return absl::InvalidArgumentError(
            absl::StrCat("target spikes: spike ", k, " of trace ", i, " is ",
                         train[k], "; expected a finite time in seconds"));
      }
      if (k > 0 && train[k] < train[k - 1]) {
        return absl::InvalidArgumentError(absl::StrCat(
            "target spikes: trace ", i, " is not in ascending order (spike ", k,
            " at ", train[k], " s comes after ", train[k - 1], " s)"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<double> ResolveNormalization(double normalization,
                                            std::string_view metric) {
  if (normalization == 0.0) return 1.0;
  if (!std::isfinite(normalization) || normalization < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(metric),
        ": normalization must be a positive finite number (0 means 1), "
        "got ",
        normalization));
  }
  return normalization;
}

std::string_view MetricKindName(MetricKind kind) {
  switch (kind) {
    case MetricKind::kMse:
      return "MSE";
    case MetricKind::kGammaFactor:
      return "GammaFactor";
    case MetricKind::kFeatureMetric:
      return "FeatureMetric";
  }
  return "?";
}

OutputKind OutputKindOf(MetricKind kind) {
  return kind == MetricKind::kGammaFactor ? OutputKind::kSpikes
                                          : OutputKind::kTraces;
}

absl::StatusOr<double> CombineTraceValues(MetricKind kind,
                                          std::span<const double> per_trace) {
  if (per_trace.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(MetricKindName(kind)), ": no per-trace values to combine"));
  }
  for (std::size_t i = 0; i < per_trace.size(); ++i) {
    if (std::isnan(per_trace[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(MetricKindName(kind)),
                       ": per-trace value of trace ", i, " is NaN"));
    }
  }
  const double sum = PairwiseSum(0, per_trace.size(),
                                 [&](std::size_t i) { return per_trace[i]; });
  // get_errors: features.mean(axis=1) for MSE and GammaFactor; FeatureMetric
  // sums over traces (and features).
  if (kind == MetricKind::kFeatureMetric) return sum;
  return sum / static_cast<double>(per_trace.size());
}

double NormalizeError(MetricKind kind, double normalization, double raw_error) {
  if (kind == MetricKind::kMse) {
    return raw_error / (normalization * normalization);
  }
  return raw_error / normalization;
}

double RevertNormalization(MetricKind kind, double normalization,
                           double normalized_error) {
  if (kind == MetricKind::kMse) {
    return normalized_error * normalization * normalization;
  }
  return normalized_error * normalization;
}

int ErrorDimensionExponent(MetricKind kind) {
  return kind == MetricKind::kMse ? 2 : 0;
}

absl::StatusOr<double> Metric::Combine(
    std::span<const double> per_trace) const {
  if (per_trace.size() != n_traces()) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(name()), ": expected one per-trace value for each of the ",
        n_traces(), " traces, got ", per_trace.size()));
  }
  return CombineTraceValues(kind(), per_trace);
}

double Metric::Normalize(double raw_error) const {
  return NormalizeError(kind(), normalization_, raw_error);
}

double Metric::RevertNormalization(double normalized_error) const {
  return metrics::RevertNormalization(kind(), normalization_, normalized_error);
}

absl::StatusOr<double> Metric::Error(std::span<const double> per_trace) const {
  absl::StatusOr<double> raw = Combine(per_trace);
  if (!raw.ok()) return raw.status();
  return Normalize(*raw);
}

absl::Status Metric::CheckTraceIndex(std::size_t trace) const {
  if (trace >= n_traces()) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(name()), ": trace index ", trace,
        " is out of range; the metric has ", n_traces(), " traces"));
  }
  return absl::OkStatus();
}

}  // namespace cellfit::metrics
