#include "server/dispatch/dispatcher.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace cellfit::dispatch {
namespace {

// A worker that answers each batch (or, when `silent`, never does) and
// records what it was sent.
class FakeWorker : public WorkerChannel {
 public:
  FakeWorker(Dispatcher* dispatcher, std::string id, bool silent = false)
      : dispatcher_(dispatcher), id_(std::move(id)), silent_(silent) {}

  // Fails as a worker does when something of its own is wrong (a compile
  // cache it cannot create): JobReady and each batch's result carry `error`
  // with worker_local set. `on_prepare`: also when it receives the job data
  // (otherwise it reports the job ready and fails only the batches).
  void FailLocally(std::string error, bool on_prepare) {
    absl::MutexLock lock(&mu_);
    local_error_ = std::move(error);
    fail_prepare_ = on_prepare;
  }

  bool Send(const v1::ServerMessage& message) override {
    absl::MutexLock lock(&mu_);
    log_.push_back(message);
    if (!local_error_.empty() && (message.has_job() || message.has_batch())) {
      // Answered in the order received, as a worker's stream does: its
      // JobReady comes before the failures of the batches behind it.
      auto previous = std::move(last_answer_);
      auto done = std::make_shared<absl::Notification>();
      last_answer_ = done;
      if (message.has_job()) {
        v1::JobReady ready;
        ready.set_job_id(message.job().job_id());
        ready.set_ok(!fail_prepare_);
        if (fail_prepare_) {
          ready.set_error(local_error_);
          ready.set_worker_local(true);
        }
        answers_.push_back(std::thread([this, ready, previous, done] {
          if (previous) previous->WaitForNotification();
          dispatcher_->OnJobReady(id_, ready);
          done->Notify();
        }));
      } else {
        v1::BatchResult result;
        result.set_job_id(message.batch().job_id());
        result.set_batch_id(message.batch().batch_id());
        result.set_ok(false);
        result.set_error(fail_prepare_
                             ? "the job is not prepared on this worker"
                             : local_error_);
        result.set_worker_local(true);
        answers_.push_back(std::thread([this, result, previous, done] {
          if (previous) previous->WaitForNotification();
          dispatcher_->OnBatchResult(id_, result);
          done->Notify();
        }));
      }
      return true;
    }
    if (message.has_batch() && !silent_) {
      // Answer from another thread, as a real stream would.
      v1::BatchResult result;
      result.set_job_id(message.batch().job_id());
      result.set_batch_id(message.batch().batch_id());
      result.set_ok(true);
      result.add_penalties(message.batch().iteration());
      answers_.push_back(std::thread(
          [this, result] { dispatcher_->OnBatchResult(id_, result); }));
    }
    return true;
  }

  std::vector<v1::ServerMessage> log() {
    absl::MutexLock lock(&mu_);
    return log_;
  }

  // Waits for the answers in flight; call it while the dispatcher lives.
  void Join() {
    while (true) {
      std::vector<std::thread> answers;
      {
        absl::MutexLock lock(&mu_);
        answers.swap(answers_);
      }
      if (answers.empty()) return;
      for (auto& t : answers) t.join();
    }
  }

  ~FakeWorker() override { Join(); }

