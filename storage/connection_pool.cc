#include "storage/connection_pool.h"

#include <utility>

#include "glog/logging.h"

namespace cellfit::storage {

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      connection_(std::move(other.connection_)) {}

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr && connection_ != nullptr) {
    pool_->Release(std::move(connection_));
  }
}

ConnectionPool::ConnectionPool(std::string path, ConnectionOptions options,
                               int max_connections)
    : path_(std::move(path)),
      options_(options),
      max_connections_(max_connections < 1 ? 1 : max_connections) {}

ConnectionPool::~ConnectionPool() {
  absl::MutexLock lock(&mu_);
  CHECK_EQ(static_cast<int>(idle_.size()), open_)
      << "connection pool of '" << path_
      << "' destroyed with leased connections";
}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    auto available = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < max_connections_;
    };
    mu_.Await(absl::Condition(&available));
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(connection));
    }
    ++open_;  // reserve the slot, then open outside the lock
  }
  absl::StatusOr<std::unique_ptr<Connection>> connection =
      Connection::Open(path_, options_);
  if (!connection.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
    return connection.status();
  }
  return Lease(this, std::move(*connection));
}

void ConnectionPool::Release(std::unique_ptr<Connection> connection) {
  // A connection must come back clean: a transaction left open would pin an
  // old snapshot and keep the WAL from being checkpointed.
  if (connection->in_transaction()) {
    LOG(WARNING) << "reader connection to '" << path_
                 << "' returned inside a transaction; rolling back";
    if (absl::Status status = connection->Exec("ROLLBACK"); !status.ok()) {
      LOG(ERROR) << "dropping a reader connection: " << status;
      absl::MutexLock lock(&mu_);
      --open_;
      return;
    }
  }
  absl::MutexLock lock(&mu_);
  idle_.push_back(std::move(connection));
}

int ConnectionPool::open_connections() const {
  absl::MutexLock lock(&mu_);
  return open_;
}

}  // namespace cellfit::storage
