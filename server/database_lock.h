// The one-server-per-database rule: an exclusive advisory lock on a file
// beside the database, held for the life of the server process.
#ifndef CELLFIT_SERVER_DATABASE_LOCK_H_
#define CELLFIT_SERVER_DATABASE_LOCK_H_

#include <string>

#include "absl/status/statusor.h"

namespace cellfit::server {

// An flock(2) on DATABASE.lock. The kernel releases it when the descriptor
// closes, including when the process is SIGKILLed, so a crashed server never
// leaves a stale lock behind.
class DatabaseLock {
 public:
  // Takes the lock without waiting. FAILED_PRECONDITION when another process
  // holds it (naming the database and, when known, that process's pid).
  static absl::StatusOr<DatabaseLock> Acquire(const std::string& database);

  DatabaseLock(DatabaseLock&& other) noexcept;
  DatabaseLock& operator=(DatabaseLock&& other) noexcept;
  DatabaseLock(const DatabaseLock&) = delete;
  DatabaseLock& operator=(const DatabaseLock&) = delete;
  ~DatabaseLock();

  const std::string& path() const { return path_; }

 private:
  DatabaseLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  std::string path_;
  int fd_ = -1;
};

// Creates `path` with mode 0600 if it does not exist, so that SQLite (which
// gives -wal and -shm the database file's mode) never makes a database others
// can read. Warns when an existing file is readable by group or others.
absl::Status CreatePrivateDatabaseFile(const std::string& path);

}  // namespace cellfit::server

#endif  // CELLFIT_SERVER_DATABASE_LOCK_H_
