#include "server/fitting/batch_plan.h"

#include <algorithm>

namespace cellfit::fitting {
namespace {

int CeilDiv(int a, int b) { return (a + b - 1) / b; }

std::vector<BatchPlan> EvenSplit(int n_samples, int parts) {
  std::vector<BatchPlan> plan;
  int first = 0;
  for (int k = 0; k < parts; ++k) {
    const int size = n_samples / parts + (k < n_samples % parts ? 1 : 0);
    plan.push_back({first, size});
    first += size;
  }
  return plan;
}

}  // namespace

std::vector<BatchPlan> PlanBatches(int n_samples, int n_traces,
                                   int64_t trace_values_per_neuron,
                                   dispatch::PoolSize pool) {
  if (n_samples <= 0) return {};
  const int workers = std::max(1, pool.workers);
  const int cores = std::max(workers, pool.cores);
  const int64_t traces = std::max(1, n_traces);
  const int max_samples = static_cast<int>(std::clamp<int64_t>(
      std::min(kMaxNeuronsPerBatch / traces,
               kMaxTraceValuesPerBatch /
                   (traces * std::max<int64_t>(1, trace_values_per_neuron))),
      1, n_samples));
  const int min_samples = std::min(
      max_samples, std::max(1, CeilDiv(kMinNeuronsPerBatch, n_traces)));
  if (n_samples <= 2 * cores * min_samples) {
    return EvenSplit(n_samples, std::max(std::min(cores, n_samples),
                                         CeilDiv(n_samples, max_samples)));
  }
  std::vector<BatchPlan> plan;
  int first = 0;
  while (first < n_samples) {
    const int left = n_samples - first;
    int size =
        std::min(max_samples, std::max(min_samples, CeilDiv(left, 2 * cores)));
    // A remainder too small for a batch of its own joins the last one.
    if (left - size < min_samples && left <= max_samples) size = left;
    plan.push_back({first, size});
    first += size;
  }
  return plan;
}

}  // namespace cellfit::fitting
