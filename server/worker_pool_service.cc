#include "server/worker_pool_service.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "server/grpc_status.h"
#include "server/version.h"

namespace cellfit::server {
namespace {

using cellfit::v1::ServerMessage;
using cellfit::v1::WorkerMessage;
using Stream = grpc::ServerReaderWriter<ServerMessage, WorkerMessage>;

// The stream as the registry and dispatch see it. The handler thread reads;
// writers from any thread are serialised (the sync API allows one write at a
// time). Once the handler is about to return, the stream and its context are
// about to be destroyed: Close() waits out writes in flight and makes every
// later Send/Cancel a no-op.
class StreamConnection final : public WorkerConnection {
 public:
  StreamConnection(grpc::ServerContext* context, Stream* stream)
      : context_(context), stream_(stream) {}

  bool Send(const ServerMessage& message) override {
    {
      absl::MutexLock lock(&state_mu_);
      if (closed_) return false;
      ++writers_;
    }
    bool ok;
    {
      absl::MutexLock lock(&write_mu_);
      ok = stream_->Write(message);
    }
    absl::MutexLock lock(&state_mu_);
    --writers_;
    return ok;
  }

  void Cancel() override {
    absl::MutexLock lock(&state_mu_);
    if (!closed_) context_->TryCancel();
  }

  void Close() {
    absl::MutexLock lock(&state_mu_);
    closed_ = true;
    // A write stuck on a peer that stopped reading would never return:
    // cancelling the call releases it.
    if (writers_ > 0) context_->TryCancel();
    auto no_writers = [this]() { return writers_ == 0; };
    state_mu_.Await(absl::Condition(&no_writers));
  }

 private:
  grpc::ServerContext* const context_;
  Stream* const stream_;
  absl::Mutex state_mu_;
  bool closed_ ABSL_GUARDED_BY(state_mu_) = false;
  int writers_ ABSL_GUARDED_BY(state_mu_) = 0;
  absl::Mutex write_mu_;
};

}  // namespace

WorkerPoolService::WorkerPoolService(const Authenticator* auth,
                                     WorkerRegistry* registry,
                                     WorkerEvents* events)
    : auth_(auth), registry_(registry), events_(events) {}

grpc::Status WorkerPoolService::Connect(grpc::ServerContext* context,
                                        Stream* stream) {
  absl::StatusOr<Principal> principal = auth_->AuthenticateWorker(*context);
  if (!principal.ok()) {
    LOG(WARNING) << "refused a worker from " << context->peer() << ": "
                 << principal.status().message();
    return ToGrpcStatus(principal.status());
  }
  auto connection = std::make_shared<StreamConnection>(context, stream);
  absl::StatusOr<WorkerRegistry::Key> key =
      registry_->Open(connection, context->peer());
  if (!key.ok()) return ToGrpcStatus(key.status());

  grpc::Status result = grpc::Status::OK;
  std::string reason = "the worker closed its stream";
  std::string worker_id;
  WorkerMessage message;
  while (stream->Read(&message)) {
    if (worker_id.empty() && !message.has_register_()) {
      result = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                            "the first message on the stream must be Register");
      reason = "it did not start with Register";
      break;
    }
    switch (message.kind_case()) {
      case WorkerMessage::kRegister: {
        const cellfit::v1::Register& reg = message.register_();
        WorkerInfo info;
        info.host = reg.host();
        info.cores = reg.cores();
        info.version = reg.version();
        info.has_compiler = reg.has_compiler();
        info.pid = reg.pid();
        info.local = principal->local_worker;
        absl::StatusOr<std::string> id =
            registry_->Register(*key, std::move(info), reg.requested_id());
        if (!id.ok()) {
          result = ToGrpcStatus(id.status());
          reason =
              absl::StrCat("refused its registration: ", id.status().message());
          break;
        }
        worker_id = *id;
        if (reg.version() != CellfitVersion()) {
          LOG(WARNING) << "worker " << worker_id << " runs cellfit "
                       << reg.version() << ", this server " << CellfitVersion();
        }
        ServerMessage reply;
        reply.mutable_registered()->set_worker_id(worker_id);
        reply.mutable_registered()->set_heartbeat_seconds(
            absl::ToDoubleSeconds(registry_->options().heartbeat_interval));
        connection->Send(reply);
        if (events_ != nullptr) {
          WorkerInfo registered;
          registered.host = reg.host();
          registered.cores = reg.cores();
          registered.version = reg.version();
          registered.has_compiler = reg.has_compiler();
          registered.pid = reg.pid();
          registered.local = principal->local_worker;
          events_->OnWorkerRegistered(worker_id, registered, connection);
        }
        break;
      }
      case WorkerMessage::kHeartbeat:
        registry_->Touch(*key, message.heartbeat().running_batches());
        break;
      case WorkerMessage::kJobReady:
        registry_->Touch(*key);
        if (events_ != nullptr) {
          events_->OnJobReady(worker_id, message.job_ready());
        } else {
          LOG(WARNING) << "worker " << worker_id << " answered job "
                       << message.job_ready().job_id()
                       << " that no one dispatched: "
                       << (message.job_ready().ok()
                               ? "ready"
                               : message.job_ready().error());
        }
        break;
      case WorkerMessage::kBatchResult:
        registry_->Touch(*key);
        if (events_ != nullptr) {
          events_->OnBatchResult(worker_id,
                                 std::move(*message.mutable_batch_result()));
        } else {
          LOG(WARNING) << "worker " << worker_id << " sent a result for batch "
                       << message.batch_result().batch_id()
                       << " that no one dispatched";
        }
        break;
      case WorkerMessage::KIND_NOT_SET:
        registry_->Touch(*key);
        break;
    }
    if (!result.ok()) break;
  }
  if (result.ok() && context->IsCancelled()) {
    reason = "its stream broke or was cancelled";
  }
  connection->Close();
  registry_->Close(*key, reason);
  if (!worker_id.empty() && events_ != nullptr) {
    events_->OnWorkerGone(worker_id);
  }
  return result;
}

}  // namespace cellfit::server
