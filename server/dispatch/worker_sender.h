// One worker's outgoing messages, written in order on a thread of their own.
// A sync-API write blocks until the transport is done with it: a large job
// sent to a worker over a slow link, or a worker that stopped reading, would
// otherwise hold up whichever thread was scheduling (a fit's round, another
// worker's stream reader) and with it every other worker's batches.
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

  // Queues `message` behind the ones queued before it. After the channel
  // reports the stream ended, messages are dropped: the worker is gone and
  // the dispatcher sends its batches elsewhere.
  void Enqueue(v1::ServerMessage message);

 private:
  void Loop();

  const std::shared_ptr<WorkerChannel> channel_;
  absl::Mutex mu_;
  std::deque<v1::ServerMessage> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool stream_ended_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace cellfit::dispatch

#endif  // CELLFIT_SERVER_DISPATCH_WORKER_SENDER_H_
