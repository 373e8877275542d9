#include "worker/simulation_batch_runner.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "worker/standalone/standalone_backend.h"

namespace cellfit::worker {

SimulationBatchRunner::SimulationBatchRunner(
    int threads, bool has_compiler, standalone::CompilerOptions compiler) {
  options_.threads = std::max(1, threads);
  if (has_compiler) {
    options_.backend_factory =
        [compiler](const model::StepProgram& program,
                   v1::Backend backend) -> absl::StatusOr<jobs::SimulateFn> {
      if (backend != v1::BACKEND_STANDALONE)
        return jobs::SimulateFn(runtime::RunBatch);
      auto runner = standalone::MakeStandaloneRunner(program, compiler);
      if (!runner.ok()) return runner.status();
      return jobs::SimulateFn(std::move(*runner));
    };
  }
}

absl::Status SimulationBatchRunner::PrepareJob(const v1::JobData& job) {
  auto prepared = jobs::Job::Prepare(job, options_);
  if (!prepared.ok()) return prepared.status();
  absl::MutexLock lock(&mu_);
  jobs_[job.job_id()] = std::move(*prepared);
  return absl::OkStatus();
}

absl::StatusOr<v1::BatchResult> SimulationBatchRunner::RunBatch(
    const v1::Batch& batch, int threads) {
  std::shared_ptr<const jobs::Job> job;
  {
    absl::MutexLock lock(&mu_);
    auto it = jobs_.find(batch.job_id());
    if (it != jobs_.end()) job = it->second;
  }
  if (job == nullptr) {
    // This worker's problem (it failed to prepare the job), not the batch's.
    return absl::UnavailableError(absl::StrCat(
        "job ", batch.job_id(), " is not prepared on this worker"));
  }
  const auto start = std::chrono::steady_clock::now();
  auto result = job->Run(batch, std::clamp(threads, 1, options_.threads));
  if (result.ok()) {
    result->set_seconds(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  return result;
}

void SimulationBatchRunner::ReleaseJob(std::string_view job_id) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(job_id);
  if (it != jobs_.end()) jobs_.erase(it);
}

}  // namespace cellfit::worker
