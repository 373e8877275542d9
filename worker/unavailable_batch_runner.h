// The BatchRunner of a worker built before the simulation backends: it
// refuses every job with a message that says so, so that a server that
// dispatches a job learns at once why it cannot run here (instead of waiting
// for results that never come).
#ifndef CELLFIT_WORKER_UNAVAILABLE_BATCH_RUNNER_H_
#define CELLFIT_WORKER_UNAVAILABLE_BATCH_RUNNER_H_

#include <string>
#include <string_view>

#include "worker/batch_runner.h"

namespace cellfit::worker {

class UnavailableBatchRunner final : public BatchRunner {
 public:
  // `reason` is the text every refusal carries.
  explicit UnavailableBatchRunner(std::string reason);

  absl::Status PrepareJob(const cellfit::v1::JobData& job) override;
  absl::StatusOr<cellfit::v1::BatchResult> RunBatch(
      const cellfit::v1::Batch& batch, int threads) override;
  void ReleaseJob(std::string_view job_id) override {}

 private:
  const std::string reason_;
};

// The reason this build's worker gives for every job.
inline constexpr std::string_view kSimulationNotBuilt =
    "this cellfit-worker cannot simulate yet: the simulation backends are "
    "not built into the worker process";

}  // namespace cellfit::worker

#endif  // CELLFIT_WORKER_UNAVAILABLE_BATCH_RUNNER_H_
