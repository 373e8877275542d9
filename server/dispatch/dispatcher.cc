#include "server/dispatch/dispatcher.h"

#include <sched.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "glog/logging.h"

namespace cellfit::dispatch {

Dispatcher::Dispatcher(DispatcherOptions options) : options_(options) {}
Dispatcher::~Dispatcher() = default;

void Dispatcher::AddWorker(const std::string& worker_id, uint32_t cores,
                           bool has_compiler,
                           std::shared_ptr<WorkerChannel> channel, int core) {
  auto sender = std::make_shared<WorkerSender>(std::move(channel));
  std::shared_ptr<WorkerSender> replaced;
  std::vector<std::string> flush;
  {
    absl::MutexLock lock(&mu_);
    Worker& worker = workers_[worker_id];
    replaced = std::move(worker.sender);
    worker = Worker();
    worker.sender = std::move(sender);
    worker.cores = std::max<uint32_t>(1, cores);
    worker.has_compiler = has_compiler;
    worker.core = core;
    // A reconnected worker may have been fixed (a cache made writable): it
    // gets another chance at the jobs it failed.
    for (auto& [job_id, job] : jobs_) job.excluded.erase(worker_id);
    flush = Schedule();
  }
  // Destroyed outside the lock: it waits for a write in progress.
  replaced.reset();
  Flush(flush);
}

void Dispatcher::RemoveWorker(const std::string& worker_id) {
  std::vector<std::string> flush;
  std::shared_ptr<WorkerSender> removed;
  {
    absl::MutexLock lock(&mu_);
    auto it = workers_.find(worker_id);
    if (it == workers_.end()) return;
    // Unfinished batches go back to the front of their job's queue, in order.
    std::vector<uint64_t> lost(it->second.in_flight.rbegin(),
                               it->second.in_flight.rend());
    std::vector<std::pair<std::shared_ptr<Run>, uint64_t>> doomed;
    for (uint64_t batch_id : lost) {
      auto flight = in_flight_.find(batch_id);
      if (flight == in_flight_.end()) continue;
      PendingBatch batch = std::move(flight->second.batch);
      in_flight_.erase(flight);
      if (++batch.losses >= options_.max_batch_losses) {
        doomed.emplace_back(batch.run, batch_id);
        continue;
      }
      auto job = jobs_.find(batch.batch.job_id());
      if (job != jobs_.end()) job->second.pending.push_front(std::move(batch));
    }
    for (const auto& [run, batch_id] : doomed) {
      LOG(WARNING) << "batch " << batch_id << " was lost with "
                   << options_.max_batch_losses
                   << " workers; failing its round";
      FailRun(run, absl::UnavailableError(absl::StrCat(
                       "a batch of this request was lost with ",
                       options_.max_batch_losses,
                       " workers in a row (each left while running it, the "
                       "last one ",
                       worker_id,
                       "): it may be too large for them or make them crash; "
                       "see the workers' logs")));
    }
    if (!lost.empty()) {
      LOG(WARNING) << "worker " << worker_id << " left with " << lost.size()
                   << " unfinished batches; sending them to other workers";
    }
    removed = std::move(it->second.sender);
    workers_.erase(it);
    // The workers left may all be ones that failed a job.
    std::vector<std::pair<std::string, absl::Status>> failed;
    for (const auto& [job_id, job] : jobs_) {
      if (absl::Status status = NoWorkerCanRun(job_id); !status.ok()) {
        failed.emplace_back(job_id, std::move(status));
      }
    }
    for (const auto& [job_id, status] : failed) FailJob(job_id, status);
    flush = Schedule();
  }
  removed.reset();  // outside the lock: it waits for a write in progress
  Flush(flush);
}

void Dispatcher::OnJobReady(const std::string& worker_id,
                            const v1::JobReady& ready) {
  if (ready.ok()) return;
  std::vector<std::string> flush;
  {
    absl::MutexLock lock(&mu_);
    if (ready.worker_local()) {
      ExcludeWorker(worker_id, ready.job_id(), ready.error());
      flush = Schedule();
      flush.push_back(worker_id);
    } else {
      // Any worker would fail the same way (a compile error, a model the
      // worker's version rejects): fail its runs rather than try them all.
      FailJob(ready.job_id(), absl::FailedPreconditionError(absl::StrCat(
                                  "worker ", worker_id,
                                  " cannot run the job: ", ready.error())));
    }
  }
  Flush(flush);
}

void Dispatcher::OnBatchResult(const std::string& worker_id,
                               v1::BatchResult result) {
  std::vector<std::string> flush;
  {
    absl::MutexLock lock(&mu_);
    auto flight = in_flight_.find(result.batch_id());
    if (flight == in_flight_.end() || flight->second.worker_id != worker_id) {
      // A lost worker's late answer, a duplicate, or a batch that an idle
      // worker took over: accepted from the worker that has it now.
      VLOG(1) << "ignoring result of batch " << result.batch_id() << " from "
              << worker_id;
      return;
    }
    PendingBatch batch = std::move(flight->second.batch);
    in_flight_.erase(flight);
    if (auto worker = workers_.find(worker_id); worker != workers_.end()) {
      std::erase(worker->second.in_flight, result.batch_id());
    }
    const std::string job_id = batch.batch.job_id();
    if (auto job = jobs_.find(job_id);
        !result.ok() && result.worker_local() && job != jobs_.end()) {
      // The worker's failure, not the batch's: another worker runs it.
      job->second.pending.push_front(std::move(batch));
      ExcludeWorker(worker_id, job_id, result.error());
      flush = Schedule();
      flush.push_back(worker_id);
    } else {
      Run& run = *batch.run;
      if (!result.ok()) {
        if (run.status.ok()) {
          run.status = absl::InvalidArgumentError(result.error());
        }
      } else {
        run.results[batch.index] = std::move(result);
      }
      if (run.remaining > 0) --run.remaining;
      flush = Schedule();
    }
  }
  Flush(flush);
}

void Dispatcher::AddJob(std::shared_ptr<const v1::JobData> job) {
  absl::MutexLock lock(&mu_);
  Job& entry = jobs_[job->job_id()];
  entry.needs_compiler = job->backend() == v1::BACKEND_STANDALONE;
  entry.data = std::move(job);
}

void Dispatcher::RemoveJob(const std::string& job_id) {
  std::vector<std::string> flush;
  {
    absl::MutexLock lock(&mu_);
    FailJob(job_id, absl::CancelledError("the job was removed"));
    jobs_.erase(job_id);
    for (auto& [id, worker] : workers_) {
      if (worker.jobs_sent.erase(job_id) > 0) {
        v1::ServerMessage message;
        message.mutable_release()->set_job_id(job_id);
        worker.outbox.push_back(std::move(message));
        flush.push_back(id);
      }
    }
  }
  Flush(flush);
}

void Dispatcher::FailJob(const std::string& job_id,
                         const absl::Status& status) {
  auto job = jobs_.find(job_id);
  if (job == jobs_.end()) return;
  for (PendingBatch& batch : job->second.pending) {
    if (batch.run->status.ok()) batch.run->status = status;
    batch.run->remaining = 0;
  }
  job->second.pending.clear();
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (it->second.batch.batch.job_id() != job_id) {
      ++it;
      continue;
    }
    Run& run = *it->second.batch.run;
    if (run.status.ok()) run.status = status;
    run.remaining = 0;
    if (auto worker = workers_.find(it->second.worker_id);
        worker != workers_.end()) {
      std::erase(worker->second.in_flight, it->first);
    }
    it = in_flight_.erase(it);
  }
}