 private:
  Dispatcher* dispatcher_;
  std::string id_;
  bool silent_;
  absl::Mutex mu_;
  std::string local_error_ ABSL_GUARDED_BY(mu_);
  bool fail_prepare_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<absl::Notification> last_answer_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::ServerMessage> log_;
  std::vector<std::thread> answers_;
};

// Ends a test's workers before its dispatcher: the dispatcher forgets them
// and their answer threads finish while it still exists.
void Finish(
    Dispatcher& dispatcher,
    const std::vector<std::pair<std::string, std::shared_ptr<FakeWorker>>>&
        workers) {
  for (const auto& [id, worker] : workers) {
    dispatcher.RemoveWorker(id);
    worker->Join();
  }
}

std::shared_ptr<v1::JobData> Job(const std::string& id,
                                 bool standalone = false) {
  auto job = std::make_shared<v1::JobData>();
  job->set_job_id(id);
  if (standalone) job->set_backend(v1::BACKEND_STANDALONE);
  return job;
}

// The ids of the batches a worker was sent, in order.
std::vector<uint64_t> BatchesSent(FakeWorker& worker) {
  std::vector<uint64_t> ids;
  for (const auto& m : worker.log()) {
    if (m.has_batch()) ids.push_back(m.batch().batch_id());
  }
  return ids;
}

// Waits (up to 5 s) until the worker was sent `n` batches.
void WaitForBatches(FakeWorker& worker, size_t n) {
  for (int k = 0; k < 500 && BatchesSent(worker).size() < n; ++k) {
    absl::SleepFor(absl::Milliseconds(10));
  }
}

std::vector<v1::Batch> Batches(int n) {
  std::vector<v1::Batch> batches(n);
  for (int k = 0; k < n; ++k) batches[k].set_iteration(k);
  return batches;
}

TEST(Dispatcher, SendsJobDataOnceAndReturnsResultsInOrder) {
  Dispatcher dispatcher;
  auto worker = std::make_shared<FakeWorker>(&dispatcher, "w1");
  dispatcher.AddWorker("w1", 2, false, worker);
  dispatcher.AddJob(Job("job"));
  auto results = dispatcher.RunBatches("job", Batches(7));
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 7u);
  for (int k = 0; k < 7; ++k) EXPECT_EQ((*results)[k].penalties(0), k);
  int job_messages = 0, batches = 0;
  for (const auto& m : worker->log()) {
    if (m.has_job()) {
      EXPECT_EQ(batches, 0) << "the job data must precede its batches";
      ++job_messages;
    }
    batches += m.has_batch();
  }
  EXPECT_EQ(job_messages, 1);
  EXPECT_EQ(batches, 7);
  Finish(dispatcher, {{"w1", worker}});
}

// A FakeWorker that also notes, in a log shared with others, when it was sent
// a batch.
class OrderedWorker : public FakeWorker {
 public:
  OrderedWorker(Dispatcher* dispatcher, std::string id, absl::Mutex* mu,
                std::vector<std::string>* order)
      : FakeWorker(dispatcher, id),
        id_(std::move(id)),
        mu_(mu),
        order_(order) {}
  bool Send(const v1::ServerMessage& message) override {
    if (message.has_batch()) {
      absl::MutexLock lock(mu_);
      order_->push_back(id_);
    }
    return FakeWorker::Send(message);
  }

 private:
  std::string id_;
  absl::Mutex* mu_;
  std::vector<std::string>* order_;
};

TEST(Dispatcher, TheWorkerBoundToTheSendersCoreIsSentToLast) {
  // Keep this thread on one core while it sends.
  cpu_set_t before;
  ASSERT_EQ(sched_getaffinity(0, sizeof(before), &before), 0);
  const int here = sched_getcpu();
  ASSERT_GE(here, 0);
  cpu_set_t only_here;
  CPU_ZERO(&only_here);
  CPU_SET(here, &only_here);
  ASSERT_EQ(sched_setaffinity(0, sizeof(only_here), &only_here), 0);

  Dispatcher dispatcher;
  absl::Mutex mu;
  std::vector<std::string> order;
  // Named so that sending in name order would send to "a" first.
  auto a = std::make_shared<OrderedWorker>(&dispatcher, "a", &mu, &order);
  auto b = std::make_shared<OrderedWorker>(&dispatcher, "b", &mu, &order);
  auto c = std::make_shared<OrderedWorker>(&dispatcher, "c", &mu, &order);
  dispatcher.AddWorker("a", 1, false, a, /*core=*/here);
  dispatcher.AddWorker("b", 1, false, b);  // not bound
  dispatcher.AddWorker("c", 1, false, c, /*core=*/here + 1);
  dispatcher.AddJob(Job("job"));
  // The job's data goes out on each worker's sender thread, in no set order;
  // the batches of later rounds are written by the sending thread itself.
  ASSERT_TRUE(dispatcher.RunBatches("job", Batches(3)).ok());
  {
    absl::MutexLock lock(&mu);
    order.clear();
  }
  auto results = dispatcher.RunBatches("job", Batches(3));
  sched_setaffinity(0, sizeof(before), &before);
  ASSERT_TRUE(results.ok()) << results.status();
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(order, (std::vector<std::string>{"b", "c", "a"}));
  }
  Finish(dispatcher, {{"a", a}, {"b", b}, {"c", c}});
}

