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

// Runs the batches of the jobs the server sends. The worker prepares and
// releases jobs from one thread, in stream order, never while a batch of the
// job runs; it runs up to `--threads` batches at once, each with the number of
// threads it is given, so RunBatch must be safe to call concurrently (with
// itself, and with PrepareJob and ReleaseJob of other jobs).
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
      const cellfit::v1::Batch& batch, int threads) = 0;

  // Forgets a job; the server sends no more batches for it.
  virtual void ReleaseJob(std::string_view job_id) = 0;
};

}  // namespace cellfit::worker

#endif  // CELLFIT_WORKER_BATCH_RUNNER_H_
