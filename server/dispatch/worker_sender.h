// One worker's outgoing messages, in order. A sync-API write blocks until the
// transport is done with it. Small messages (batches) are written at once by
// the caller, which costs no thread hand-off on a fit's critical path; a job's
// data, which can be large and slow on a remote link, is written by the
// sender's own thread, and whatever is sent after it queues behind it there,
// so that no caller waits for it.
#ifndef CELLFIT_SERVER_DISPATCH_WORKER_SENDER_H_
#define CELLFIT_SERVER_DISPATCH_WORKER_SENDER_H_

#include <deque>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "cellfit/v1/worker.pb.h"

namespace cellfit::dispatch {

// The server's end of a worker's stream.
class WorkerChannel {
 public:
  virtual ~WorkerChannel() = default;
  // False once the stream has ended.
  virtual bool Send(const v1::ServerMessage& message) = 0;
};

class WorkerSender {
 public:
  explicit WorkerSender(std::shared_ptr<WorkerChannel> channel);
  // Drops what is still queued and waits for a write in progress: the
  // channel must be able to finish or fail it (a closed stream fails at once).
  ~WorkerSender();

  WorkerSender(const WorkerSender&) = delete;
  WorkerSender& operator=(const WorkerSender&) = delete;

  // Sends `message` after the ones sent before it; callers serialise their
  // calls. Writes in the calling thread when nothing is queued and `message`
  // is not a job's data; otherwise queues it for the sender's thread. False
  // once the stream has ended (the message is dropped: the worker is gone
  // and the dispatcher sends its batches elsewhere).
  bool Send(v1::ServerMessage message);

 private:
  void Loop();
  void MarkEnded();

  const std::shared_ptr<WorkerChannel> channel_;
  // Order: mu_ before write_mu_. The writer (a caller or the thread) takes
  // write_mu_ while it still holds mu_, so writes happen in queue order.
  absl::Mutex mu_;
  absl::Mutex write_mu_;
  // Front: the message the thread is writing, popped once it is written, so
  // that later messages queue behind it.
  std::deque<v1::ServerMessage> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool stream_ended_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace cellfit::dispatch

#endif  // CELLFIT_SERVER_DISPATCH_WORKER_SENDER_H_
