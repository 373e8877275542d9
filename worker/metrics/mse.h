// Mean squared error between model and target traces: brian2modelfitting's
// MSEMetric (metric.py, classes TraceMetric and MSEMetric).
//
// For one trace with target d and model m, sampled at dt over n steps:
//   without t_weights:  MSE = mean_{k = s .. n-1} (m_k - d_k)²,
//                       s = int(round(t_start / dt))   (Python round: ties
//                                                       to even)
//   with t_weights w:   MSE = mean_{k = 0 .. n-1} w'_k (m_k - d_k)²,
//                       w' = w / mean(w)               (normalize_weights)
// A sample's error is the mean of its traces' MSEs. brian2modelfitting
// divides both traces by `normalization` before comparing them, so the
// normalized error is MSE / normalization² (and its dimension is the output's
// squared, divided by the normalization's squared).
//
// Checked when the metric is built (brian2modelfitting raises for the first
// two, and silently returns NaN for the third): t_weights together with a
// non-zero t_start; t_weights not of length n_steps, negative, all zero or not
// finite; t_start negative or at/after the end of the traces.
#ifndef CELLFIT_WORKER_METRICS_MSE_H_
#define CELLFIT_WORKER_METRICS_MSE_H_

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/metrics/metric.h"

namespace cellfit::metrics {

struct MseConfig {
  // Samples before this time (seconds) are ignored. Exclusive with t_weights.
  double t_start = 0.0;
  // One weight per time step (empty: none). Only relative values matter.
  std::vector<double> t_weights;
  // Traces are divided by this before comparing; 0 means 1.
  double normalization = 1.0;
};

// brian2modelfitting's normalize_weights: w / mean(w). Fails if a weight is
// negative or not finite, or if all weights are zero.
absl::StatusOr<std::vector<double>> NormalizeTimeWeights(
    std::span<const double> t_weights);

// The first step a t_start keeps: Python's int(round(t_start / dt)), where
// round() ties to even. t_start >= 0, dt > 0.
std::size_t StartStep(double t_start, double dt);

// mean_{k >= start_step} (model_k - target_k)². Requires equal sizes and
// start_step < size.
double MeanSquaredError(std::span<const double> model,
                        std::span<const double> target, std::size_t start_step);

// mean_k weights_k (model_k - target_k)² with already normalized weights.
// Requires equal sizes.
double WeightedMeanSquaredError(std::span<const double> model,
                                std::span<const double> target,
                                std::span<const double> weights);

class MseMetric final : public Metric {
 public:
  // Use MakeMseMetric, which validates.
  MseMetric(std::vector<double> targets, std::size_t n_traces,
            std::size_t n_steps, std::size_t start_step,
            std::vector<double> normalized_weights, double normalization);

  MetricKind kind() const override { return MetricKind::kMse; }
  std::size_t n_traces() const override { return n_traces_; }
  absl::StatusOr<double> TraceValue(
      std::size_t trace, std::span<const double> output) const override;

  std::size_t start_step() const { return start_step_; }
  // Empty when no t_weights were configured.
  const std::vector<double>& normalized_weights() const { return weights_; }

 private:
  std::vector<double> targets_;  // row-major n_traces_ x n_steps_
  std::size_t n_traces_;
  std::size_t n_steps_;
  std::size_t start_step_;
  std::vector<double> weights_;
};

// Builds and validates an MSE metric for the given target traces.
absl::StatusOr<std::unique_ptr<MseMetric>> MakeMseMetric(
    const MseConfig& config, const TargetTraces& targets);

}  // namespace cellfit::metrics

#endif  // CELLFIT_WORKER_METRICS_MSE_H_