TEST(Dispatcher, ALostWorkersBatchesGoToAnotherAndCountOnce) {
  Dispatcher dispatcher;
  auto silent =
      std::make_shared<FakeWorker>(&dispatcher, "hung", /*silent=*/true);
  dispatcher.AddWorker("hung", 1, false, silent);
  dispatcher.AddJob(Job("job"));
  absl::StatusOr<std::vector<v1::BatchResult>> results;
  std::thread fit([&] { results = dispatcher.RunBatches("job", Batches(5)); });
  // The silent worker takes its share and never answers; then it is lost.
  absl::SleepFor(absl::Milliseconds(100));
  const auto held = silent->log();
  ASSERT_FALSE(held.empty());
  auto healthy = std::make_shared<FakeWorker>(&dispatcher, "ok");
  dispatcher.RemoveWorker("hung");
  dispatcher.AddWorker("ok", 1, false, healthy);
  fit.join();
  ASSERT_TRUE(results.ok()) << results.status();
  for (int k = 0; k < 5; ++k) EXPECT_EQ((*results)[k].penalties(0), k);
  // A late answer from the lost worker changes nothing.
  for (const auto& m : held) {
    if (!m.has_batch()) continue;
    v1::BatchResult late;
    late.set_batch_id(m.batch().batch_id());
    late.set_ok(false);
    late.set_error("late");
    dispatcher.OnBatchResult("hung", late);
  }
  int batches = 0;
  for (const auto& m : healthy->log()) batches += m.has_batch();
  EXPECT_EQ(batches, 5);
  Finish(dispatcher, {{"ok", healthy}});
  silent->Join();
}

// A batch whose answer is too large for a message breaks each worker's
// stream that runs it; it used to be sent on without end. After the third
// worker lost with it, its round fails, and other batches of the round are
// not sent any more.
TEST(Dispatcher, ABatchLostWithThreeWorkersFailsItsRun) {
  Dispatcher dispatcher;
  dispatcher.AddJob(Job("job"));
  absl::StatusOr<std::vector<v1::BatchResult>> results;
  std::vector<std::shared_ptr<FakeWorker>> lost;
  auto lose_one = [&](int k) {
    const std::string id = absl::StrCat("lost", k);
    lost.push_back(
        std::make_shared<FakeWorker>(&dispatcher, id, /*silent=*/true));
    dispatcher.AddWorker(id, 1, false, lost.back());
    absl::SleepFor(absl::Milliseconds(50));
    dispatcher.RemoveWorker(id);
  };
  // Bounded, so that a regression fails (CANCELLED) instead of hanging.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  std::thread fit([&] {
    results = dispatcher.RunBatches("job", Batches(1),
                                    [&] { return absl::Now() > deadline; });
  });
  for (int k = 0; k < 3; ++k) lose_one(k);
  fit.join();
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(results.status().message().find("lost with 3 workers in a row"),
            std::string::npos)
      << results.status();
  for (const auto& worker : lost) worker->Join();
}