void Dispatcher::FailRun(const std::shared_ptr<Run>& run,
                         const absl::Status& status) {
  if (run->status.ok()) run->status = status;
  run->remaining = 0;
  for (auto& [job_id, job] : jobs_) {
    std::erase_if(job.pending,
                  [&](const PendingBatch& b) { return b.run == run; });
  }
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (it->second.batch.run != run) {
      ++it;
      continue;
    }
    if (auto worker = workers_.find(it->second.worker_id);
        worker != workers_.end()) {
      std::erase(worker->second.in_flight, it->first);
    }
    it = in_flight_.erase(it);
  }
}

bool Dispatcher::CanRun(const std::string& worker_id, const Worker& worker,
                        const Job& job) {
  return (!job.needs_compiler || worker.has_compiler) &&
         !job.excluded.contains(worker_id);
}

void Dispatcher::ExcludeWorker(const std::string& worker_id,
                               const std::string& job_id,
                               const std::string& error) {
  auto job = jobs_.find(job_id);
  if (job == jobs_.end()) return;
  // The first reason is kept: it is the cause (the job data that could not
  // be prepared), the batch failures that follow only its consequence.
  if (job->second.excluded.emplace(worker_id, error).second) {
    LOG(WARNING) << "worker " << worker_id << " cannot run job " << job_id
                 << " (" << error << "); its batches go to other workers";
  }
  if (auto it = workers_.find(worker_id); it != workers_.end()) {
    Worker& worker = it->second;
    std::vector<uint64_t> taken;
    for (uint64_t batch_id : worker.in_flight) {
      auto flight = in_flight_.find(batch_id);
      if (flight != in_flight_.end() &&
          flight->second.batch.batch.job_id() == job_id) {
        taken.push_back(batch_id);
      }
    }
    // Back to the front of the queue, keeping their order.
    for (auto id = taken.rbegin(); id != taken.rend(); ++id) {
      auto flight = in_flight_.find(*id);
      job->second.pending.push_front(std::move(flight->second.batch));
      in_flight_.erase(flight);
    }
    std::erase_if(worker.in_flight, [&taken](uint64_t id) {
      return std::find(taken.begin(), taken.end(), id) != taken.end();
    });
    // Unsent ones never leave; sent ones are revoked (their answers would be
    // ignored anyway, but the worker need not run them).
    for (uint64_t batch_id : taken) {
      auto unsent = std::find_if(worker.outbox.begin(), worker.outbox.end(),
                                 [batch_id](const v1::ServerMessage& m) {
                                   return m.has_batch() &&
                                          m.batch().batch_id() == batch_id;
                                 });
      if (unsent != worker.outbox.end()) {
        worker.outbox.erase(unsent);
        continue;
      }
      v1::ServerMessage revoke;
      revoke.mutable_revoke()->set_job_id(job_id);
      revoke.mutable_revoke()->set_batch_id(batch_id);
      worker.outbox.push_back(std::move(revoke));
    }
    if (worker.jobs_sent.erase(job_id) > 0) {
      v1::ServerMessage release;
      release.mutable_release()->set_job_id(job_id);
      worker.outbox.push_back(std::move(release));
    }
  }
  if (absl::Status status = NoWorkerCanRun(job_id); !status.ok()) {
    FailJob(job_id, status);
  }
}

