// How a round's samples are cut into batches for the worker pool.
#ifndef CELLFIT_SERVER_FITTING_BATCH_PLAN_H_
#define CELLFIT_SERVER_FITTING_BATCH_PLAN_H_

#include <cstdint>
#include <vector>

#include "server/dispatch/pool_size.h"

namespace cellfit::fitting {

// A round split into batches of consecutive samples, every trace each.
struct BatchPlan {
  int first_sample = 0;
  int n_samples = 0;
};

// Below this many neurons a batch costs more in messages and in its last,
// partly filled block of lanes than it gains in balance.
inline constexpr int kMinNeuronsPerBatch = 64;

// A batch's answer (an error per neuron) must fit one message, and its
// traces (a value per neuron and step) a worker's memory.
inline constexpr int64_t kMaxNeuronsPerBatch = int64_t{1} << 20;
inline constexpr int64_t kMaxTraceValuesPerBatch = int64_t{1} << 24;

// Splits a round of n_samples samples, each simulated against n_traces
// traces, into batches of consecutive samples in the order they should be
// handed out.
//
// A small round (at most two batches of kMinNeuronsPerBatch per core) is
// split evenly, one batch per core of the pool (or per sample, if there are
// fewer): workers run a batch per core at once, so each core gets one, and it
// is bound by the latency of the messages, where a second batch per core
// would add a round trip.
//
// A larger round is cut by guided self-scheduling: each batch is a
// 1/(2 * cores) share of what is left, never smaller than
// kMinNeuronsPerBatch neurons. The dispatcher gives a batch to whichever
// worker has room, so a faster worker (more cores, a quieter machine) takes
// more of the round, and the shrinking batches at the end let the workers
// finish together instead of one waiting for the other's last large batch.
//
// Either way no batch has more than kMaxNeuronsPerBatch neurons or
// kMaxTraceValuesPerBatch values of the traces its neurons keep
// (trace_values_per_neuron each: steps times trace outputs for a trace
// fitter, none for an online or spike fitter), unless one sample alone has
// more.
std::vector<BatchPlan> PlanBatches(int n_samples, int n_traces,
                                   int64_t trace_values_per_neuron,
                                   dispatch::PoolSize pool);

}  // namespace cellfit::fitting

#endif  // CELLFIT_SERVER_FITTING_BATCH_PLAN_H_
