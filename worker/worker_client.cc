#include "worker/worker_client.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "grpcpp/grpcpp.h"
#include "worker/backoff.h"
#include "worker/host_info.h"

namespace cellfit::worker {
namespace {

using cellfit::v1::ServerMessage;
using cellfit::v1::WorkerMessage;

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

// Longer than a small round's batch (1.3-2.5 ms for the HH example's 50
// neurons), short against a large round's. A batch waiting behind one shorter
// than this, and revoked meanwhile, can be read and started before its Revoke:
// it then runs in vain (the server ignores its result).
constexpr absl::Duration kTakeOverReadingAfter = absl::Milliseconds(5);

}  // namespace

// One stream to the server. Writes come from three threads (the reader
// answering Registered, the heartbeat thread, the executor): the sync API
// allows one outstanding write at a time, hence the mutex.
class WorkerClient::Session {
 public:
  using Stream = grpc::ClientReaderWriter<cellfit::v1::WorkerMessage,
                                          cellfit::v1::ServerMessage>;

  Session(grpc::ClientContext* context, Stream* stream)
      : context_(context), stream_(stream) {}

  // False once the stream is broken or half-closed.
  bool Send(const WorkerMessage& message) {
    absl::MutexLock lock(&write_mu_);
    if (half_closed_) return false;
    return stream_->Write(message);
  }

  // Tells the server this worker sends nothing more; the server then ends
  // the call, which ends the reader's loop.
  void HalfClose() {
    absl::MutexLock lock(&write_mu_);
    if (half_closed_) return;
    half_closed_ = true;
    stream_->WritesDone();
  }

  void Cancel() { context_->TryCancel(); }

  // Before Finish: waits out a write or WritesDone still in flight on
  // another thread (Stop's half-close, a heartbeat) and refuses later ones.
  // gRPC forbids Finish while another operation on the stream is running.
  void Seal() {
    absl::MutexLock lock(&write_mu_);
    half_closed_ = true;
  }

  // The heartbeat thread waits here between beats.
  void StartHeartbeats(absl::Duration interval,
                       const std::atomic<int>* running_batches) {
    heartbeat_ = std::thread([this, interval, running_batches] {
      for (;;) {
        {
          absl::MutexLock lock(&heartbeat_mu_);
          heartbeat_mu_.AwaitWithTimeout(absl::Condition(&heartbeat_stop_),
                                         interval);
          if (heartbeat_stop_) return;
        }
        WorkerMessage message;
        message.mutable_heartbeat()->set_running_batches(
            static_cast<uint32_t>(running_batches->load()));
        if (!Send(message)) return;
      }
    });
  }

  void StopHeartbeats() {
    {
      absl::MutexLock lock(&heartbeat_mu_);
      heartbeat_stop_ = true;
    }
    if (heartbeat_.joinable()) heartbeat_.join();
  }

 private:
  grpc::ClientContext* const context_;
  Stream* const stream_;
  absl::Mutex write_mu_;
  bool half_closed_ ABSL_GUARDED_BY(write_mu_) = false;

  absl::Mutex heartbeat_mu_;
  bool heartbeat_stop_ ABSL_GUARDED_BY(heartbeat_mu_) = false;
  std::thread heartbeat_;
};

// Reads the stream and runs what the server sends, in its order. Up to
// `slots` batches run at once, one per core the worker offered (the server
// plans a round as a batch per core); a batch that finds nothing else running
// or waiting gets all the slots' threads to itself (a generate, a small round
// on a worker alone). Jobs are prepared and released with no batch running,
// so a batch never overtakes the job it belongs to.
//
// Reading and running share slots + 1 threads (the session's own among them)
// and one thread at a time reads. On a worker with more than one slot the
// reader only queues, so that batches sent together are all queued when the
// first starts and share the cores, rather than the first taking every
// thread. On a one-slot worker the thread that reads a batch which can start
// runs it at once and reads again after it: handing it to another thread put a
// wake-up on the critical path of every round, and waking a second reader
// beside the batch took CPU from the other workers at the round's start. The
// other thread takes the reading over once a batch has run for
// kTakeOverReadingAfter, so that Shutdown and Revoke are heard during long
// batches.
class WorkerClient::Executor {
 public:
  // The next message for the executor (Job, Batch, Release or Revoke); false
  // once the stream has ended.
  using ReadFn = std::function<bool(ServerMessage*)>;

  Executor(BatchRunner* runner, Session* session, int slots)
      : runner_(runner), session_(session), slots_(std::max(1, slots)) {
    for (int k = 0; k < slots_; ++k) {
      threads_.emplace_back([this] { Loop(/*reading=*/false); });
    }
  }