absl::Status Dispatcher::NoWorkerCanRun(const std::string& job_id) const {
  auto job = jobs_.find(job_id);
  if (job == jobs_.end() || job->second.excluded.empty() || workers_.empty()) {
    return absl::OkStatus();
  }
  for (const auto& [id, worker] : workers_) {
    if (CanRun(id, worker, job->second)) return absl::OkStatus();
  }
  std::vector<std::string> reasons;
  for (const auto& [id, error] : job->second.excluded) {
    reasons.push_back(absl::StrCat("worker ", id, ": ", error));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "no connected worker can run the job: ", absl::StrJoin(reasons, "; ")));
}

std::vector<std::string> Dispatcher::Schedule() {
  std::set<std::string> touched;
  bool progress = true;
  while (progress) {
    progress = false;
    for (auto& [worker_id, worker] : workers_) {
      if (worker.in_flight.size() >=
          worker.cores + static_cast<size_t>(options_.waiting_per_worker)) {
        continue;
      }
      // The next job after the cursor that has work this worker can do.
      auto start = jobs_.upper_bound(next_job_);
      Job* chosen = nullptr;
      for (size_t k = 0; k < jobs_.size() && chosen == nullptr; ++k) {
        if (start == jobs_.end()) start = jobs_.begin();
        Job& job = start->second;
        if (!job.pending.empty() && CanRun(worker_id, worker, job)) {
          chosen = &job;
          next_job_ = start->first;
        }
        ++start;
      }
      if (chosen == nullptr) continue;
      PendingBatch batch = std::move(chosen->pending.front());
      chosen->pending.pop_front();
      Send(worker_id, worker, *chosen, batch.batch);
      const uint64_t batch_id = batch.batch.batch_id();
      in_flight_[batch_id] = InFlight{std::move(batch), worker_id};
      touched.insert(worker_id);
      progress = true;
    }
  }
  StealWaitingBatches(touched);
  // The worker on this thread's core can only start once this thread waits,
  // and if woken first it may take the core from the thread before the
  // others' batches are sent; so it is sent to last.
  std::vector<std::string> order(touched.begin(), touched.end());
  if (const int here = sched_getcpu(); here >= 0) {
    std::stable_partition(
        order.begin(), order.end(),
        [&](const std::string& id) { return workers_.at(id).core != here; });
  }
  return order;
}

void Dispatcher::Send(const std::string& worker_id, Worker& worker,
                      const Job& job, const v1::Batch& batch) {
  if (worker.jobs_sent.insert(job.data->job_id()).second) {
    v1::ServerMessage message;
    *message.mutable_job() = *job.data;
    worker.outbox.push_back(std::move(message));
  }
  v1::ServerMessage message;
  *message.mutable_batch() = batch;
  worker.outbox.push_back(std::move(message));
  worker.in_flight.push_back(batch.batch_id());
}

