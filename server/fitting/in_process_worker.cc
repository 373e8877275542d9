#include "server/fitting/in_process_worker.h"

namespace cellfit::fitting {

InProcessWorker::InProcessWorker(dispatch::Dispatcher* dispatcher,
                                 std::string id)
    : dispatcher_(dispatcher),
      id_(std::move(id)),
      thread_([this] { Loop(); }) {}

InProcessWorker::~InProcessWorker() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

bool InProcessWorker::Send(const v1::ServerMessage& message) {
  absl::MutexLock lock(&mu_);
  inbox_.push_back(message);
  return true;
}

int InProcessWorker::batches_run() const {
  absl::MutexLock lock(&mu_);
  return batches_run_;
}

void InProcessWorker::Loop() {
  while (true) {
    v1::ServerMessage message;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() { return stop_ || !inbox_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (stop_) return;
      message = std::move(inbox_.front());
      inbox_.pop_front();
    }
    if (message.has_job()) {
      auto job = jobs::Job::Prepare(message.job(), {});
      if (!job.ok()) {
        v1::JobReady ready;
        ready.set_job_id(message.job().job_id());
        ready.set_error(std::string(job.status().message()));
        dispatcher_->OnJobReady(id_, ready);
      } else {
        jobs_[message.job().job_id()] = std::move(*job);
      }
    } else if (message.has_release()) {
      jobs_.erase(message.release().job_id());
    } else if (message.has_batch()) {
      v1::BatchResult result;
      auto job = jobs_.find(message.batch().job_id());
      if (job == jobs_.end()) {
        result.set_error("unknown job");
      } else {
        auto run = job->second->Run(message.batch());
        if (run.ok()) {
          result = std::move(*run);
        } else {
          result.set_error(std::string(run.status().message()));
        }
      }
      result.set_job_id(message.batch().job_id());
      result.set_batch_id(message.batch().batch_id());
      {
        absl::MutexLock lock(&mu_);
        ++batches_run_;
      }
      dispatcher_->OnBatchResult(id_, std::move(result));
    }
  }
}

}  // namespace cellfit::fitting
