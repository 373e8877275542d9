// One entry point for the worker: builds the metric an output's config asks
// for, checking that the config suits the output's kind of targets.
#ifndef CELLFIT_WORKER_METRICS_MAKE_METRIC_H_
#define CELLFIT_WORKER_METRICS_MAKE_METRIC_H_

#include <memory>
#include <variant>

#include "absl/status/statusor.h"
#include "worker/metrics/feature_metric.h"
#include "worker/metrics/gamma_factor.h"
#include "worker/metrics/metric.h"
#include "worker/metrics/mse.h"

namespace cellfit::metrics {

// The plain form of common.proto's MetricSpec.kind.
using MetricConfig =
    std::variant<MseConfig, GammaFactorConfig, FeatureMetricConfig>;

// An output's targets: traces (TraceFitter outputs) or spikes (SpikeFitter).
using TargetData = std::variant<TargetTraces, TargetSpikes>;

// Builds and validates the metric. MSE and FeatureMetric need traces,
// GammaFactor needs spikes; a mismatch is INVALID_ARGUMENT.
absl::StatusOr<std::unique_ptr<Metric>> MakeMetric(const MetricConfig& config,
                                                   const TargetData& targets);

}  // namespace cellfit::metrics

#endif  // CELLFIT_WORKER_METRICS_MAKE_METRIC_H_
