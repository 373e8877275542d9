// What a Fit call asks for, checked against the fitter: the optimizer, the
// bounds as a parameter space in SI, the metric of each output and how the
// server combines a sample's per-trace values into its errors.
#ifndef CELLFIT_SERVER_FITTING_FIT_SETTINGS_H_
#define CELLFIT_SERVER_FITTING_FIT_SETTINGS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cellfit/v1/fitting.pb.h"
#include "model/diagnostics.h"
#include "model/dimension.h"
#include "model/model.h"
#include "server/optimize/optimizer_config.h"
#include "server/optimize/parameter_space.h"
#include "worker/jobs/spec_conversion.h"
#include "worker/metrics/metric.h"

namespace cellfit::fitting {

// How one output's per-trace values become the output's error for a sample.
struct OutputScoring {
  std::string output;
  metrics::MetricKind kind = metrics::MetricKind::kMse;
  double normalization = 1;
  model::Dimension dimension;  // of the error
};

struct FitSettings {
  optimize::OptimizerConfig optimizer;
  std::optional<optimize::ParameterSpace> space;  // always set when made
  std::vector<OutputScoring> outputs;
  model::Dimension error_dimension;
  std::string penalty;
};

// What the server knows of a fitter's model (from its checked spec).
struct FitterModel {
  v1::FitterKind kind = v1::FITTER_KIND_UNSPECIFIED;
  jobs::ConvertedSpec converted;
  std::vector<std::string> parameters;  // model order
  std::vector<model::Dimension> parameter_dimensions;
  std::string method;
};

absl::StatusOr<FitterModel> LoadFitterModel(const v1::FitterSpec& spec);

// Checks `request` (bounds for every parameter with matching units, a known
// optimizer, one metric per output of the right kind) and builds the
// settings. `seed` replaces a zero seed. Every problem is found, each under
// the field of the setting it concerns ("bounds.gl", "bounds.gl.lower",
// "bounds", "optimizer.method", "metric", "metric.t_start", "metric.v",
// ...): in `problems`, and in the INVALID_ARGUMENT returned, one per line as
// "FIELD[:LINE:COLUMN]: error: MESSAGE".
absl::StatusOr<FitSettings> MakeFitSettings(const FitterModel& model,
                                            const v1::FitRequest& request,
                                            uint64_t seed,
                                            model::Diagnostics& problems);
absl::StatusOr<FitSettings> MakeFitSettings(const FitterModel& model,
                                            const v1::FitRequest& request,
                                            uint64_t seed);

// Every problem a Fit with `request` would meet before its first round on a
// fitter of `model` with `n_samples` (MakeFitSettings, then the optimizer's
// options), added to `problems` under the fields MakeFitSettings uses and
// "optimizer", "optimizer.options", "optimizer.options.NAME".
void CheckFitRequest(const FitterModel& model, const v1::FitRequest& request,
                     int n_samples, model::Diagnostics& problems);

// The fields of a FitRequest that define a run: two requests with equal
// fingerprints continue the same optimizer.
std::string OptimizerFingerprint(const v1::FitRequest& request);
std::string MetricFingerprint(const v1::FitRequest& request);
std::string BoundsFingerprint(const v1::FitRequest& request);

}  // namespace cellfit::fitting

#endif  // CELLFIT_SERVER_FITTING_FIT_SETTINGS_H_