  ~Executor() {
    {
      absl::MutexLock lock(&mu_);
      // Work still queued belongs to a stream that is gone: the server
      // re-sends a lost worker's batches elsewhere, so dropping them is right.
      queue_.clear();
      stop_ = true;
    }
    for (std::thread& thread : threads_) thread.join();
  }

  // Reads with `read` and runs what it gets, on the calling thread too, until
  // the stream ends; then returns once this thread's current item is done.
  void Serve(ReadFn read) {
    {
      absl::MutexLock lock(&mu_);
      read_ = std::move(read);
    }
    Loop(/*reading=*/true);
  }

  const std::atomic<int>* pending_batches() const { return &pending_batches_; }

 private:
  struct Work {
    ServerMessage message;
    int threads = 1;
  };

  // `reading`: this thread holds the reading role (the session's thread
  // starts with it).
  void Loop(bool reading) {
    mu_.Lock();
    for (;;) {
      if (!reading && !AwaitWork(&reading)) break;
      if (reading) {
        if (!ReadOne()) break;
        if (slots_ > 1 || !CanTakeNext()) continue;
        // Runs what it read and reads again after it, unless the other thread
        // has taken the reading over meanwhile.
        const uint64_t lending = ++lending_;
        lent_ = true;
        lent_since_ = absl::Now();
        RunFront();
        if (lent_ && lending_ == lending) {
          lent_ = false;
        } else {
          reading = false;
        }
        continue;
      }
      RunFront();
    }
    mu_.Unlock();
  }

  // Waits for an item to run (true), the end of the session (false), or the
  // reading role: true with `*reading` set once the reader has been running
  // an item for kTakeOverReadingAfter.
  bool AwaitWork(bool* reading) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (;;) {
      if (stop_) return false;
      if (CanTakeNext()) return true;
      if (lent_ && absl::Now() >= lent_since_ + kTakeOverReadingAfter) {
        lent_ = false;  // the runner finds the reading taken over
        *reading = true;
        return true;
      }
      if (lent_) {
        mu_.AwaitWithDeadline(absl::Condition(this, &Executor::CanTakeOrStop),
                              lent_since_ + kTakeOverReadingAfter);
      } else {
        mu_.Await(absl::Condition(this, &Executor::CanTakeOrStopOrLent));
      }
    }
  }

