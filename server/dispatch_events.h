// Connects the WorkerPool streams to the dispatcher: registered workers
// become dispatch targets, their answers reach the dispatcher, and a worker
// whose stream ends has its unfinished batches sent elsewhere.
#ifndef CELLFIT_SERVER_DISPATCH_EVENTS_H_
#define CELLFIT_SERVER_DISPATCH_EVENTS_H_

#include <memory>
#include <string>

#include "server/dispatch/dispatcher.h"
#include "server/worker_pool_service.h"

namespace cellfit::server {

class DispatchEvents final : public WorkerEvents {
 public:
  explicit DispatchEvents(dispatch::Dispatcher* dispatcher)
      : dispatcher_(dispatcher) {}

  void OnWorkerRegistered(
      const std::string& worker_id, const WorkerInfo& info,
      std::shared_ptr<WorkerConnection> connection) override;
  void OnJobReady(const std::string& worker_id,
                  const cellfit::v1::JobReady& ready) override;
  void OnBatchResult(const std::string& worker_id,
                     cellfit::v1::BatchResult result) override;
  void OnWorkerGone(const std::string& worker_id) override;

 private:
  dispatch::Dispatcher* const dispatcher_;
};

}  // namespace cellfit::server

#endif  // CELLFIT_SERVER_DISPATCH_EVENTS_H_
