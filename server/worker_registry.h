// The workers connected to this server: one entry per WorkerPool.Connect
// stream, from the moment the stream opens (so that a caller that never
// registers is noticed too) until it ends. A monitor thread drops any worker
// whose heartbeats stop (a hung process, a network that silently lost its
// packets); a broken stream ends its entry at once.
//
// Later issues send jobs and batches through `Send` and learn of results via
// the stream's own reader (worker_pool_service.cc); the registry itself only
// knows who is there and how to reach them.
#ifndef CELLFIT_SERVER_WORKER_REGISTRY_H_
#define CELLFIT_SERVER_WORKER_REGISTRY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cellfit/v1/fitting.pb.h"
#include "cellfit/v1/worker.pb.h"

namespace cellfit::server {

// The server's end of one worker's stream.
class WorkerConnection {
 public:
  virtual ~WorkerConnection() = default;
  // Writes a message; false once the stream has ended.
  virtual bool Send(const cellfit::v1::ServerMessage& message) = 0;
  // Ends the stream from the server's side (the reader's loop then ends).
  virtual void Cancel() = 0;
};

// What a worker told the server about itself, plus what the server knows.
struct WorkerInfo {
  std::string host;
  uint32_t cores = 0;
  std::string version;
  bool has_compiler = false;
  uint64_t pid = 0;
  bool local = false;  // one of this server's own child processes
  std::string peer;    // the transport address (set by the registry)
};

struct WorkerRegistryOptions {
  // How often workers are asked to send a heartbeat (Registered).
  absl::Duration heartbeat_interval = absl::Seconds(2);
  // A registered worker silent for this long is dropped.
  absl::Duration heartbeat_timeout = absl::Seconds(10);
  // A stream that has not registered within this time is dropped.
  absl::Duration register_timeout = absl::Seconds(10);
};

class WorkerRegistry {
 public:
  using Key = uint64_t;  // one per stream, never reused

  explicit WorkerRegistry(WorkerRegistryOptions options = {});
  ~WorkerRegistry();  // stops the monitor
  WorkerRegistry(const WorkerRegistry&) = delete;
  WorkerRegistry& operator=(const WorkerRegistry&) = delete;

  const WorkerRegistryOptions& options() const { return options_; }

  // A new stream from `peer` (the transport address, for logs). UNAVAILABLE
  // once shutdown began.
  absl::StatusOr<Key> Open(std::shared_ptr<WorkerConnection> connection,
                           std::string peer);
  // The stream's worker registered: validates `info` and returns the id it
  // is known by: `requested_id` when given and free (a worker reconnecting
  // keeps its id), else a new one.
  absl::StatusOr<std::string> Register(Key key, WorkerInfo info,
                                       std::string_view requested_id);
  // A heartbeat (or any message) arrived on the stream.
  void Touch(Key key, std::optional<uint32_t> running_batches = std::nullopt);
  // The stream ended; `reason` goes to the log.
  void Close(Key key, std::string_view reason);

  // Registered workers, by id.
  std::vector<cellfit::v1::WorkerStatus> Snapshot() const;
  size_t registered_count() const;

  // A local worker process exited: end its stream if it is still open (the
  // kernel usually closed it already).
  void DropLocalPid(uint64_t pid);

  // Stops admitting streams; asks local workers to shut down (Shutdown
  // message) and ends remote workers' streams (they reconnect to the next
  // server on this address). Returns at once.
  void BeginShutdown(std::string_view reason);
  // Waits until every stream has ended or `deadline` passed; true if empty.
  bool WaitUntilEmpty(absl::Time deadline);

 private:
  struct Entry {
    std::shared_ptr<WorkerConnection> connection;
    absl::Time opened;
    absl::Time last_seen;
    bool registered = false;
    std::string id;
    WorkerInfo info;
    uint32_t running_batches = 0;
  };

  void MonitorLoop();
  bool IdInUse(std::string_view id) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const WorkerRegistryOptions options_;
  mutable absl::Mutex mu_;
  std::map<Key, Entry> entries_ ABSL_GUARDED_BY(mu_);
  Key next_key_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_monitor_ ABSL_GUARDED_BY(mu_) = false;
  std::thread monitor_;
};

}  // namespace cellfit::server

#endif  // CELLFIT_SERVER_WORKER_REGISTRY_H_
