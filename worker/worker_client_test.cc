#include "worker/worker_client.h"

#include <unistd.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "worker/host_info.h"

namespace cellfit::worker {
namespace {

using cellfit::v1::ServerMessage;
using cellfit::v1::WorkerMessage;
using ::testing::HasSubstr;
using Stream = grpc::ServerReaderWriter<ServerMessage, WorkerMessage>;

// A WorkerPool server whose Connect runs a script per stream: the n-th
// connection runs scripts[min(n, last)].
class FakePool final : public cellfit::v1::WorkerPool::Service {
 public:
  using Script = std::function<grpc::Status(grpc::ServerContext*, Stream*)>;

  explicit FakePool(std::vector<Script> scripts)
      : scripts_(std::move(scripts)) {}

  grpc::Status Connect(grpc::ServerContext* context, Stream* stream) override {
    size_t n;
    {
      absl::MutexLock lock(&mu_);
      n = connections_++;
      auto token = context->client_metadata().find("authorization");
      if (token != context->client_metadata().end()) {
        tokens_.emplace_back(token->second.data(), token->second.size());
      }
    }
    return scripts_[std::min(n, scripts_.size() - 1)](context, stream);
  }

  std::vector<std::string> tokens() {
    absl::MutexLock lock(&mu_);
    return tokens_;
  }

 private:
  std::vector<Script> scripts_;
  absl::Mutex mu_;
  size_t connections_ = 0;
  std::vector<std::string> tokens_;
};

class Harness {
 public:
  explicit Harness(std::vector<FakePool::Script> scripts) : pool_(scripts) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&pool_);
    server_ = builder.BuildAndStart();
  }
  ~Harness() { server_->Shutdown(std::chrono::system_clock::now()); }

  WorkerOptions Options() const {
    WorkerOptions options;
    options.server = "127.0.0.1:" + std::to_string(port_);
    options.token = "secret-token";
    options.threads = 3;
    options.has_compiler = true;
    options.initial_backoff = absl::Milliseconds(20);
    options.max_backoff = absl::Milliseconds(100);
    return options;
  }
  FakePool& pool() { return pool_; }

 private:
  FakePool pool_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// Refuses every job and batch, so that the tests see how the worker reports
// a runner's failures to the server.
class RefusingBatchRunner final : public BatchRunner {
 public:
  absl::Status PrepareJob(const cellfit::v1::JobData& job) override {
    return absl::UnimplementedError(
        absl::StrCat("job ", job.job_id(), ": ", kRefusal));
  }
  absl::StatusOr<cellfit::v1::BatchResult> RunBatch(
      const cellfit::v1::Batch& batch, int /*threads*/) override {
    return absl::UnimplementedError(absl::StrCat(
        "job ", batch.job_id(), " batch ", batch.batch_id(), ": ", kRefusal));
  }
  void ReleaseJob(std::string_view /*job_id*/) override {}

