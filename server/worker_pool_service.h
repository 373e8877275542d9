// The WorkerPool service: the server's end of each worker's stream. One
// handler thread per stream (gRPC's synchronous API) reads the worker's
// messages; anyone may write to the worker through the registry's
// WorkerConnection.
#ifndef CELLFIT_SERVER_WORKER_POOL_SERVICE_H_
#define CELLFIT_SERVER_WORKER_POOL_SERVICE_H_

#include "cellfit/v1/worker.grpc.pb.h"
#include "server/auth.h"
#include "server/worker_registry.h"

namespace cellfit::server {

// What the rest of the server learns from workers beyond registration and
// heartbeats. Dispatch (a later issue) implements it; until then job and
// batch results have no taker and are logged.
class WorkerEvents {
 public:
  virtual ~WorkerEvents() = default;
  // A worker registered on `connection` (after its Registered reply).
  virtual void OnWorkerRegistered(
      const std::string& worker_id, const WorkerInfo& info,
      std::shared_ptr<WorkerConnection> connection) = 0;
  virtual void OnJobReady(const std::string& worker_id,
                          const cellfit::v1::JobReady& ready) = 0;
  virtual void OnBatchResult(const std::string& worker_id,
                             cellfit::v1::BatchResult result) = 0;
  // The worker's stream ended (after its registry entry is gone).
  virtual void OnWorkerGone(const std::string& worker_id) = 0;
};

class WorkerPoolService final : public cellfit::v1::WorkerPool::Service {
 public:
  // `events` may be null.
  WorkerPoolService(const Authenticator* auth, WorkerRegistry* registry,
                    WorkerEvents* events);

  grpc::Status Connect(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<cellfit::v1::ServerMessage,
                               cellfit::v1::WorkerMessage>* stream) override;

 private:
  const Authenticator* const auth_;
  WorkerRegistry* const registry_;
  WorkerEvents* const events_;
};

}  // namespace cellfit::server

#endif  // CELLFIT_SERVER_WORKER_POOL_SERVICE_H_
