// A fitter's job on a worker: its model checked and lowered once, its data
// converted once, its metrics built once; then batches of neurons evaluated
// (errors per neuron) or recorded (traces and spikes for generate/simulate).
#ifndef CELLFIT_WORKER_JOBS_JOB_H_
#define CELLFIT_WORKER_JOBS_JOB_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cellfit/v1/worker.pb.h"
#include "model/step_program.h"
#include "worker/jobs/metric_conversion.h"
#include "worker/jobs/spec_conversion.h"
#include "worker/runtime/simulator.h"

namespace cellfit::jobs {

// Runs a step program for a batch of lanes: the runtime backend, or the
// standalone backend's compiled code for the same program.
using SimulateFn = std::function<absl::StatusOr<runtime::BatchResult>(
    const runtime::BatchRequest&)>;

// Makes the simulate function for a program (the standalone backend compiles
// here); null means the runtime backend.
using BackendFactory = std::function<absl::StatusOr<SimulateFn>(
    const model::StepProgram&, v1::Backend)>;

struct JobOptions {
  int threads = 1;                 // for a batch that does not say otherwise
  BackendFactory backend_factory;  // empty: runtime backend only
};

class Job {
 public:
  static absl::StatusOr<std::unique_ptr<Job>> Prepare(
      const v1::JobData& data, const JobOptions& options);

  const std::string& id() const { return id_; }
  int n_traces() const { return converted_.n_traces; }

  // Errors mode (batch.record empty): per neuron, the per-trace value of
  // every output's metric (and the penalty). Record mode: the requested
  // variables' traces and/or spikes per neuron. `threads` > 0 overrides
  // JobOptions::threads for this batch. Safe to call from several threads.
  absl::StatusOr<v1::BatchResult> Run(const v1::Batch& batch,
                                      int threads = 0) const;

 private:
  Job() = default;

  absl::StatusOr<std::vector<runtime::Lane>> Lanes(
      const v1::Batch& batch) const;
  absl::StatusOr<std::vector<double>> ModelOrderParams(
      const v1::Batch& batch) const;
  absl::StatusOr<v1::BatchResult> Evaluate(const v1::Batch& batch,
                                           int threads) const;
  absl::StatusOr<v1::BatchResult> Record(const v1::Batch& batch,
                                         int threads) const;
  absl::StatusOr<SimulateFn> Simulator(const model::StepProgram& program) const;

  std::string id_;
  v1::FitterKind kind_ = v1::FITTER_KIND_UNSPECIFIED;
  v1::Backend backend_ = v1::BACKEND_RUNTIME;
  JobOptions options_;
  ConvertedSpec converted_;
  model::Model model_;
  // Column of each model parameter in the batch's parameter rows.
  std::vector<int> param_columns_;
  std::vector<OutputMetric> metrics_;
  bool has_penalty_ = false;
  bool record_only_ = false;  // no metrics: only record-mode batches
  double online_t_start_ = 0;
  double online_divisor_ = 1;
  // The errors-mode program and how to read each output from its results.
  model::StepProgram program_;
  SimulateFn simulate_;
  std::vector<int> output_recording_;  // per metric: recording index or -1
};

}  // namespace cellfit::jobs

#endif  // CELLFIT_WORKER_JOBS_JOB_H_
