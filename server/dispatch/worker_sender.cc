#include "server/dispatch/worker_sender.h"

#include <utility>

namespace cellfit::dispatch {

WorkerSender::WorkerSender(std::shared_ptr<WorkerChannel> channel)
    : channel_(std::move(channel)), thread_([this] { Loop(); }) {}

WorkerSender::~WorkerSender() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    queue_.clear();
  }
  thread_.join();
}

void WorkerSender::Enqueue(v1::ServerMessage message) {
  absl::MutexLock lock(&mu_);
  if (stream_ended_ || stop_) return;
  queue_.push_back(std::move(message));
}

void WorkerSender::Loop() {
  for (;;) {
    v1::ServerMessage message;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stop_) return;
      message = std::move(queue_.front());
      queue_.pop_front();
    }
    if (!channel_->Send(message)) {
      absl::MutexLock lock(&mu_);
      stream_ended_ = true;
      queue_.clear();
    }
  }
}

}  // namespace cellfit::dispatch
