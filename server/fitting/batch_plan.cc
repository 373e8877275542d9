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
                                   dispatch::PoolSize pool) {
  if (n_samples <= 0) return {};
  const int workers = std::max(1, pool.workers);
  const int cores = std::max(workers, pool.cores);
  const int min_samples =
      std::max(1, CeilDiv(kMinNeuronsPerBatch, std::max(1, n_traces)));
  if (n_samples <= 2 * cores * min_samples) {
    return EvenSplit(n_samples, std::min(cores, n_samples));
  }
  std::vector<BatchPlan> plan;
  int first = 0;
  while (first < n_samples) {
    const int left = n_samples - first;
    int size = std::max(min_samples, CeilDiv(left, 2 * cores));
    // A remainder too small for a batch of its own joins the last one.
    if (left - size < min_samples) size = left;
    plan.push_back({first, size});
    first += size;
  }
  return plan;
}

}  // namespace cellfit::fitting