// A worker with nothing to do takes over the batch waiting behind a busy
// worker's running one; the busy worker is told to drop it, and its answer,
// should it have started the batch anyway, is ignored.
TEST(Dispatcher, AnIdleWorkerTakesOverABatchWaitingAtABusyOne) {
  Dispatcher dispatcher;
  auto busy = std::make_shared<FakeWorker>(&dispatcher, "busy",
                                           /*silent=*/true);
  dispatcher.AddWorker("busy", 1, false, busy);
  dispatcher.AddJob(Job("job"));
  absl::StatusOr<std::vector<v1::BatchResult>> results;
  std::thread fit([&] { results = dispatcher.RunBatches("job", Batches(3)); });
  // The busy worker holds batches 0 and 1; batch 2 waits for a free slot.
  WaitForBatches(*busy, 2);
  const std::vector<uint64_t> held = BatchesSent(*busy);
  ASSERT_EQ(held.size(), 2u);
  auto idle = std::make_shared<FakeWorker>(&dispatcher, "idle");
  dispatcher.AddWorker("idle", 1, false, idle);
  // A worker that joins now runs batch 2, then, holding the job, takes over
  // batch 1 from the busy worker.
  WaitForBatches(*idle, 2);
  ASSERT_EQ(BatchesSent(*idle).size(), 2u);
  EXPECT_EQ(BatchesSent(*idle)[1], held[1]);
  int revoked = 0;
  for (const auto& m : busy->log()) {
    if (m.has_revoke()) {
      EXPECT_EQ(m.revoke().batch_id(), held[1]);
      EXPECT_EQ(m.revoke().job_id(), "job");
      ++revoked;
    }
  }
  EXPECT_EQ(revoked, 1);
  // The busy worker had started batch 1 after all: its answer is not taken.
  v1::BatchResult late;
  late.set_batch_id(held[1]);
  late.set_ok(false);
  late.set_error("late");
  dispatcher.OnBatchResult("busy", late);
  // Batch 0, which it was running, is not taken from it while it lives.
  EXPECT_EQ(BatchesSent(*idle).size(), 2u);
  dispatcher.RemoveWorker("busy");
  fit.join();
  ASSERT_TRUE(results.ok()) << results.status();
  for (int k = 0; k < 3; ++k) EXPECT_EQ((*results)[k].penalties(0), k);
  EXPECT_EQ(BatchesSent(*idle).size(), 3u);
  Finish(dispatcher, {{"idle", idle}});
  busy->Join();
}

// A worker runs a batch per core and holds one more; only that one waiting
// batch may be taken over, never one it is running.
TEST(Dispatcher, AWorkerHoldsABatchPerCoreAndOneMore) {
  Dispatcher dispatcher;
  auto big = std::make_shared<FakeWorker>(&dispatcher, "big", /*silent=*/true);
  dispatcher.AddWorker("big", 3, false, big);
  dispatcher.AddJob(Job("job"));
  absl::StatusOr<std::vector<v1::BatchResult>> results;
  std::thread fit([&] { results = dispatcher.RunBatches("job", Batches(6)); });
  WaitForBatches(*big, 4);
  absl::SleepFor(absl::Milliseconds(100));
  const std::vector<uint64_t> held = BatchesSent(*big);
  ASSERT_EQ(held.size(), 4u);
  // A one-core worker takes the two pending batches (one to run, one to
  // hold), answers them, then takes over the big worker's waiting batch.
  auto small = std::make_shared<FakeWorker>(&dispatcher, "small");
  dispatcher.AddWorker("small", 1, false, small);
  WaitForBatches(*small, 3);
  absl::SleepFor(absl::Milliseconds(100));
  const std::vector<uint64_t> taken = BatchesSent(*small);
  ASSERT_EQ(taken.size(), 3u);
  EXPECT_EQ(taken[2], held[3]);
  dispatcher.RemoveWorker("big");
  fit.join();
  ASSERT_TRUE(results.ok()) << results.status();
  for (int k = 0; k < 6; ++k) EXPECT_EQ((*results)[k].penalties(0), k);
  Finish(dispatcher, {{"small", small}});
  big->Join();
}

