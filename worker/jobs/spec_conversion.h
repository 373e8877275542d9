// From the wire form of a fitter (common.proto's FitterSpec) to what the model
// language and the backends take: the ModelSpec to check, and the inputs and
// targets as SI tables. Every problem is collected, so that a user sees all of
// them at once. Shared by the server (validation at creation) and the worker
// (preparing a job).
#ifndef CELLFIT_WORKER_JOBS_SPEC_CONVERSION_H_
#define CELLFIT_WORKER_JOBS_SPEC_CONVERSION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cellfit/v1/common.pb.h"
#include "model/checker.h"
#include "model/diagnostics.h"
#include "worker/runtime/simulator.h"

namespace cellfit::jobs {

// Limits on what one fitter may hold (from the wire, so bounded).
inline constexpr int kMaxSamples = 100000;
inline constexpr int kMaxTraces = 10000;
inline constexpr int64_t kMaxSteps = 10000000;
inline constexpr int64_t kMaxValues = 50000000;  // all traces together
// Each input and output is a name the checker looks up in the model.
inline constexpr int kMaxInputs = 256;
inline constexpr int kMaxOutputs = 256;

model::Dimension ToDimension(const v1::Dimension& d);
v1::Dimension FromDimension(const model::Dimension& d);

// The namespace constants of a spec, for ParseQuantity and CheckModel.
std::vector<model::NamespaceEntry> NamespaceEntries(const v1::FitterSpec& spec);

// A wire quantity: its text parsed with the namespace, or value/dimension.
absl::StatusOr<model::Quantity> ToQuantity(
    const v1::Quantity& quantity, const std::string& field,
    const std::vector<model::NamespaceEntry>& namespace_entries);

struct ConvertedSpec {
  model::ModelSpec model_spec;
  double dt = 0;
  int n_traces = 0;
  int n_steps = 0;
  runtime::SimulationData
      data;  // inputs by spec order; targets of trace outputs
  // Per fitted output, in spec order: its name and, for trace outputs, its
  // index in data.targets; for the spike output, the trains (seconds).
  struct OutputInfo {
    std::string variable;
    bool spikes = false;
    int target_index = -1;
    model::Dimension dimension;  // of the recorded values (trace outputs)
    bool unit_given = false;     // else the values are in SI of the variable
  };
  std::vector<OutputInfo> outputs;
  std::vector<std::vector<double>> spike_trains;  // [trace]
};

// Converts and validates the spec's data (kind, shapes, units, dt, n_samples)
// and builds the ModelSpec. Problems go to `diagnostics`; the result is
// usable only when `diagnostics` stays empty.
// `require_outputs` false accepts a spec without fitted outputs (simulate).
ConvertedSpec ConvertSpec(const v1::FitterSpec& spec,
                          model::Diagnostics& diagnostics,
                          bool require_outputs = true);

// Checks that each trace output's unit matches the model variable's
// dimension (needs the checked model); an output given without a unit takes
// the variable's dimension (its values are in SI).
void CheckOutputUnits(ConvertedSpec& converted, const model::Model& model,
                      model::Diagnostics& diagnostics);

// Everything at once: ConvertSpec, CheckModel, CheckOutputUnits.
struct CheckedSpec {
  ConvertedSpec converted;
  model::CheckResult check;
  model::Diagnostics diagnostics;  // all problems, conversion and model
};
CheckedSpec CheckSpec(const v1::FitterSpec& spec, bool require_outputs = true);

}  // namespace cellfit::jobs

#endif  // CELLFIT_WORKER_JOBS_SPEC_CONVERSION_H_