  void RunFront() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Work work = TakeFront();
    mu_.Unlock();
    Handle(work.message, work.threads);
    mu_.Lock();
    if (!work.message.has_batch()) exclusive_ = false;
  }

  // Reads a message (without holding mu_) and queues it, or applies a
  // Revoke. False once the stream has ended: then nothing more runs.
  bool ReadOne() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ServerMessage message;
    mu_.Unlock();
    const bool ok = read_(&message);
    mu_.Lock();
    if (!ok) {
      queue_.clear();
      stop_ = true;
      return false;
    }
    if (message.has_revoke()) {
      Revoke(message.revoke().batch_id());
    } else {
      if (message.has_batch()) ++pending_batches_;
      queue_.push_back(std::move(message));
    }
    return true;
  }

  // Drops the batch if it still waits in the queue; one that has started
  // runs to its end (the server ignores its result).
  void Revoke(uint64_t batch_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = std::find_if(
        queue_.begin(), queue_.end(), [batch_id](const ServerMessage& m) {
          return m.has_batch() && m.batch().batch_id() == batch_id;
        });
    if (it == queue_.end()) return;
    queue_.erase(it);
    --pending_batches_;
  }

  Work TakeFront() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Work work{std::move(queue_.front())};
    queue_.pop_front();
    if (work.message.has_batch()) {
      const bool alone =
          running_batches_ == 0 &&
          std::none_of(queue_.begin(), queue_.end(),
                       [](const ServerMessage& m) { return m.has_batch(); });
      work.threads = alone ? slots_ : 1;
      ++running_batches_;
    } else {
      exclusive_ = true;
    }
    return work;
  }

  // Before its result leaves: the server may answer it with the next batch
  // at once, and that batch, if alone, must find this one finished to get
  // every thread.
  void FinishBatch() {
    absl::MutexLock lock(&mu_);
    --running_batches_;
    --pending_batches_;
  }

  void Handle(const ServerMessage& message, int threads) {
    switch (message.kind_case()) {
      case ServerMessage::kJob: {
        const auto& job = message.job();
        absl::Time start = absl::Now();
        absl::Status status = runner_->PrepareJob(job);
        WorkerMessage reply;
        auto* ready = reply.mutable_job_ready();
        ready->set_job_id(job.job_id());
        ready->set_ok(status.ok());
        if (!status.ok()) {
          ready->set_error(std::string(status.message()));
          // The BatchRunner's convention: UNAVAILABLE is a failure of this
          // worker (its cache, compiler, state), every other code one that
          // any worker would hit. The server excludes only this worker then.
          ready->set_worker_local(absl::IsUnavailable(status));
          LOG(WARNING) << "cannot prepare job " << job.job_id() << ": "
                       << status.message();
        }
        ready->set_prepare_seconds(absl::ToDoubleSeconds(absl::Now() - start));
        session_->Send(reply);
        break;
      }
      case ServerMessage::kBatch: {
        const auto& batch = message.batch();
        absl::StatusOr<cellfit::v1::BatchResult> result =
            runner_->RunBatch(batch, threads);
        WorkerMessage reply;
        cellfit::v1::BatchResult* out = reply.mutable_batch_result();
        if (result.ok()) *out = *std::move(result);
        out->set_job_id(batch.job_id());
        out->set_batch_id(batch.batch_id());
        out->set_ok(result.ok());
        if (!result.ok()) {
          out->set_error(std::string(result.status().message()));
          out->set_worker_local(absl::IsUnavailable(result.status()));
          VLOG(1) << "batch " << batch.batch_id() << " of job "
                  << batch.job_id() << " failed: " << result.status();
        }
        FinishBatch();
        session_->Send(reply);
        break;
      }
      case ServerMessage::kRelease:
        runner_->ReleaseJob(message.release().job_id());
        break;
      default:
        break;
    }
  }

  // The front of the queue may start: a batch whenever a slot is free and no
  // job is being prepared or released; a job or a release only when nothing
  // else runs.
  bool CanTakeNext() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (queue_.empty() || exclusive_) return false;
    return queue_.front().has_batch() ? running_batches_ < slots_
                                      : running_batches_ == 0;
  }

  bool CanTakeOrStop() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || CanTakeNext();
  }
  bool CanTakeOrStopOrLent() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || CanTakeNext() || lent_;
  }

  BatchRunner* const runner_;
  Session* const session_;
  const int slots_;
  absl::Mutex mu_;
  ReadFn read_ ABSL_GUARDED_BY(mu_);
  std::deque<ServerMessage> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  // The reader is running an item it read (the `lending_`th time, since
  // `lent_since_`); the other thread may take the reading over.
  bool lent_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t lending_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time lent_since_ ABSL_GUARDED_BY(mu_);
  int running_batches_ ABSL_GUARDED_BY(mu_) = 0;
  bool exclusive_ ABSL_GUARDED_BY(mu_) = false;  // a job or release running
  std::atomic<int> pending_batches_{0};
  std::vector<std::thread> threads_;  // last: start after what they use
};

WorkerClient::WorkerClient(WorkerOptions options,
                           std::unique_ptr<BatchRunner> runner)
    : options_(std::move(options)), runner_(std::move(runner)) {}

WorkerClient::~WorkerClient() = default;

std::string WorkerClient::worker_id() const {
  absl::MutexLock lock(&mu_);
  return worker_id_;
}

bool WorkerClient::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void WorkerClient::Stop() {
  std::shared_ptr<Session> session;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    session = active_;
  }
  if (session == nullptr) return;  // Run's backoff wait wakes on stopping_
  session->HalfClose();
  absl::MutexLock lock(&mu_);
  auto session_ended = [this, &session]() { return active_ != session; };
  if (!mu_.AwaitWithTimeout(absl::Condition(&session_ended),
                            options_.stop_grace)) {
    LOG(WARNING) << "the server did not end the stream within "
                 << options_.stop_grace << "; cancelling it";
    session->Cancel();
  }
}

