// A bounded pool of reader connections. In WAL mode readers do not block the
// writer nor each other, but a connection must not be used by two threads at
// once: each reading thread leases its own.
#ifndef CELLFIT_STORAGE_CONNECTION_POOL_H_
#define CELLFIT_STORAGE_CONNECTION_POOL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/connection.h"

namespace cellfit::storage {

class ConnectionPool {
 public:
  // A connection lent out until the lease ends.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();

    Connection* operator->() const { return connection_.get(); }
    Connection& operator*() const { return *connection_; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}

    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  // Connections to `path`, opened on demand, at most `max_connections`.
  ConnectionPool(std::string path, ConnectionOptions options,
                 int max_connections);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;
  // Every lease must have ended.
  ~ConnectionPool();

  // An idle connection, a new one while fewer than the maximum are open, or
  // else waits for one to come back.
  absl::StatusOr<Lease> Acquire();

  // Connections opened so far (idle or leased).
  int open_connections() const;

 private:
  void Release(std::unique_ptr<Connection> connection);

  const std::string path_;
  const ConnectionOptions options_;
  const int max_connections_;

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cellfit::storage

#endif  // CELLFIT_STORAGE_CONNECTION_POOL_H_
