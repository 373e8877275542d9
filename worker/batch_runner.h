// The seam between the worker process (which speaks the WorkerPool protocol)
// and the simulation backends (which turn a job and a batch into errors or
// recorded traces). The process owns the stream, heartbeats and reconnects;
// a BatchRunner owns everything numerical.
#ifndef CELLFIT_WORKER_BATCH_RUNNER_H_
#define CELLFIT_WORKER_BATCH_RUNNER_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cellfit/v1/worker.pb.h"

namespace cellfit::worker {

// Runs the batches of the jobs the server sends. The worker calls it from one
// executor thread, one call at a time, so an implementation needs no locking
// of its own for these calls; it may use as many threads inside a call as the
// worker was given (`--threads`).
class BatchRunner {
 public:
  virtual ~BatchRunner() = default;

  // Prepares a job once (parse and lower the model, compile for the
  // standalone backend, keep inputs and targets). An error is reported to the
  // server as JobReady{ok = false, error = message}: the job is never sent
  // batches by this worker.
  virtual absl::Status PrepareJob(const cellfit::v1::JobData& job) = 0;

  // Runs one batch of a prepared job. The returned result needs only the
  // payload (output_errors, penalties, traces, spikes, seconds): the worker
  // fills job_id, batch_id and ok. An error becomes BatchResult{ok = false}.
  virtual absl::StatusOr<cellfit::v1::BatchResult> RunBatch(
      const cellfit::v1::Batch& batch) = 0;

  // Forgets a job; the server sends no more batches for it.
  virtual void ReleaseJob(std::string_view job_id) = 0;
};

}  // namespace cellfit::worker

#endif  // CELLFIT_WORKER_BATCH_RUNNER_H_
