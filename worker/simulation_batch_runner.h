// The worker's BatchRunner: jobs prepared with the model language and the
// chosen backend (the runtime interpreter, or the standalone backend's
// compiled code from the shared compile cache), batches evaluated with the
// metrics or recorded for generate.
#ifndef CELLFIT_WORKER_SIMULATION_BATCH_RUNNER_H_
#define CELLFIT_WORKER_SIMULATION_BATCH_RUNNER_H_

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "worker/batch_runner.h"
#include "worker/jobs/job.h"
#include "worker/standalone/compile_cache.h"

namespace cellfit::worker {

class SimulationBatchRunner final : public BatchRunner {
 public:
  // `has_compiler` allows the standalone backend (compiled with
  // `compiler`); `threads` is the most a batch is given.
  SimulationBatchRunner(int threads, bool has_compiler,
                        standalone::CompilerOptions compiler = {});

  absl::Status PrepareJob(const v1::JobData& job) override;
  absl::StatusOr<v1::BatchResult> RunBatch(const v1::Batch& batch,
                                           int threads) override;
  void ReleaseJob(std::string_view job_id) override;

 private:
  jobs::JobOptions options_;
  absl::Mutex mu_;
  // Shared with the batches running it: releasing a job does not pull it
  // from under them.
  std::map<std::string, std::shared_ptr<const jobs::Job>, std::less<>> jobs_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace cellfit::worker

#endif  // CELLFIT_WORKER_SIMULATION_BATCH_RUNNER_H_