// Taking over pays only if the idle worker holds the job already: one that
// would first receive (and, for the standalone backend, compile) it leaves the
// waiting batch where it is.
TEST(Dispatcher, ANewWorkerDoesNotTakeOverBatchesOfAJobItLacks) {
  Dispatcher dispatcher;
  auto busy = std::make_shared<FakeWorker>(&dispatcher, "busy",
                                           /*silent=*/true);
  dispatcher.AddWorker("busy", 1, false, busy);
  dispatcher.AddJob(Job("job"));
  absl::StatusOr<std::vector<v1::BatchResult>> results;
  std::thread fit([&] { results = dispatcher.RunBatches("job", Batches(2)); });
  WaitForBatches(*busy, 2);
  ASSERT_EQ(BatchesSent(*busy).size(), 2u);
  auto fresh = std::make_shared<FakeWorker>(&dispatcher, "fresh");
  dispatcher.AddWorker("fresh", 1, false, fresh);
  // Job data and what follows it leave on the worker's sender thread: give
  // them time to arrive, were any sent.
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_TRUE(fresh->log().empty());
  dispatcher.RemoveWorker("busy");
  fit.join();
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(BatchesSent(*fresh).size(), 2u);
  Finish(dispatcher, {{"fresh", fresh}});
  busy->Join();
}

TEST(Dispatcher, JobsTakeTurns) {
  Dispatcher dispatcher(DispatcherOptions{.waiting_per_worker = 0});
  // No worker yet: queue a big job, then a small one.
  dispatcher.AddJob(Job("big"));
  dispatcher.AddJob(Job("small"));
  absl::StatusOr<std::vector<v1::BatchResult>> big, small;
  std::thread a([&] { big = dispatcher.RunBatches("big", Batches(40)); });
  absl::SleepFor(absl::Milliseconds(50));
  std::thread b([&] { small = dispatcher.RunBatches("small", Batches(2)); });
  absl::SleepFor(absl::Milliseconds(50));
  auto worker = std::make_shared<FakeWorker>(&dispatcher, "w");
  dispatcher.AddWorker("w", 1, false, worker);
  a.join();
  b.join();
  ASSERT_TRUE(big.ok() && small.ok());
  // The small job's batches were among the first four sent.
  int position = 0, last_small = -1;
  for (const auto& m : worker->log()) {
    if (!m.has_batch()) continue;
    if (m.batch().job_id() == "small") last_small = position;
    ++position;
  }
  EXPECT_GE(last_small, 0);
  EXPECT_LE(last_small, 3) << "the small job waited behind the big one";
  Finish(dispatcher, {{"w", worker}});
}

TEST(Dispatcher, StandaloneJobsGoOnlyToWorkersWithACompiler) {
  Dispatcher dispatcher;
  auto plain = std::make_shared<FakeWorker>(&dispatcher, "plain");
  auto compiler = std::make_shared<FakeWorker>(&dispatcher, "cc");
  dispatcher.AddWorker("plain", 4, false, plain);
  dispatcher.AddWorker("cc", 1, true, compiler);
  dispatcher.AddJob(Job("sa", /*standalone=*/true));
  dispatcher.AddJob(Job("rt", /*standalone=*/false));
  EXPECT_EQ(dispatcher.PoolFor("sa").workers, 1);
  EXPECT_EQ(dispatcher.PoolFor("sa").cores, 1);
  EXPECT_EQ(dispatcher.PoolFor("rt").workers, 2);
  EXPECT_EQ(dispatcher.PoolFor("rt").cores, 5);
  auto results = dispatcher.RunBatches("sa", Batches(6));
  ASSERT_TRUE(results.ok());
  for (const auto& m : plain->log()) EXPECT_FALSE(m.has_batch());
  Finish(dispatcher, {{"plain", plain}, {"cc", compiler}});
}