  static constexpr char kRefusal[] = "this runner refuses every job";
};

std::unique_ptr<BatchRunner> Refusing() {
  return std::make_unique<RefusingBatchRunner>();
}

ServerMessage Registered(const std::string& id, double heartbeat_seconds) {
  ServerMessage message;
  message.mutable_registered()->set_worker_id(id);
  message.mutable_registered()->set_heartbeat_seconds(heartbeat_seconds);
  return message;
}

ServerMessage JobMessage(const std::string& job_id) {
  ServerMessage message;
  message.mutable_job()->set_job_id(job_id);
  return message;
}

ServerMessage BatchMessage(const std::string& job_id, uint64_t batch_id) {
  ServerMessage message;
  message.mutable_batch()->set_job_id(job_id);
  message.mutable_batch()->set_batch_id(batch_id);
  return message;
}

ServerMessage ShutdownMessage() {
  ServerMessage message;
  message.mutable_shutdown()->set_reason("test over");
  return message;
}

// Reads until a message of `kind` arrives; counts heartbeats on the way.
bool ReadUntil(Stream* stream, WorkerMessage::KindCase kind, WorkerMessage* out,
               int* heartbeats = nullptr) {
  while (stream->Read(out)) {
    if (out->has_heartbeat() && heartbeats != nullptr) ++*heartbeats;
    if (out->kind_case() == kind) return true;
  }
  return false;
}

// The scripted server's opening for the concurrency tests: the worker's
// hello, its registration as w1, job "job" and batches 1, 2 and 3 at once.
bool RegisterAndSendThreeBatches(Stream* stream) {
  WorkerMessage hello;
  if (!stream->Read(&hello)) return false;
  stream->Write(Registered("w1", 10));
  stream->Write(JobMessage("job"));
  for (uint64_t id : {1, 2, 3}) stream->Write(BatchMessage("job", id));
  return true;
}

TEST(WorkerClientTest, RegistersHeartbeatsRefusesJobsAndObeysShutdown) {
  WorkerMessage hello, ready, result;
  int heartbeats = 0;
  bool stream_ended_cleanly = false;
  Harness harness({[&](grpc::ServerContext*, Stream* stream) {
    if (!stream->Read(&hello)) return grpc::Status::CANCELLED;
    stream->Write(Registered("w7", 0.02));
    ServerMessage job;
    job.mutable_job()->set_job_id("job-1");
    stream->Write(job);
    if (!ReadUntil(stream, WorkerMessage::kJobReady, &ready, &heartbeats)) {
      return grpc::Status::CANCELLED;
    }
    ServerMessage batch;
    batch.mutable_batch()->set_job_id("job-1");
    batch.mutable_batch()->set_batch_id(42);
    stream->Write(batch);
    if (!ReadUntil(stream, WorkerMessage::kBatchResult, &result, &heartbeats)) {
      return grpc::Status::CANCELLED;
    }
    // Heartbeats keep coming while nothing else happens.
    WorkerMessage beat;
    for (int i = 0; i < 3; ++i) {
      if (!ReadUntil(stream, WorkerMessage::kHeartbeat, &beat, &heartbeats)) {
        return grpc::Status::CANCELLED;
      }
    }
    ServerMessage shutdown;
    shutdown.mutable_shutdown()->set_reason("test over");
    stream->Write(shutdown);
    WorkerMessage rest;
    while (stream->Read(&rest)) {
    }
    stream_ended_cleanly = true;  // the worker half-closed: Read ended
    return grpc::Status::OK;
  }});

  WorkerClient client(harness.Options(), Refusing());
  EXPECT_TRUE(client.Run().ok());
  EXPECT_EQ(client.worker_id(), "w7");

  ASSERT_TRUE(hello.has_register_());
  EXPECT_EQ(hello.register_().cores(), 3u);
  EXPECT_EQ(hello.register_().pid(), static_cast<uint64_t>(getpid()));
  EXPECT_EQ(hello.register_().host(), HostName());
  EXPECT_EQ(hello.register_().version(), CellfitVersion());
  EXPECT_TRUE(hello.register_().has_compiler());
  EXPECT_EQ(hello.register_().requested_id(), "");

  EXPECT_EQ(ready.job_ready().job_id(), "job-1");
  EXPECT_FALSE(ready.job_ready().ok());
  EXPECT_THAT(ready.job_ready().error(),
              HasSubstr(RefusingBatchRunner::kRefusal));

  EXPECT_EQ(result.batch_result().job_id(), "job-1");
  EXPECT_EQ(result.batch_result().batch_id(), 42u);
  EXPECT_FALSE(result.batch_result().ok());
  EXPECT_THAT(result.batch_result().error(),
              HasSubstr(RefusingBatchRunner::kRefusal));

  EXPECT_GE(heartbeats, 3);
  EXPECT_TRUE(stream_ended_cleanly);
  EXPECT_THAT(harness.pool().tokens(),
              ::testing::ElementsAre("Bearer secret-token"));
}

// Runs batches in order, holding the first until the gate opens.
class GatedRunner : public BatchRunner {
 public:
  absl::Status PrepareJob(const cellfit::v1::JobData&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<cellfit::v1::BatchResult> RunBatch(
      const cellfit::v1::Batch& batch, int /*threads*/) override {
    gate_.WaitForNotification();
    absl::MutexLock lock(&mu_);
    ran_.push_back(batch.batch_id());
    return cellfit::v1::BatchResult();
  }
  void ReleaseJob(std::string_view) override {}

  void Open() { gate_.Notify(); }
  std::vector<uint64_t> ran() {
    absl::MutexLock lock(&mu_);
    return ran_;
  }

 private:
  absl::Notification gate_;
  absl::Mutex mu_;
  std::vector<uint64_t> ran_;
};

// Fails jobs and batches with the status given for their job id.
class FailingRunner : public BatchRunner {
 public:
  explicit FailingRunner(std::map<std::string, absl::Status> failures)
      : failures_(std::move(failures)) {}
  absl::Status PrepareJob(const cellfit::v1::JobData& job) override {
    return failures_.at(job.job_id());
  }
  absl::StatusOr<cellfit::v1::BatchResult> RunBatch(
      const cellfit::v1::Batch& batch, int /*threads*/) override {
    return failures_.at(batch.job_id());
  }
  void ReleaseJob(std::string_view) override {}

