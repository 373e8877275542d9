// The runtime backend: runs a step program for a batch of neurons (lanes) by
// interpreting it over blocks of lanes. A block runs all its time steps while
// its registers stay in cache; blocks are independent and spread over threads.
#ifndef CELLFIT_WORKER_RUNTIME_SIMULATOR_H_
#define CELLFIT_WORKER_RUNTIME_SIMULATOR_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "model/step_program.h"

namespace cellfit::runtime {

// Equally sampled traces of one variable: n_traces rows of n_steps SI values.
struct TraceTable {
  int n_traces = 0;
  int n_steps = 0;
  std::vector<double> values;  // row-major
  const double* row(int trace) const {
    return values.data() + static_cast<size_t>(trace) * n_steps;
  }
};

// What the lanes of a job read: its inputs and the recorded outputs.
struct SimulationData {
  double dt = 0;
  int n_steps = 0;
  std::vector<TraceTable> inputs;   // by model input index
  std::vector<TraceTable> targets;  // by model target index
};

// One neuron: a parameter set (row of `params`) against one input trace.
struct Lane {
  int sample = 0;
  int trace = 0;
  int64_t index = 0;  // `i`, as brian2modelfitting numbers neurons
};

struct BatchRequest {
  const model::StepProgram* program = nullptr;
  const SimulationData* data = nullptr;
  const double* params = nullptr;  // row-major: sample x parameter, SI
  int n_samples = 0;
  int n_params = 0;
  std::vector<Lane> lanes;
  double iteration = 0;
  uint64_t seed = 0;
  bool record_spikes = false;
  int threads = 1;
};

struct BatchResult {
  int n_steps = 0;
  // recordings[r][lane * n_steps + step]: program.record_registers[r].
  std::vector<std::vector<double>> recordings;
  std::vector<std::vector<double>> spikes;         // [lane]: times in s
  std::vector<std::vector<double>> online_errors;  // [output][lane]
  std::vector<double> final_values;                // [lane]
};

// Checks a request against its program and data (shared by both backends).
absl::Status ValidateBatch(const BatchRequest& request);

// A result sized for the request, shared by both backends; each recording's
// pages are touched once, by its zeroing (long ones on huge pages).
BatchResult NewBatchResult(const BatchRequest& request);

absl::StatusOr<BatchResult> RunBatch(const BatchRequest& request);

}  // namespace cellfit::runtime

#endif  // CELLFIT_WORKER_RUNTIME_SIMULATOR_H_
