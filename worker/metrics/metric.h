// The interface every fitting metric implements, and the views of target data
// the metric factories take.
//
// brian2modelfitting splits a metric in two levels, and so does cellfit:
//   * get_features: one value per simulated neuron, i.e. per (sample, trace)
//     pair, computed from the model's output for that trace and the trace's
//     target. The worker computes these (`Metric::TraceValue`).
//   * get_errors: one error per sample, combining the sample's per-trace
//     values (`Metric::Combine`), then scaled by the metric's normalization
//     (`Metric::Normalize`). The server does this once it has all traces of
//     a sample.
// Keeping the levels apart lets workers simulate any subset of a sample's
// traces while the result stays exactly brian2modelfitting's.
//
// Everything here is in SI units: volts, seconds, hertz. The library does not
// depend on protobuf; the worker converts the wire form (common.proto) into
// the plain config structs of mse.h, gamma_factor.h and feature_metric.h.
#ifndef CELLFIT_WORKER_METRICS_METRIC_H_
#define CELLFIT_WORKER_METRICS_METRIC_H_

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cellfit::metrics {

// What a metric compares the model against.
enum class OutputKind {
  kTraces,  // recorded traces of a model variable (TraceFitter)
  kSpikes,  // recorded spike times (SpikeFitter)
};

// Target traces of one output: `n_traces` rows of `n_steps` samples each,
// row-major, sampled every `dt` seconds, in SI units of the output variable.
// A view: the metric factories copy what they keep.
struct TargetTraces {
  double dt = 0.0;
  std::size_t n_traces = 0;
  std::size_t n_steps = 0;
  std::span<const double> values;

  std::span<const double> trace(std::size_t i) const {
    return values.subspan(i * n_steps, n_steps);
  }
};

// Target spike trains, one per trace: spike times in seconds, ascending.
// `dt` is the simulation time step; spike metrics round spike times to it.
// A view: the metric factories copy what they keep.
struct TargetSpikes {
  double dt = 0.0;
  std::span<const std::vector<double>> trains;
};

// Checks a TargetTraces view: dt positive and finite, at least one trace and
// one step, `values` of size n_traces * n_steps, every value finite.
absl::Status ValidateTargetTraces(const TargetTraces& targets);

// Checks a TargetSpikes view: dt positive and finite, at least one train,
// every spike time finite and each train ascending.
absl::Status ValidateTargetSpikes(const TargetSpikes& targets);

// Resolves a configured normalization: 0 means "not set" and becomes 1 (as on
// the wire); otherwise it must be finite and positive. `metric` names the
// metric in the error message.
absl::StatusOr<double> ResolveNormalization(double normalization,
                                            std::string_view metric);

// The metrics cellfit implements.
enum class MetricKind {
  kMse,            // MSEMetric
  kGammaFactor,    // GammaFactor
  kFeatureMetric,  // FeatureMetric
};

// "MSE", "GammaFactor" or "FeatureMetric".
std::string_view MetricKindName(MetricKind kind);

// Traces for MSE and FeatureMetric, spikes for GammaFactor.
OutputKind OutputKindOf(MetricKind kind);

// The sample level, which needs no targets: a server that receives per-trace
// values from workers can combine and normalize them with these alone.
//
// Combines the per-trace values of one sample (one per trace) into its raw
// error (brian2modelfitting's get_errors without normalization): the mean
// over traces for MSE and GammaFactor, the sum for FeatureMetric. Fails on
// an empty list or a NaN value.
absl::StatusOr<double> CombineTraceValues(MetricKind kind,
                                          std::span<const double> per_trace);

// The error handed to the optimizer. MSE divides the traces by the
// normalization, so its error is divided by normalization²; the other
// metrics divide the error by normalization.
double NormalizeError(MetricKind kind, double normalization, double raw_error);

// Inverse of NormalizeError (brian2modelfitting's revert_normalization).
double RevertNormalization(MetricKind kind, double normalization,
                           double normalized_error);

// The error's dimension as a power of the output's dimension, before
// normalization: MSE of a voltage is volt², so 2; GammaFactor and
// FeatureMetric are dimensionless, so 0. (With a normalization that has a
// dimension, brian2modelfitting divides by it: squared for MSE.)
int ErrorDimensionExponent(MetricKind kind);

// A metric built for one fitted output and its targets. Immutable after
// construction; all methods are const and safe to call from many threads.
class Metric {
 public:
  virtual ~Metric() = default;

  virtual MetricKind kind() const = 0;

  // Short name used in messages: "MSE", "GammaFactor", "FeatureMetric".
  std::string_view name() const { return MetricKindName(kind()); }

  // Whether TraceValue takes recorded values or spike times.
  OutputKind output_kind() const { return OutputKindOf(kind()); }

  // Number of traces (targets) the metric was built for.
  virtual std::size_t n_traces() const = 0;

  // The per-trace value of one simulated neuron (brian2modelfitting's
  // get_features level) against target `trace`.
  //  * kTraces: `output` holds the model's recorded values for the whole
  //    trace (recorded as Brian2's StateMonitor does, at the start of each
  //    step), exactly as many as the target has steps, in SI units.
  //  * kSpikes: `output` holds the model's spike times in seconds, ascending.
  // Never NaN: finite for finite input; a model trace containing NaN (a
  // diverged simulation) gives +infinity for MSE and the missing-feature
  // penalty for FeatureMetric.
  virtual absl::StatusOr<double> TraceValue(
      std::size_t trace, std::span<const double> output) const = 0;

  // CombineTraceValues, checking that there is one value per trace.
  absl::StatusOr<double> Combine(std::span<const double> per_trace) const;

  // NormalizeError / RevertNormalization with this metric's normalization.
  double Normalize(double raw_error) const;
  double RevertNormalization(double normalized_error) const;

  // ErrorDimensionExponent(kind()).
  int error_dimension_exponent() const {
    return ErrorDimensionExponent(kind());
  }

  // The normalization in force (1 when none was configured).
  double normalization() const { return normalization_; }

  // Normalize(Combine(per_trace)).
  absl::StatusOr<double> Error(std::span<const double> per_trace) const;

 protected:
  explicit Metric(double normalization) : normalization_(normalization) {}

  // Argument check shared by the TraceValue implementations.
  absl::Status CheckTraceIndex(std::size_t trace) const;

 private:
  double normalization_;
};

}  // namespace cellfit::metrics

#endif  // CELLFIT_WORKER_METRICS_METRIC_H_