void Dispatcher::StealWaitingBatches(std::set<std::string>& touched) {
  for (auto& [thief_id, thief] : workers_) {
    if (!thief.in_flight.empty()) continue;
    // The largest batch waiting behind another worker's running ones, of a
    // job this worker already holds: one that would first have to receive
    // (and for the standalone backend, compile) the job is better left
    // where it is.
    Worker* victim = nullptr;
    const std::string* victim_id = nullptr;
    InFlight* taken = nullptr;
    const Job* taken_job = nullptr;
    for (auto& [id, worker] : workers_) {
      if (worker.in_flight.size() <= worker.cores) continue;
      InFlight& flight = in_flight_.at(worker.in_flight.back());
      auto job = jobs_.find(flight.batch.batch.job_id());
      if (job == jobs_.end() || !thief.jobs_sent.contains(job->first) ||
          !CanRun(thief_id, thief, job->second)) {
        continue;
      }
      if (taken == nullptr ||
          flight.batch.batch.n_samples() > taken->batch.batch.n_samples()) {
        victim = &worker;
        victim_id = &id;
        taken = &flight;
        taken_job = &job->second;
      }
    }
    if (taken == nullptr) continue;
    const uint64_t batch_id = victim->in_flight.back();
    victim->in_flight.pop_back();
    // Still in the victim's outbox: never sent, so nothing to revoke.
    auto unsent =
        std::find_if(victim->outbox.begin(), victim->outbox.end(),
                     [batch_id](const v1::ServerMessage& m) {
                       return m.has_batch() && m.batch().batch_id() == batch_id;
                     });
    if (unsent != victim->outbox.end()) {
      victim->outbox.erase(unsent);
    } else {
      v1::ServerMessage revoke;
      revoke.mutable_revoke()->set_job_id(taken->batch.batch.job_id());
      revoke.mutable_revoke()->set_batch_id(batch_id);
      victim->outbox.push_back(std::move(revoke));
      touched.insert(*victim_id);
    }
    VLOG(1) << "worker " << thief_id << " takes over batch " << batch_id
            << " from " << *victim_id;
    taken->worker_id = thief_id;
    Send(thief_id, thief, *taken_job, taken->batch.batch);
    touched.insert(thief_id);
  }
}

void Dispatcher::Flush(const std::vector<std::string>& worker_ids) {
  for (const std::string& id : worker_ids) {
    std::shared_ptr<absl::Mutex> send_mu;
    std::shared_ptr<WorkerSender> sender;
    {
      absl::MutexLock lock(&mu_);
      auto it = workers_.find(id);
      if (it == workers_.end()) continue;
      send_mu = it->second.send_mu;
      sender = it->second.sender;
    }
    // Messages leave in outbox order: whoever holds send_mu drains it.
    absl::MutexLock send_lock(send_mu.get());
    while (true) {
      v1::ServerMessage message;
      {
        absl::MutexLock lock(&mu_);
        auto it = workers_.find(id);
        if (it == workers_.end() || it->second.outbox.empty()) break;
        message = std::move(it->second.outbox.front());
        it->second.outbox.pop_front();
      }
      if (!sender->Send(std::move(message))) {
        // The stream ended; the registry will report the worker gone and its
        // batches will be sent again.
        break;
      }
    }
  }
}

absl::StatusOr<std::vector<v1::BatchResult>> Dispatcher::RunBatches(
    const std::string& job_id, std::vector<v1::Batch> batches,
    const CancelledFn& cancelled) {
  auto run = std::make_shared<Run>();
  run->results.resize(batches.size());
  run->remaining = batches.size();
  std::vector<std::string> flush;
  {
    absl::MutexLock lock(&mu_);
    auto job = jobs_.find(job_id);
    if (job == jobs_.end()) {
      return absl::NotFoundError(absl::StrCat("no job ", job_id));
    }
    // Every connected worker already failed it: waiting would never end.
    if (absl::Status status = NoWorkerCanRun(job_id); !status.ok()) {
      return status;
    }
    for (size_t k = 0; k < batches.size(); ++k) {
      batches[k].set_job_id(job_id);
      batches[k].set_batch_id(next_batch_id_++);
      job->second.pending.push_back(
          PendingBatch{std::move(batches[k]), run, k});
    }
    flush = Schedule();
  }
  Flush(flush);
  absl::MutexLock lock(&mu_);
  auto done = [&run]() { return run->remaining == 0; };
  while (
      !mu_.AwaitWithTimeout(absl::Condition(&done), absl::Milliseconds(200))) {
    if (cancelled && cancelled()) {
      // Drop what has not started; answers of running batches are ignored.
      FailRun(run, absl::CancelledError("cancelled"));
      return absl::CancelledError("cancelled");
    }
  }
  if (!run->status.ok()) return run->status;
  return std::move(run->results);
}

PoolSize Dispatcher::PoolFor(const std::string& job_id) const {
  absl::MutexLock lock(&mu_);
  auto job = jobs_.find(job_id);
  PoolSize pool;
  for (const auto& [id, worker] : workers_) {
    if (job != jobs_.end() && !CanRun(id, worker, job->second)) continue;
    ++pool.workers;
    pool.cores += static_cast<int>(worker.cores);
  }
  return pool;
}

}  // namespace cellfit::dispatch
