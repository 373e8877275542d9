#include "worker/unavailable_batch_runner.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace cellfit::worker {

UnavailableBatchRunner::UnavailableBatchRunner(std::string reason)
    : reason_(std::move(reason)) {}

absl::Status UnavailableBatchRunner::PrepareJob(
    const cellfit::v1::JobData& job) {
  return absl::UnimplementedError(
      absl::StrCat("job ", job.job_id(), ": ", reason_));
}

absl::StatusOr<cellfit::v1::BatchResult> UnavailableBatchRunner::RunBatch(
    const cellfit::v1::Batch& batch, int /*threads*/) {
  return absl::UnimplementedError(absl::StrCat(
      "job ", batch.job_id(), " batch ", batch.batch_id(), ": ", reason_));
}

}  // namespace cellfit::worker
