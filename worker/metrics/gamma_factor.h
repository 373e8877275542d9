// The gamma factor coincidence measure between spike trains (Jolivet et al.
// 2008), as brian2modelfitting's GammaFactor and get_gamma_factor
// (metric.py) define it, turned into an error to minimize.
//
// For one trace, with model and data spike times in seconds, time step dt,
// coincidence window delta and recording duration T:
//   1. Spike times are rounded to steps: round(t / dt), ties to even (numpy's
//      rint); the window to delta_steps = round(delta / dt).
//   2. Coincidences: every data spike is matched to the model spike nearest
//      to it (a data spike exactly half-way between two model spikes goes to
//      the later one; numpy.digitize on the model midpoints) and counts when
//      |data - model| <= delta_steps, i.e. a distance of exactly delta
//      counts. A model spike may be matched by several data spikes.
//   3. r_data = N_data / T and r_model = N_model / T;
//      expected coincidences N_avg = 2 delta N_data r_data;
//      norm = (1 - 2 delta r_data) / 2;
//      Γ = (N_coinc - N_avg) / (norm (N_model + N_data)).
//   4. error = max(0, R - Γ) with R = 1 + 2 |r_data - r_model| / r_data
//      (rate correction, the default; Clopath et al. 2007) or R = 1
//      (without). A perfect match gives 0.
//      Note: earlier brian2modelfitting versions returned 2|Δr|/r_data - Γ,
//      without the 1 and without clipping (a perfect match gave -1); cellfit
//      follows the current definition, whose best value is 0.
// Edge cases brian2modelfitting leaves undefined (it returns NaN or inf),
// defined here so that the error is always finite:
//   * no data spikes and no model spikes: Γ = 1 and R = 1, error 0;
//   * no data spikes, N_model > 0: Γ = 0 (as there), and the rate term uses
//     one spike in place of the missing data rate: R = 1 + 2 N_model
//     (1 without rate correction);
//   * no model spikes, N_data > 0: as brian2modelfitting (Γ <= 0, R = 3).
// The metric rejects targets for which 2 delta r_data >= 1 (norm <= 0), where
// Γ is not defined.
//
// With t_start > 0 only spikes strictly after t_start count, in model and
// data (brian2modelfitting's SpikeMetric.calc); the rates still use T.
// A sample's error is the mean over its traces, divided by normalization.
// (brian2modelfitting divides by normalization twice, in get_features and in
// SpikeMetric.calc; cellfit divides once, as its documentation describes.)
#ifndef CELLFIT_WORKER_METRICS_GAMMA_FACTOR_H_
#define CELLFIT_WORKER_METRICS_GAMMA_FACTOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/metrics/metric.h"

namespace cellfit::metrics {

struct GammaFactorConfig {
  double delta = 0.0;  // coincidence window, seconds, >= 0 (required)
  double time = 0.0;   // duration of the recordings, seconds, > 0 (required)
  bool rate_correction = true;
  double t_start = 0.0;        // only spikes after this time (s) count
  double normalization = 1.0;  // the error is divided by this; 0 means 1
};

// Rounds spike times to time steps as numpy's rint(t / dt) (ties to even).
std::vector<std::int64_t> SpikeSteps(std::span<const double> times, double dt);

// Number of data spikes whose nearest model spike lies within delta_steps
// (steps 2 above). Both inputs ascending.
std::int64_t CountCoincidences(std::span<const std::int64_t> model_steps,
                               std::span<const std::int64_t> data_steps,
                               std::int64_t delta_steps);

// The error for one pair of spike trains (seconds, ascending), steps 1-4 and
// the edge cases above. Requires dt > 0, delta >= 0, time > 0 and
// 2 delta N_data / time < 1.
double GammaFactorError(std::span<const double> model_times,
                        std::span<const double> data_times, double delta,
                        double time, double dt, bool rate_correction);

class GammaFactorMetric final : public Metric {
 public:
  // Use MakeGammaFactorMetric, which validates.
  GammaFactorMetric(std::vector<std::vector<double>> data, double dt,
                    const GammaFactorConfig& config, double normalization);

  MetricKind kind() const override { return MetricKind::kGammaFactor; }
  std::size_t n_traces() const override { return data_.size(); }
  // `output`: the model's spike times in seconds, ascending.
  absl::StatusOr<double> TraceValue(
      std::size_t trace, std::span<const double> output) const override;

 private:
  std::vector<std::vector<double>> data_;  // spikes after t_start only
  double dt_;
  double delta_;
  double time_;
  bool rate_correction_;
  double t_start_;
};

// Builds and validates a GammaFactor metric for the given target spikes.
absl::StatusOr<std::unique_ptr<GammaFactorMetric>> MakeGammaFactorMetric(
    const GammaFactorConfig& config, const TargetSpikes& targets);

}  // namespace cellfit::metrics

#endif  // CELLFIT_WORKER_METRICS_GAMMA_FACTOR_H_