absl::Status WorkerClient::Run() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options_.max_message_bytes);
  args.SetMaxSendMessageSize(options_.max_message_bytes);
  // Reconnect timing is ours (Backoff): keep gRPC's own reconnect attempts
  // from waiting much longer than we would between sessions.
  args.SetInt(
      GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options_.max_backoff)));
  args.SetInt(
      GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options_.initial_backoff)));
  args.SetInt(
      GRPC_ARG_MIN_RECONNECT_BACKOFF_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options_.initial_backoff)));
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
      options_.server, grpc::InsecureChannelCredentials(), args);
  std::unique_ptr<cellfit::v1::WorkerPool::Stub> stub =
      cellfit::v1::WorkerPool::NewStub(channel);

  Backoff backoff(options_.initial_backoff, options_.max_backoff);
  for (;;) {
    absl::Status status;
    bool registered = false;
    SessionEnd end = RunSession(*stub, &status, &registered);
    switch (end) {
      case SessionEnd::kShutdown:
      case SessionEnd::kStopped:
        return absl::OkStatus();
      case SessionEnd::kRejected:
        return status;
      case SessionEnd::kLost:
        break;
    }
    // A session that registered proves the server was there: the next
    // attempt starts the backoff sequence afresh.
    if (registered) backoff.Reset();
    absl::Duration delay = absl::Trunc(backoff.Next(), absl::Milliseconds(1));
    LOG(WARNING) << (registered ? "lost the server at "
                                : "cannot reach the server at ")
                 << options_.server << " (" << status.message()
                 << "); retrying in " << absl::FormatDuration(delay);
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), delay);
    if (stopping_) return absl::OkStatus();
  }
}

WorkerClient::SessionEnd WorkerClient::RunSession(
    cellfit::v1::WorkerPool::Stub& stub, absl::Status* status,
    bool* registered) {
  grpc::ClientContext context;
  if (!options_.token.empty()) {
    context.AddMetadata("authorization", "Bearer " + options_.token);
  }
  std::unique_ptr<Session::Stream> stream = stub.Connect(&context);
  auto session = std::make_shared<Session>(&context, stream.get());
  std::string requested_id;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      context.TryCancel();
      stream->Finish();
      return SessionEnd::kStopped;
    }
    active_ = session;
    requested_id = worker_id_;
  }

  WorkerMessage hello;
  cellfit::v1::Register* reg = hello.mutable_register_();
  reg->set_host(HostName());
  reg->set_cores(options_.threads);
  reg->set_version(std::string(CellfitVersion()));
  reg->set_has_compiler(options_.has_compiler);
  reg->set_pid(static_cast<uint64_t>(getpid()));
  reg->set_requested_id(requested_id);
  session->Send(hello);  // a failure shows as the end of the read loop

  bool shutdown = false;
  {
    Executor executor(runner_.get(), session.get(),
                      static_cast<int>(options_.threads));
    // Runs on whichever executor thread reads: handles the messages that are
    // the session's and hands the rest to the executor.
    auto read = [&](ServerMessage* message) {
      while (stream->Read(message)) {
        switch (message->kind_case()) {
          case ServerMessage::kRegistered: {
            const cellfit::v1::Registered& welcome = message->registered();
            absl::Duration interval =
                welcome.heartbeat_seconds() > 0
                    ? absl::Seconds(welcome.heartbeat_seconds())
                    : absl::Seconds(2);
            {
              absl::MutexLock lock(&mu_);
              worker_id_ = welcome.worker_id();
            }
            *registered = true;
            LOG(INFO) << "registered with " << options_.server << " as "
                      << welcome.worker_id() << " (" << options_.threads
                      << " threads, heartbeat every " << interval << ")";
            session->StartHeartbeats(interval, executor.pending_batches());
            break;
          }
          case ServerMessage::kJob:
          case ServerMessage::kBatch:
          case ServerMessage::kRelease:
          case ServerMessage::kRevoke:
            return true;
          case ServerMessage::kShutdown:
            LOG(INFO) << "the server asks this worker to shut down: "
                      << message->shutdown().reason();
            shutdown = true;
            session->HalfClose();
            break;
          case ServerMessage::KIND_NOT_SET:
            LOG(WARNING) << "ignoring an empty message from the server";
            break;
        }
      }
      return false;
    };
    executor.Serve(read);
    session->StopHeartbeats();
  }  // the executor finishes its current item and drops the rest
  session->Seal();
  grpc::Status finish = stream->Finish();
  *status = FromGrpc(finish);
  bool stopping_now;
  {
    absl::MutexLock lock(&mu_);
    active_ = nullptr;
    stopping_now = stopping_;
  }
  if (shutdown) return SessionEnd::kShutdown;
  if (stopping_now) return SessionEnd::kStopped;
  switch (finish.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::INVALID_ARGUMENT:
      *status = absl::Status(
          status->code(),
          absl::StrCat("the server at ", options_.server,
                       " refused this worker: ", finish.error_message()));
      return SessionEnd::kRejected;
    default:
      if (finish.ok()) {
        *status = absl::UnavailableError("the server ended the stream");
      }
      return SessionEnd::kLost;
  }
}

}  // namespace cellfit::worker
