#include "server/dispatch_events.h"

#include <utility>

#include "glog/logging.h"
#include "server/local_workers.h"

namespace cellfit::server {
namespace {

// A worker's stream as the dispatcher sees it.
class StreamChannel final : public dispatch::WorkerChannel {
 public:
  explicit StreamChannel(std::shared_ptr<WorkerConnection> connection)
      : connection_(std::move(connection)) {}
  bool Send(const cellfit::v1::ServerMessage& message) override {
    return connection_->Send(message);
  }

 private:
  std::shared_ptr<WorkerConnection> connection_;
};

}  // namespace

void DispatchEvents::OnWorkerRegistered(
    const std::string& worker_id, const WorkerInfo& info,
    std::shared_ptr<WorkerConnection> connection) {
  dispatcher_->AddWorker(
      worker_id, info.cores, info.has_compiler,
      std::make_shared<StreamChannel>(std::move(connection)),
      info.local ? BoundCore(static_cast<pid_t>(info.pid)) : -1);
}

void DispatchEvents::OnJobReady(const std::string& worker_id,
                                const cellfit::v1::JobReady& ready) {
  if (!ready.ok()) {
    LOG(WARNING) << "worker " << worker_id << " cannot run job "
                 << ready.job_id() << ": " << ready.error();
  }
  dispatcher_->OnJobReady(worker_id, ready);
}

void DispatchEvents::OnBatchResult(const std::string& worker_id,
                                   cellfit::v1::BatchResult result) {
  dispatcher_->OnBatchResult(worker_id, std::move(result));
}

void DispatchEvents::OnWorkerGone(const std::string& worker_id) {
  dispatcher_->RemoveWorker(worker_id);
}

}  // namespace cellfit::server
