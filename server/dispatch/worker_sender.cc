#include "server/dispatch/worker_sender.h"

#include <utility>

namespace cellfit::dispatch {

WorkerSender::WorkerSender(std::shared_ptr<WorkerChannel> channel)
    : channel_(std::move(channel)), thread_([this] { Loop(); }) {}

WorkerSender::~WorkerSender() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

bool WorkerSender::Send(v1::ServerMessage message) {
  mu_.Lock();
  if (stream_ended_ || stop_) {
    mu_.Unlock();
    return false;
  }
  if (!queue_.empty() || message.has_job()) {
    queue_.push_back(std::move(message));
    mu_.Unlock();
    return true;
  }
  write_mu_.Lock();
  mu_.Unlock();
  const bool ok = channel_->Send(message);
  write_mu_.Unlock();
  if (!ok) MarkEnded();
  return ok;
}

void WorkerSender::MarkEnded() {
  absl::MutexLock lock(&mu_);
  stream_ended_ = true;  // the thread drops what is queued
}

void WorkerSender::Loop() {
  for (;;) {
    mu_.Lock();
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stop_ || !queue_.empty();
    };
    mu_.Await(absl::Condition(&ready));
    if (stop_) {
      mu_.Unlock();
      return;
    }
    if (stream_ended_) {
      queue_.clear();
      mu_.Unlock();
      continue;
    }
    // Only this thread pops or clears, and push_back keeps references valid.
    const v1::ServerMessage& message = queue_.front();
    write_mu_.Lock();
    mu_.Unlock();
    const bool ok = channel_->Send(message);
    write_mu_.Unlock();
    absl::MutexLock lock(&mu_);
    queue_.pop_front();
    if (!ok) stream_ended_ = true;
  }
}

}  // namespace cellfit::dispatch
