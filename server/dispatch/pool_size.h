// The part of the worker pool that can run a given job.
#ifndef CELLFIT_SERVER_DISPATCH_POOL_SIZE_H_
#define CELLFIT_SERVER_DISPATCH_POOL_SIZE_H_

namespace cellfit::dispatch {

struct PoolSize {
  int workers = 0;
  int cores = 0;  // summed over those workers (Register.cores)
};

}  // namespace cellfit::dispatch

#endif  // CELLFIT_SERVER_DISPATCH_POOL_SIZE_H_