 private:
  const std::map<std::string, absl::Status> failures_;
};

// UNAVAILABLE from the BatchRunner (a compile cache this worker cannot
// create) is reported as local to the worker, so that the server tries
// another; any other error (a model that does not compile) as the job's.
TEST(WorkerClientTest, TellsTheServerWhichFailuresAreLocalToTheWorker) {
  WorkerMessage local_ready, job_ready, local_result, job_result;
  Harness harness({[&](grpc::ServerContext*, Stream* stream) {
    WorkerMessage hello;
    if (!stream->Read(&hello)) return grpc::Status::CANCELLED;
    stream->Write(Registered("w1", 10));
    stream->Write(JobMessage("local"));
    if (!ReadUntil(stream, WorkerMessage::kJobReady, &local_ready)) {
      return grpc::Status::CANCELLED;
    }
    stream->Write(BatchMessage("local", 1));
    if (!ReadUntil(stream, WorkerMessage::kBatchResult, &local_result)) {
      return grpc::Status::CANCELLED;
    }
    stream->Write(JobMessage("bad"));
    if (!ReadUntil(stream, WorkerMessage::kJobReady, &job_ready)) {
      return grpc::Status::CANCELLED;
    }
    stream->Write(BatchMessage("bad", 2));
    if (!ReadUntil(stream, WorkerMessage::kBatchResult, &job_result)) {
      return grpc::Status::CANCELLED;
    }
    stream->Write(ShutdownMessage());
    WorkerMessage rest;
    while (stream->Read(&rest)) {
    }
    return grpc::Status::OK;
  }});
  WorkerClient client(
      harness.Options(),
      std::make_unique<FailingRunner>(std::map<std::string, absl::Status>{
          {"local", absl::UnavailableError("cannot create the compile cache")},
          {"bad", absl::InvalidArgumentError("the model does not compile")}}));
  EXPECT_TRUE(client.Run().ok());
  EXPECT_FALSE(local_ready.job_ready().ok());
  EXPECT_TRUE(local_ready.job_ready().worker_local());
  EXPECT_THAT(local_ready.job_ready().error(), HasSubstr("compile cache"));
  EXPECT_FALSE(local_result.batch_result().ok());
  EXPECT_TRUE(local_result.batch_result().worker_local());
  EXPECT_FALSE(job_ready.job_ready().ok());
  EXPECT_FALSE(job_ready.job_ready().worker_local());
  EXPECT_FALSE(job_result.batch_result().ok());
  EXPECT_FALSE(job_result.batch_result().worker_local());
}

// A revoked batch still waiting behind the running one is dropped: never
// run, never answered. The others run in order.
TEST(WorkerClientTest, ARevokedWaitingBatchIsNeverRun) {
  auto runner = std::make_unique<GatedRunner>();
  GatedRunner* gated = runner.get();
  std::vector<uint64_t> answered;
  Harness harness({[&](grpc::ServerContext*, Stream* stream) {
    if (!RegisterAndSendThreeBatches(stream)) return grpc::Status::CANCELLED;
    WorkerMessage message;
    ServerMessage revoke;
    revoke.mutable_revoke()->set_job_id("job");
    revoke.mutable_revoke()->set_batch_id(2);
    stream->Write(revoke);
    // Batch 1 holds the executor; the reader handles the rest meanwhile.
    absl::SleepFor(absl::Milliseconds(200));
    gated->Open();
    while (answered.size() < 2 &&
           ReadUntil(stream, WorkerMessage::kBatchResult, &message)) {
      answered.push_back(message.batch_result().batch_id());
    }
    stream->Write(ShutdownMessage());
    while (stream->Read(&message)) {
      if (message.has_batch_result()) {
        answered.push_back(message.batch_result().batch_id());
      }
    }
    return grpc::Status::OK;
  }});
  WorkerOptions options = harness.Options();
  options.threads = 1;  // one batch at a time: 2 and 3 wait behind 1
  WorkerClient client(options, std::move(runner));
  EXPECT_TRUE(client.Run().ok());
  EXPECT_THAT(gated->ran(), ::testing::ElementsAre(1, 3));
  EXPECT_THAT(answered, ::testing::ElementsAre(1, 3));
}

// On a one-core worker the thread that reads a batch runs it; while that batch
// runs, the other thread takes the reading over, so a Shutdown sent meanwhile
// is heard (the worker half-closes) before the batch ends.
TEST(WorkerClientTest, AOneCoreWorkerHearsShutdownWhileItsBatchRuns) {
  auto runner = std::make_unique<GatedRunner>();
  GatedRunner* gated = runner.get();
  std::once_flag opened;
  auto open = [&] { std::call_once(opened, [&] { gated->Open(); }); };
  bool half_closed_before_the_batch_ended = false;
  Harness harness({[&](grpc::ServerContext*, Stream* stream) {
    if (!RegisterAndSendThreeBatches(stream)) return grpc::Status::CANCELLED;
    stream->Write(ShutdownMessage());
    // Returns when the worker half-closes.
    WorkerMessage message;
    while (stream->Read(&message)) {
    }
    half_closed_before_the_batch_ended = gated->ran().empty();
    open();
    return grpc::Status::OK;
  }});
  // A worker that did not hear the Shutdown would wait for batch 1 forever:
  // end the batch after a while, which then fails the test instead.
  absl::Notification run_returned;
  std::thread deadline([&] {
    run_returned.WaitForNotificationWithTimeout(absl::Seconds(3));
    open();
  });
  WorkerOptions options = harness.Options();
  options.threads = 1;
  WorkerClient client(options, std::move(runner));
  EXPECT_TRUE(client.Run().ok());
  run_returned.Notify();
  deadline.join();
  EXPECT_TRUE(half_closed_before_the_batch_ended);
  const std::vector<uint64_t> ran = gated->ran();
  ASSERT_FALSE(ran.empty());
  EXPECT_EQ(ran.front(), 1u);
}

// Records each batch's thread count and how many batches ran at once; batches
// 1 to 3 each wait (up to 5 s) until all three are running.
class ConcurrencyRunner : public BatchRunner {
 public:
  absl::Status PrepareJob(const cellfit::v1::JobData&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<cellfit::v1::BatchResult> RunBatch(
      const cellfit::v1::Batch& batch, int threads) override {
    absl::MutexLock lock(&mu_);
    threads_[batch.batch_id()] = threads;
    ++running_;
    most_ = std::max(most_, running_);
    auto all_three = [this] { return most_ >= 3; };
    if (batch.batch_id() <= 3) {
      mu_.AwaitWithTimeout(absl::Condition(&all_three), absl::Seconds(5));
    }
    --running_;
    return cellfit::v1::BatchResult();
  }
  void ReleaseJob(std::string_view) override {}

  int most() {
    absl::MutexLock lock(&mu_);
    return most_;
  }
  std::map<uint64_t, int> threads() {
    absl::MutexLock lock(&mu_);
    return threads_;
  }

 private:
  absl::Mutex mu_;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int most_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, int> threads_ ABSL_GUARDED_BY(mu_);
};

// A worker offering 3 cores runs 3 batches at once, one thread each, and a
// batch that arrives alone with all 3 threads.
TEST(WorkerClientTest, RunsABatchPerCoreAtOnce) {
  auto runner = std::make_unique<ConcurrencyRunner>();
  ConcurrencyRunner* counting = runner.get();
  Harness harness({[&](grpc::ServerContext*, Stream* stream) {
    if (!RegisterAndSendThreeBatches(stream)) return grpc::Status::CANCELLED;
    WorkerMessage message;
    for (int k = 0; k < 3; ++k) {
      if (!ReadUntil(stream, WorkerMessage::kBatchResult, &message)) {
        return grpc::Status::CANCELLED;
      }
    }
    stream->Write(BatchMessage("job", 4));
    if (!ReadUntil(stream, WorkerMessage::kBatchResult, &message)) {
      return grpc::Status::CANCELLED;
    }
    stream->Write(ShutdownMessage());
    while (stream->Read(&message)) {
    }
    return grpc::Status::OK;
  }});
  WorkerClient client(harness.Options(), std::move(runner));
  EXPECT_TRUE(client.Run().ok());
  EXPECT_EQ(counting->most(), 3);
  const std::map<uint64_t, int> threads = counting->threads();
  ASSERT_EQ(threads.size(), 4u);
  // The first of 1..3 may have started before the others arrived.
  EXPECT_EQ(threads.at(2), 1);
  EXPECT_EQ(threads.at(3), 1);
  EXPECT_EQ(threads.at(4), 3);
}

TEST(WorkerClientTest, StopEndsTheStreamPolitely) {
  absl::Notification registered;
  bool half_closed = false;
  Harness harness({[&](grpc::ServerContext* context, Stream* stream) {
    WorkerMessage message;
    if (!stream->Read(&message)) return grpc::Status::CANCELLED;
    stream->Write(Registered("w1", 1));
    registered.Notify();
    while (stream->Read(&message)) {
    }
    half_closed = !context->IsCancelled();
    return grpc::Status::OK;
  }});

  WorkerClient client(harness.Options(), Refusing());
  absl::Status run_status = absl::UnknownError("not run");
  std::thread runner([&] { run_status = client.Run(); });
  ASSERT_TRUE(registered.WaitForNotificationWithTimeout(absl::Seconds(30)));
  client.Stop();
  runner.join();
  EXPECT_TRUE(run_status.ok()) << run_status;
  EXPECT_TRUE(half_closed);
}

TEST(WorkerClientTest, ARejectedTokenEndsRun) {
  Harness harness({[](grpc::ServerContext*, Stream*) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "unknown token");
  }});
  WorkerClient client(harness.Options(), Refusing());
  absl::Status status = client.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(status.message(), HasSubstr("unknown token"));
}

TEST(WorkerClientTest, ReconnectsAfterALossAndAsksForItsOldId) {
  WorkerMessage second_hello;
  Harness harness({[](grpc::ServerContext*, Stream* stream) {
                     WorkerMessage message;
                     stream->Read(&message);
                     stream->Write(Registered("w3", 1));
                     return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                         "server going away");
                   },
                   [&](grpc::ServerContext*, Stream* stream) {
                     if (!stream->Read(&second_hello))
                       return grpc::Status::CANCELLED;
                     stream->Write(Registered("w3", 1));
                     ServerMessage shutdown;
                     shutdown.mutable_shutdown()->set_reason("done");
                     stream->Write(shutdown);
                     WorkerMessage rest;
                     while (stream->Read(&rest)) {
                     }
                     return grpc::Status::OK;
                   }});
  WorkerClient client(harness.Options(), Refusing());
  EXPECT_TRUE(client.Run().ok());
  EXPECT_EQ(second_hello.register_().requested_id(), "w3");
}

TEST(WorkerClientTest, KeepsRetryingAnAbsentServerUntilStopped) {
  // Nothing listens on this port: every attempt fails at once.
  int port;
  {
    Harness harness(
        {[](grpc::ServerContext*, Stream*) { return grpc::Status::OK; }});
    port = std::stoi(harness.Options().server.substr(10));
  }
  WorkerOptions options;
  options.server = "127.0.0.1:" + std::to_string(port);
  options.initial_backoff = absl::Milliseconds(10);
  options.max_backoff = absl::Milliseconds(50);
  WorkerClient client(options, Refusing());
  absl::Status run_status = absl::UnknownError("not run");
  std::thread runner([&] { run_status = client.Run(); });
  absl::SleepFor(absl::Milliseconds(200));  // lets a few attempts fail
  client.Stop();
  runner.join();
  EXPECT_TRUE(run_status.ok()) << run_status;
}

}  // namespace
}  // namespace cellfit::worker
