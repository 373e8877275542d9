// The wire form of metrics (common.proto's MetricSpec) as the metrics
// library's configs, with units checked. Shared by the server (validation
// when a fit starts) and the worker (building the metrics of a job).
#ifndef CELLFIT_WORKER_JOBS_METRIC_CONVERSION_H_
#define CELLFIT_WORKER_JOBS_METRIC_CONVERSION_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cellfit/v1/common.pb.h"
#include "model/checker.h"
#include "worker/jobs/spec_conversion.h"
#include "worker/metrics/make_metric.h"

namespace cellfit::jobs {

// The metric config for `spec` (units of t_start, delta, time checked).
absl::StatusOr<metrics::MetricConfig> ToMetricConfig(
    const v1::MetricSpec& spec,
    const std::vector<model::NamespaceEntry>& namespace_entries);

// One fitted output with the metric that scores it.
struct OutputMetric {
  std::string output;     // the output variable, or "spikes"
  int output_index = -1;  // into ConvertedSpec::outputs
  std::unique_ptr<metrics::Metric> metric;
};

// Builds a metric for every fitted output from `specs` (one per output; a
// spec with an empty output name applies to the only output) against the
// converted targets. Errors name the output and what is wrong.
absl::StatusOr<std::vector<OutputMetric>> BuildMetrics(
    const std::vector<v1::MetricSpec>& specs, const ConvertedSpec& converted);

}  // namespace cellfit::jobs

#endif  // CELLFIT_WORKER_JOBS_METRIC_CONVERSION_H_
