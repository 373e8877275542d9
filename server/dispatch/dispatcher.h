// Sends batches of neurons to the connected workers and collects their
// results. Each worker receives a job's data once (before its first batch of
// that job, on the same ordered stream), then batches; a worker that
// disappears has its unfinished batches sent again to another, and every
// batch's result is accepted exactly once (late answers from a lost worker are
// ignored). Jobs with pending batches take turns for free worker slots, so a
// large fit cannot starve a small one. A worker runs a batch per core and
// holds one more, so it never waits for the server in between; when a worker
// falls idle with nothing pending, it takes over a batch waiting at a busier
// worker, so a slow or loaded worker cannot hold the end of a round back by
// more than the batches it is running. A worker that reports a failure of its
// own (JobReady or BatchResult with worker_local) is excluded from that job
// and its batches go to the others; the job fails only when no connected
// worker is left to run it. A failure any worker would hit fails it at once.
#ifndef CELLFIT_SERVER_DISPATCH_DISPATCHER_H_
#define CELLFIT_SERVER_DISPATCH_DISPATCHER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cellfit/v1/worker.pb.h"
#include "server/dispatch/pool_size.h"
#include "server/dispatch/worker_sender.h"

namespace cellfit::dispatch {

struct DispatcherOptions {
  // Batches a worker may hold beyond one per core (it runs that many at
  // once): queued, so that it never waits for the server between batches.
  int waiting_per_worker = 1;
  // A batch lost with this many workers (each left while running it) fails
  // its run: it may be what makes them leave (an answer over the message
  // limit, a crash), and sending it on would go on without end.
  int max_batch_losses = 3;
};

// Progress of one RunBatches call, for callers that report it.
using CancelledFn = std::function<bool()>;

class Dispatcher {
 public:
  explicit Dispatcher(DispatcherOptions options = {});
  ~Dispatcher();

  // ---- workers (from the WorkerPool service) ----
  // `core`: the core of this machine a local worker is bound to, or -1.
  void AddWorker(const std::string& worker_id, uint32_t cores,
                 bool has_compiler, std::shared_ptr<WorkerChannel> channel,
                 int core = -1);
  // Its unfinished batches go back to the front of their queues.
  void RemoveWorker(const std::string& worker_id);
  void OnJobReady(const std::string& worker_id, const v1::JobReady& ready);
  void OnBatchResult(const std::string& worker_id, v1::BatchResult result);

  // ---- jobs ----
  // Registers a job's data; workers get it when they first need it.
  void AddJob(std::shared_ptr<const v1::JobData> job);
  // Forgets a job and tells the workers that hold it (ReleaseJob).
  void RemoveJob(const std::string& job_id);

  // Runs `batches` of a registered job (job_id and batch_id are filled in)
  // and returns their results in the same order. Blocks until every batch is
  // answered, a worker reports that the job or a batch failed (that error),
  // or `cancelled` returns true (CANCELLED; checked a few times a second).
  absl::StatusOr<std::vector<v1::BatchResult>> RunBatches(
      const std::string& job_id, std::vector<v1::Batch> batches,
      const CancelledFn& cancelled = nullptr);

  // The connected workers that can run the job (a standalone job needs a
  // compiler) and their cores; an unknown job counts every worker.
  PoolSize PoolFor(const std::string& job_id) const;

 private:
  struct Run {
    std::vector<v1::BatchResult> results;
    size_t remaining = 0;
    absl::Status status;
  };
  struct PendingBatch {
    v1::Batch batch;
    std::shared_ptr<Run> run;
    size_t index = 0;
    int losses = 0;  // workers that left while running it
  };
  struct Job {
    std::shared_ptr<const v1::JobData> data;
    bool needs_compiler = false;
    std::deque<PendingBatch> pending;
    // Workers that failed the job for a reason of their own, and why: they
    // are sent none of its batches (until they reconnect).
    std::map<std::string, std::string> excluded;
  };
  struct InFlight {
    PendingBatch batch;
    std::string worker_id;
  };
  struct Worker {
    // Shared so that a removed worker's sender is destroyed (which waits for
    // its write in progress) outside the dispatcher's lock.
    std::shared_ptr<WorkerSender> sender;
    uint32_t cores = 0;
    bool has_compiler = false;
    int core = -1;  // the core a local worker is bound to
    std::set<std::string> jobs_sent;
    // Batches sent and not answered, in the order sent: the worker runs the
    // first `cores`, the others wait behind them.
    std::vector<uint64_t> in_flight;
    // Messages in the order they must reach the worker; handed to the sender
    // outside the dispatcher's lock (a write may block) under `send_mu`.
    std::deque<v1::ServerMessage> outbox;
    std::shared_ptr<absl::Mutex> send_mu = std::make_shared<absl::Mutex>();
  };

  // Assigns pending batches to free worker slots, then lets idle workers
  // take over batches waiting at busy ones; returns the workers whose
  // outboxes got messages, a worker bound to the calling thread's core last.
  std::vector<std::string> Schedule() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StealWaitingBatches(std::set<std::string>& touched)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues the batch (and the job's data, first time) for the worker.
  void Send(const std::string& worker_id, Worker& worker, const Job& job,
            const v1::Batch& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Flush(const std::vector<std::string>& worker_ids)
      ABSL_LOCKS_EXCLUDED(mu_);
  void FailJob(const std::string& job_id, const absl::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends one RunBatches call with `status`: its batches still queued or
  // running are dropped (the answers of running ones are ignored).
  void FailRun(const std::shared_ptr<Run>& run, const absl::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether the worker may be sent the job's batches.
  static bool CanRun(const std::string& worker_id, const Worker& worker,
                     const Job& job);
  // Takes the job away from a worker that failed it for a reason of its own:
  // its batches of the job go back to the front of the queue, and the job
  // fails when no connected worker can run it any more.
  void ExcludeWorker(const std::string& worker_id, const std::string& job_id,
                     const std::string& error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // FAILED_PRECONDITION with every exclusion's reason when workers are
  // connected and none of them can run the job; OK otherwise (also when no
  // worker is connected: one may join).
  absl::Status NoWorkerCanRun(const std::string& job_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const DispatcherOptions options_;
  mutable absl::Mutex mu_;
  std::map<std::string, Worker> workers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Job> jobs_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, InFlight> in_flight_ ABSL_GUARDED_BY(mu_);
  std::string next_job_ ABSL_GUARDED_BY(mu_);  // round-robin cursor
  uint64_t next_batch_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace cellfit::dispatch

#endif  // CELLFIT_SERVER_DISPATCH_DISPATCHER_H_
