#include "server/fitting/in_process_worker.h"

#include <chrono>

namespace cellfit::fitting {

InProcessWorker::InProcessWorker(dispatch::Dispatcher* dispatcher,
                                 std::string id, double slowdown)
    : dispatcher_(dispatcher),
      id_(std::move(id)),
      slowdown_(slowdown),
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
  if (message.has_revoke()) {
    std::erase_if(inbox_, [&](const v1::ServerMessage& m) {
      return m.has_batch() &&
             m.batch().batch_id() == message.revoke().batch_id();
    });
    return true;
  }
  inbox_.push_back(message);
  return true;
}

int InProcessWorker::batches_run() const {
  absl::MutexLock lock(&mu_);
  return batches_run_;
}

int InProcessWorker::samples_run() const {
  absl::MutexLock lock(&mu_);
  return samples_run_;
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
        const auto started = std::chrono::steady_clock::now();
        auto run = job->second->Run(message.batch());
        if (slowdown_ > 1) {
          std::this_thread::sleep_for(
              (std::chrono::steady_clock::now() - started) * (slowdown_ - 1));
        }
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
        samples_run_ += static_cast<int>(message.batch().n_samples());
      }
      dispatcher_->OnBatchResult(id_, std::move(result));
    }
  }
}

}  // namespace cellfit::fitting