TEST(Dispatcher, AJobAWorkerCannotPrepareFailsItsRuns) {
  Dispatcher dispatcher;
  auto silent = std::make_shared<FakeWorker>(&dispatcher, "w", /*silent=*/true);
  dispatcher.AddWorker("w", 1, false, silent);
  dispatcher.AddJob(Job("bad"));
  absl::StatusOr<std::vector<v1::BatchResult>> results;
  std::thread fit([&] { results = dispatcher.RunBatches("bad", Batches(3)); });
  absl::SleepFor(absl::Milliseconds(50));
  v1::JobReady ready;
  ready.set_job_id("bad");
  ready.set_ok(false);
  ready.set_error("compile error: x");
  dispatcher.OnJobReady("w", ready);
  fit.join();
  ASSERT_FALSE(results.ok());
  EXPECT_NE(results.status().message().find("compile error: x"),
            std::string::npos);
  Finish(dispatcher, {{"w", silent}});
}

TEST(Dispatcher, AWorkerThatCannotPrepareAJobIsLeftOutOfIt) {
  Dispatcher dispatcher;
  auto broken = std::make_shared<FakeWorker>(&dispatcher, "w4");
  broken->FailLocally("cannot create the compile cache /proc/.cache",
                      /*on_prepare=*/true);
  auto healthy = std::make_shared<FakeWorker>(&dispatcher, "w1");
  // The broken worker has more cores, so it is sent batches first.
  dispatcher.AddWorker("w4", 4, true, broken);
  dispatcher.AddWorker("w1", 1, true, healthy);
  dispatcher.AddJob(Job("sa", /*standalone=*/true));
  auto results = dispatcher.RunBatches("sa", Batches(8));
  ASSERT_TRUE(results.ok()) << results.status();
  for (int k = 0; k < 8; ++k) EXPECT_EQ((*results)[k].penalties(0), k);
  const auto log = broken->log();
  EXPECT_TRUE(std::any_of(log.begin(), log.end(), [](const auto& m) {
    return m.has_job();
  })) << "the broken worker was never tried";
  EXPECT_EQ(dispatcher.PoolFor("sa").workers, 1);
  // Later rounds go to the healthy worker alone.
  const size_t sent_to_broken = BatchesSent(*broken).size();
  results = dispatcher.RunBatches("sa", Batches(3));
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(BatchesSent(*broken).size(), sent_to_broken);
  Finish(dispatcher, {{"w4", broken}, {"w1", healthy}});
}

TEST(Dispatcher, ABatchAWorkerFailsForItsOwnReasonRunsElsewhere) {
  Dispatcher dispatcher;
  auto broken = std::make_shared<FakeWorker>(&dispatcher, "b");
  broken->FailLocally("cannot load the compiled model", /*on_prepare=*/false);
  auto healthy = std::make_shared<FakeWorker>(&dispatcher, "h");
  dispatcher.AddWorker("b", 2, false, broken);
  dispatcher.AddWorker("h", 1, false, healthy);
  dispatcher.AddJob(Job("job"));
  auto results = dispatcher.RunBatches("job", Batches(5));
  ASSERT_TRUE(results.ok()) << results.status();
  for (int k = 0; k < 5; ++k) EXPECT_EQ((*results)[k].penalties(0), k);
  Finish(dispatcher, {{"b", broken}, {"h", healthy}});
}

TEST(Dispatcher, AJobFailsWhenEveryWorkerFailsItForItsOwnReason) {
  Dispatcher dispatcher;
  auto first = std::make_shared<FakeWorker>(&dispatcher, "w1");
  first->FailLocally("no cache at /a", /*on_prepare=*/true);
  auto second = std::make_shared<FakeWorker>(&dispatcher, "w2");
  second->FailLocally("no cache at /b", /*on_prepare=*/true);
  dispatcher.AddWorker("w1", 1, false, first);
  dispatcher.AddWorker("w2", 1, false, second);
  dispatcher.AddJob(Job("job"));
  auto results = dispatcher.RunBatches("job", Batches(4));
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(results.status().message().find("worker w1: no cache at /a"),
            std::string::npos)
      << results.status();
  EXPECT_NE(results.status().message().find("worker w2: no cache at /b"),
            std::string::npos)
      << results.status();
  // The next round fails at once instead of waiting for a worker.
  results = dispatcher.RunBatches("job", Batches(1));
  EXPECT_EQ(results.status().code(), absl::StatusCode::kFailedPrecondition);
  Finish(dispatcher, {{"w1", first}, {"w2", second}});
}

