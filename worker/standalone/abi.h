// The boundary between the worker and a compiled step program: C functions
// that run a group of lanes through every time step. Its text is embedded in
// every generated source, so both sides always agree on it.
#ifndef CELLFIT_WORKER_STANDALONE_ABI_H_
#define CELLFIT_WORKER_STANDALONE_ABI_H_

#include <stdint.h>

#define CELLFIT_ABI_VERSION 2
// Lanes per group: three vectors of four, interleaved for instruction-level
// parallelism (measured best for the HH model against two, four and six).
#define CELLFIT_GROUP_VECTORS 3
#define CELLFIT_GROUP_LANES 12
// A group's last lanes, when few, run through a one-vector entry point with
// the same argument layout: a batch of 50 neurons then simulates 52 lanes
// instead of 60.
#define CELLFIT_NARROW_LANES 4

struct CellfitGroupArgs {
  int32_t n_steps;
  int32_t record_spikes;
  double dt;
  double iteration;
  uint64_t seed;
  // [parameter][lane]: parameter values of each lane.
  const double* params;
  // [lane]: the neuron index `i` of each lane.
  const int64_t* lane_index;
  // [input register][lane]: the lane's row (n_steps values) of that input.
  const double* const* input_rows;
  // [record][lane]: where the lane's n_steps recorded values go.
  double* const* records;
  // Called for each spike of a lane (lane in 0..CELLFIT_GROUP_LANES-1).
  void (*on_spike)(void* context, int32_t lane, int32_t step);
  void* spike_context;
  // [online output][lane] and [lane]: values after the last step.
  double* online_errors;
  double* final_values;
};

// cellfit_run_group runs all CELLFIT_GROUP_LANES lanes of `args`;
// cellfit_run_narrow_group only the first CELLFIT_NARROW_LANES.
typedef void (*CellfitRunGroupFn)(const struct CellfitGroupArgs*);

#endif  // CELLFIT_WORKER_STANDALONE_ABI_H_
