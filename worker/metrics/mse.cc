#include "worker/metrics/mse.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "worker/metrics/pairwise_sum.h"

namespace cellfit::metrics {

absl::StatusOr<std::vector<double>> NormalizeTimeWeights(
    std::span<const double> t_weights) {
  for (std::size_t k = 0; k < t_weights.size(); ++k) {
    const double w = t_weights[k];
    if (!std::isfinite(w) || w < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "MSE: t_weights must be finite and non-negative, but weight ", k,
          " is ", w));
    }
  }
  const double sum = PairwiseSum(0, t_weights.size(),
                                 [&](std::size_t k) { return t_weights[k]; });
  if (sum == 0.0) {
    return absl::InvalidArgumentError(
        "MSE: t_weights cannot all be zero; give at least one positive weight");
  }
  const double mean = sum / static_cast<double>(t_weights.size());
  std::vector<double> normalized(t_weights.begin(), t_weights.end());
  for (double& w : normalized) w /= mean;
  return normalized;
}

std::size_t StartStep(double t_start, double dt) {
  // std::nearbyint in the default rounding mode rounds half to even, as
  // Python 3's round() does for floats.
  const double step = std::nearbyint(t_start / dt);
  // Saturate instead of overflowing for absurd t_start; callers compare the
  // result with the number of steps.
  if (!(step < 1e18)) return std::numeric_limits<std::size_t>::max();
  return static_cast<std::size_t>(step);
}

double MeanSquaredError(std::span<const double> model,
                        std::span<const double> target,
                        std::size_t start_step) {
  const std::size_t n = model.size() - start_step;
  const double sum = PairwiseSum(start_step, n, [&](std::size_t k) {
    const double diff = model[k] - target[k];
    return diff * diff;
  });
  return sum / static_cast<double>(n);
}

double WeightedMeanSquaredError(std::span<const double> model,
                                std::span<const double> target,
                                std::span<const double> weights) {
  const double sum = PairwiseSum(0, model.size(), [&](std::size_t k) {
    const double diff = model[k] - target[k];
    return diff * diff * weights[k];
  });
  return sum / static_cast<double>(model.size());
}

MseMetric::MseMetric(std::vector<double> targets, std::size_t n_traces,
                     std::size_t n_steps, std::size_t start_step,
                     std::vector<double> normalized_weights,
                     double normalization)
    : Metric(normalization),
      targets_(std::move(targets)),
      n_traces_(n_traces),
      n_steps_(n_steps),
      start_step_(start_step),
      weights_(std::move(normalized_weights)) {}

absl::StatusOr<double> MseMetric::TraceValue(
    std::size_t trace, std::span<const double> output) const {
  if (absl::Status s = CheckTraceIndex(trace); !s.ok()) return s;
  if (output.size() != n_steps_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MSE: the model trace for trace ", trace, " has ", output.size(),
        " steps; expected ", n_steps_, " like its target"));
  }
  std::span<const double> target(targets_.data() + trace * n_steps_, n_steps_);
  const double mse = weights_.empty()
                         ? MeanSquaredError(output, target, start_step_)
                         : WeightedMeanSquaredError(output, target, weights_);
  // A diverged simulation (NaN in the trace) is the worst possible fit, not an
  // error the optimizer cannot order.
  return std::isnan(mse) ? std::numeric_limits<double>::infinity() : mse;
}

absl::StatusOr<std::unique_ptr<MseMetric>> MakeMseMetric(
    const MseConfig& config, const TargetTraces& targets) {
  if (absl::Status s = ValidateTargetTraces(targets); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("MSE: ", s.message()));
  }
  absl::StatusOr<double> normalization =
      ResolveNormalization(config.normalization, "MSE");
  if (!normalization.ok()) return normalization.status();

  if (!std::isfinite(config.t_start) || config.t_start < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MSE: t_start must be a non-negative time in seconds, got ",
        config.t_start));
  }
  std::vector<double> weights;
  std::size_t start_step = 0;
  if (!config.t_weights.empty()) {
    if (config.t_start != 0.0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "MSE: cannot use both t_weights and t_start (t_start = ",
          config.t_start,
          " s); give zero weights to the samples to ignore instead"));
    }
    if (config.t_weights.size() != targets.n_steps) {
      return absl::InvalidArgumentError(absl::StrCat(
          "MSE: t_weights must have one weight per time step, i.e. ",
          targets.n_steps, " values like the target traces, but has ",
          config.t_weights.size()));
    }
    absl::StatusOr<std::vector<double>> normalized =
        NormalizeTimeWeights(config.t_weights);
    if (!normalized.ok()) return normalized.status();
    weights = *std::move(normalized);
  } else {
    const double duration = static_cast<double>(targets.n_steps) * targets.dt;
    start_step = StartStep(config.t_start, targets.dt);
    if (start_step >= targets.n_steps) {
      return absl::InvalidArgumentError(absl::StrCat(
          "MSE: t_start = ", config.t_start,
          " s leaves no sample to compare: it rounds to step ", start_step,
          " but the target traces have ", targets.n_steps, " steps of ",
          targets.dt, " s (", duration,
          " s in all); expected t_start before the last step"));
    }
  }
  return std::make_unique<MseMetric>(
      std::vector<double>(targets.values.begin(), targets.values.end()),
      targets.n_traces, targets.n_steps, start_step, std::move(weights),
      *normalization);
}

}  // namespace cellfit::metrics
