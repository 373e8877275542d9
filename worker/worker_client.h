// The worker side of the WorkerPool protocol: one bidirectional stream to the
// server, kept open for the life of the process. The worker registers, sends
// heartbeats from a thread of their own (so a long batch never looks like a
// dead worker), runs jobs and batches with a BatchRunner on executor threads
// (one of which keeps reading the stream while batches run), and reconnects
// with exponential backoff whenever it loses the server.
#ifndef CELLFIT_WORKER_WORKER_CLIENT_H_
#define CELLFIT_WORKER_WORKER_CLIENT_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cellfit/v1/worker.grpc.pb.h"
#include "worker/batch_runner.h"

namespace cellfit::worker {

struct WorkerOptions {
  std::string server;    // HOST:PORT of the cellfit-server
  std::string token;     // sent as `authorization: Bearer <token>`; empty: none
  unsigned threads = 1;  // the cores this worker offers (Register.cores)
  bool has_compiler = false;
  absl::Duration initial_backoff = absl::Milliseconds(250);
  absl::Duration max_backoff = absl::Seconds(30);
  // How long Stop() waits for the server to acknowledge the end of the stream
  // before cancelling it.
  absl::Duration stop_grace = absl::Seconds(5);
  int max_message_bytes = 256 << 20;
};

class WorkerClient {
 public:
  WorkerClient(WorkerOptions options, std::unique_ptr<BatchRunner> runner);
  ~WorkerClient();
  WorkerClient(const WorkerClient&) = delete;
  WorkerClient& operator=(const WorkerClient&) = delete;

  // Serves the server until it sends Shutdown or Stop() is called (both OK),
  // reconnecting with backoff after every loss. Returns an error only when
  // the server refuses the worker (a bad token, a malformed registration):
  // retrying could not help.
  absl::Status Run();

  // Makes Run() return: ends the current stream politely (the server sees the
  // worker leave rather than vanish) and wakes a backoff wait. Thread-safe;
  // returns once the stream has ended, or after `stop_grace` has cancelled it.
  void Stop();

  // The id the server gave at the last registration; empty before the first.
  std::string worker_id() const;

 private:
  class Session;
  class Executor;
  enum class SessionEnd { kShutdown, kStopped, kRejected, kLost };

  // One stream from connect to end. `registered`: whether the server
  // accepted the worker on it.
  SessionEnd RunSession(cellfit::v1::WorkerPool::Stub& stub,
                        absl::Status* status, bool* registered);
  bool stopping() const;

  const WorkerOptions options_;
  const std::unique_ptr<BatchRunner> runner_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<Session> active_ ABSL_GUARDED_BY(mu_);
  std::string worker_id_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cellfit::worker

#endif  // CELLFIT_WORKER_WORKER_CLIENT_H_