TEST(Dispatcher, AJobErrorAnyWorkerWouldHitFailsDespiteOtherWorkers) {
  Dispatcher dispatcher;
  auto first = std::make_shared<FakeWorker>(&dispatcher, "w1", /*silent=*/true);
  auto second = std::make_shared<FakeWorker>(&dispatcher, "w2");
  dispatcher.AddWorker("w1", 1, false, first);
  dispatcher.AddWorker("w2", 1, false, second);
  dispatcher.AddJob(Job("bad"));
  absl::StatusOr<std::vector<v1::BatchResult>> results;
  std::thread fit([&] { results = dispatcher.RunBatches("bad", Batches(50)); });
  WaitForBatches(*first, 1);
  v1::JobReady ready;
  ready.set_job_id("bad");
  ready.set_ok(false);
  ready.set_error("compile error: x");
  dispatcher.OnJobReady("w1", ready);
  fit.join();
  ASSERT_FALSE(results.ok());
  EXPECT_NE(results.status().message().find("compile error: x"),
            std::string::npos);
  Finish(dispatcher, {{"w1", first}, {"w2", second}});
}

// A worker whose writes hang until released: the job data crawling over a
// slow link.
class StuckWorker : public WorkerChannel {
 public:
  bool Send(const v1::ServerMessage&) override {
    absl::MutexLock lock(&mu_);
    ++writes_;
    mu_.Await(absl::Condition(&released_));
    return false;  // the stream ended
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }
  int writes() {
    absl::MutexLock lock(&mu_);
    return writes_;
  }

 private:
  absl::Mutex mu_;
  bool released_ = false;
  int writes_ = 0;
};

TEST(Dispatcher, ASlowJobTransferDoesNotHoldUpOtherWorkers) {
  Dispatcher dispatcher;
  auto stuck = std::make_shared<StuckWorker>();
  auto healthy = std::make_shared<FakeWorker>(&dispatcher, "b-ok");
  // Scheduled first: writing its job data in the scheduling thread would
  // block that thread.
  dispatcher.AddWorker("a-stuck", 1, false, stuck);
  dispatcher.AddWorker("b-ok", 1, false, healthy);
  dispatcher.AddJob(Job("job"));
  absl::StatusOr<std::vector<v1::BatchResult>> results;
  std::thread fit([&] { results = dispatcher.RunBatches("job", Batches(4)); });
  // The healthy worker gets its share and answers while the other worker's
  // job data is still on its way.
  for (int k = 0; k < 200; ++k) {
    int batches = 0;
    for (const auto& m : healthy->log()) batches += m.has_batch();
    if (batches >= 2) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  int batches = 0;
  for (const auto& m : healthy->log()) batches += m.has_batch();
  EXPECT_GE(batches, 2);
  EXPECT_EQ(stuck->writes(), 1);  // the job; its batches wait behind it
  // The stuck worker's stream ends; its batches go to the healthy one.
  stuck->Release();
  dispatcher.RemoveWorker("a-stuck");
  fit.join();
  ASSERT_TRUE(results.ok()) << results.status();
  for (int k = 0; k < 4; ++k) EXPECT_EQ((*results)[k].penalties(0), k);
  Finish(dispatcher, {{"b-ok", healthy}});
}

TEST(Dispatcher, CancellingStopsWaiting) {
  Dispatcher dispatcher;
  dispatcher.AddJob(Job("job"));
  std::atomic<bool> cancel{false};
  absl::StatusOr<std::vector<v1::BatchResult>> results;
  std::thread fit([&] {
    results =
        dispatcher.RunBatches("job", Batches(3), [&] { return cancel.load(); });
  });
  absl::SleepFor(absl::Milliseconds(50));
  cancel = true;
  fit.join();
  EXPECT_EQ(results.status().code(), absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace cellfit::dispatch
