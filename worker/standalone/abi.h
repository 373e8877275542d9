// The boundary between the worker and a compiled step program: C functions
// that run a group of lanes through every time step. Its text is embedded in
// every generated source, so both sides always agree on it.
#ifndef CELLFIT_WORKER_STANDALONE_ABI_H_
#define CELLFIT_WORKER_STANDALONE_ABI_H_

#include <stdint.h>

#define CELLFIT_ABI_VERSION 3
// Lanes per group: three vectors, interleaved for instruction-level
// parallelism (measured best for the HH model against two, four and six). A
// vector has four lanes, or eight where the machine has AVX-512; the program
// tells which (cellfit_lane_width), so a group has 12 or 24 lanes.
#define CELLFIT_GROUP_VECTORS 3
#define CELLFIT_MAX_LANE_WIDTH 8
#define CELLFIT_MAX_GROUP_LANES (CELLFIT_GROUP_VECTORS * CELLFIT_MAX_LANE_WIDTH)
// A group's last lanes, when few, run through a one-vector entry point with
// the same argument layout: a batch of 50 neurons on four-lane vectors then
// simulates 52 lanes instead of 60.

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
  // Called for each spike of a lane (lane in 0..group lanes - 1).
  void (*on_spike)(void* context, int32_t lane, int32_t step);
  void* spike_context;
  // [online output][lane] and [lane]: values after the last step.
  double* online_errors;
  double* final_values;
};

// cellfit_run_group runs all CELLFIT_GROUP_VECTORS * cellfit_lane_width()
// lanes of `args`; cellfit_run_narrow_group only the first
// cellfit_lane_width().
typedef void (*CellfitRunGroupFn)(const struct CellfitGroupArgs*);

#endif  // CELLFIT_WORKER_STANDALONE_ABI_H_
