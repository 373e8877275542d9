#include "worker/metrics/gamma_factor.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"

namespace cellfit::metrics {
namespace {

// The spikes of `times` strictly after t_start (SpikeMetric.calc keeps
// `one_stim > t_start`); all of them when t_start is 0, as there.
std::span<const double> SpikesAfter(std::span<const double> times,
                                    double t_start) {
  if (t_start <= 0) return times;
  auto first = std::upper_bound(times.begin(), times.end(), t_start);
  return times.subspan(static_cast<std::size_t>(first - times.begin()));
}

}  // namespace

std::vector<std::int64_t> SpikeSteps(std::span<const double> times, double dt) {
  std::vector<std::int64_t> steps;
  steps.reserve(times.size());
  for (double t : times) {
    // Clamped so that absurd times cannot overflow the conversion.
    const double step = std::clamp(std::nearbyint(t / dt), -1e18, 1e18);
    steps.push_back(static_cast<std::int64_t>(step));
  }
  return steps;
}

std::int64_t CountCoincidences(std::span<const std::int64_t> model_steps,
                               std::span<const std::int64_t> data_steps,
                               std::int64_t delta_steps) {
  const std::size_t n_model = model_steps.size();
  if (n_model == 0) return 0;
  std::int64_t coincidences = 0;
  if (n_model == 1) {
    for (std::int64_t d : data_steps) {
      if (std::llabs(model_steps[0] - d) <= delta_steps) ++coincidences;
    }
    return coincidences;
  }
  // numpy.digitize(data, bins) with increasing bins is the number of bins
  // <= x, i.e. upper_bound; the bins are the midpoints of consecutive model
  // spikes, so model[index] is the nearest model spike (the later one on a
  // tie).
  std::vector<double> bins(n_model - 1);
  for (std::size_t i = 0; i + 1 < n_model; ++i) {
    bins[i] = 0.5 * static_cast<double>(model_steps[i + 1] + model_steps[i]);
  }
  for (std::int64_t d : data_steps) {
    const std::size_t index = static_cast<std::size_t>(
        std::upper_bound(bins.begin(), bins.end(), static_cast<double>(d)) -
        bins.begin());
    if (std::llabs(d - model_steps[index]) <= delta_steps) ++coincidences;
  }
  return coincidences;
}

double GammaFactorError(std::span<const double> model_times,
                        std::span<const double> data_times, double delta,
                        double time, double dt, bool rate_correction) {
  const std::vector<std::int64_t> model = SpikeSteps(model_times, dt);
  const std::vector<std::int64_t> data = SpikeSteps(data_times, dt);
  const auto delta_steps = static_cast<std::int64_t>(
      std::clamp(std::nearbyint(delta / dt), 0.0, 1e18));

  const double model_length = static_cast<double>(model.size());
  const double data_length = static_cast<double>(data.size());
  if (data.empty()) {
    // Undefined in brian2modelfitting (0/0 or x/0); see the header.
    if (model.empty()) return 0.0;
    return rate_correction ? 1.0 + 2.0 * model_length : 1.0;
  }
  const double data_rate = data_length / time;
  const double model_rate = model_length / time;

  const double coincidences =
      static_cast<double>(CountCoincidences(model, data, delta_steps));
  // Expected number of coincidences for a Poisson process of the data's rate,
  // and the normalisation that makes Γ = 1 for identical trains.
  const double n_coinc_avg = 2 * delta * data_length * data_rate;
  const double norm = .5 * (1 - 2 * data_rate * delta);
  const double gamma =
      (coincidences - n_coinc_avg) / (norm * (model_length + data_length));

  const double rate_term =
      rate_correction ? 1 + 2 * std::abs((data_rate - model_rate) / data_rate)
                      : 1.0;
  return std::max(rate_term - gamma, 0.0);
}

GammaFactorMetric::GammaFactorMetric(std::vector<std::vector<double>> data,
                                     double dt, const GammaFactorConfig& config,
                                     double normalization)
    : Metric(normalization),
      data_(std::move(data)),
      dt_(dt),
      delta_(config.delta),
      time_(config.time),
      rate_correction_(config.rate_correction),
      t_start_(config.t_start) {}

absl::StatusOr<double> GammaFactorMetric::TraceValue(
    std::size_t trace, std::span<const double> output) const {
  if (absl::Status s = CheckTraceIndex(trace); !s.ok()) return s;
  for (std::size_t k = 0; k < output.size(); ++k) {
    if (!std::isfinite(output[k]) || (k > 0 && output[k] < output[k - 1])) {
      return absl::InvalidArgumentError(
          absl::StrCat("GammaFactor: model spike times of trace ", trace,
                       " must be finite and ascending, but spike ", k,
                       " is at ", output[k], " s"));
    }
  }
  return GammaFactorError(SpikesAfter(output, t_start_), data_[trace], delta_,
                          time_, dt_, rate_correction_);
}

absl::StatusOr<std::unique_ptr<GammaFactorMetric>> MakeGammaFactorMetric(
    const GammaFactorConfig& config, const TargetSpikes& targets) {
  if (absl::Status s = ValidateTargetSpikes(targets); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("GammaFactor: ", s.message()));
  }
  absl::StatusOr<double> normalization =
      ResolveNormalization(config.normalization, "GammaFactor");
  if (!normalization.ok()) return normalization.status();
  if (!std::isfinite(config.delta) || config.delta < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GammaFactor: delta (the coincidence window) must be a non-negative "
        "time in seconds, got ",
        config.delta));
  }
  if (!std::isfinite(config.time) || config.time <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GammaFactor: time (the duration of the recordings) must be a "
        "positive time in seconds, got ",
        config.time));
  }
  if (!std::isfinite(config.t_start) || config.t_start < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GammaFactor: t_start must be a non-negative time in seconds, got ",
        config.t_start));
  }
  if (config.t_start >= config.time) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GammaFactor: t_start = ", config.t_start,
        " s is not before the end of the recordings (time = ", config.time,
        " s); no spike would count"));
  }
  std::vector<std::vector<double>> data;
  data.reserve(targets.trains.size());
  for (std::size_t i = 0; i < targets.trains.size(); ++i) {
    std::span<const double> kept =
        SpikesAfter(targets.trains[i], config.t_start);
    // Γ's normalisation 1 - 2 delta r_data must stay positive.
    const double rate = static_cast<double>(kept.size()) / config.time;
    if (2 * config.delta * rate >= 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "GammaFactor: delta = ", config.delta, " s is too large for trace ",
          i, ", which has ", kept.size(), " spikes in ", config.time,
          " s: the gamma factor needs 2 * delta * rate < 1, here ",
          2 * config.delta * rate, "; use a smaller delta"));
    }
    data.emplace_back(kept.begin(), kept.end());
  }
  return std::make_unique<GammaFactorMetric>(std::move(data), targets.dt,
                                             config, *normalization);
}

}  // namespace cellfit::metrics
