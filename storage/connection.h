// One SQLite connection with its settings and a cache of prepared statements,
// and the transactions run on it. A Connection is used by one thread at a time
// (Database guarantees it), so it is opened without SQLite's own mutex.
#ifndef CELLFIT_STORAGE_CONNECTION_H_
#define CELLFIT_STORAGE_CONNECTION_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/statement.h"

namespace cellfit::storage {

struct ConnectionOptions {
  bool create = false;      // create the file when it does not exist
  bool query_only = false;  // refuse every write (reader connections)
  // How long a statement waits for another connection's lock before it fails
  // with SQLITE_BUSY (another process writing, a WAL checkpoint or recovery).
  absl::Duration busy_timeout = absl::Seconds(10);
};

class Connection;

// A statement of a connection's cache, lent out for one use: it is reset and
// its parameters cleared when the lease ends.
class ScopedStatement {
 public:
  ScopedStatement(ScopedStatement&& other) noexcept;
  ScopedStatement& operator=(ScopedStatement&&) = delete;
  ScopedStatement(const ScopedStatement&) = delete;
  ~ScopedStatement();

  Statement* operator->() const { return statement_; }
  Statement& operator*() const { return *statement_; }

 private:
  friend class Connection;
  ScopedStatement(Statement* statement, bool* in_use)
      : statement_(statement), in_use_(in_use) {}

  Statement* statement_;
  bool* in_use_;
};

class Connection {
 public:
  // Opens `path` with foreign keys enforced, extended result codes and the
  // busy timeout. Journal mode is the database's business (see Database).
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      std::string_view path, const ConnectionOptions& options);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs SQL without parameters, possibly several statements (DDL, pragmas).
  absl::Status Exec(std::string_view sql);

  // The cached prepared statement for `sql`, compiled on first use. The same
  // SQL cannot be leased twice at once (FailedPrecondition).
  absl::StatusOr<ScopedStatement> Prepare(std::string_view sql);

  // The first column of the first row of `sql` (e.g. a pragma's value).
  absl::StatusOr<int64_t> QueryInt64(std::string_view sql);
  absl::StatusOr<std::string> QueryText(std::string_view sql);

  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t changes() const { return sqlite3_changes64(db_); }
  int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  struct CachedStatement {
    Statement statement;
    bool in_use = false;
  };

  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  // Keyed by SQL text; node stability (unique_ptr) keeps leases valid while
  // the map grows.
  absl::flat_hash_map<std::string, std::unique_ptr<CachedStatement>> cache_;
};

// A transaction on one connection, rolled back unless committed.
class Transaction {
 public:
  enum class Mode {
    // BEGIN DEFERRED: a read snapshot that starts at the first read.
    kRead,
    // BEGIN IMMEDIATE: takes the write lock at once, so that the transaction
    // never has to upgrade a read lock to a write lock mid-way (which fails
    // with SQLITE_BUSY instead of waiting).
    kWrite,
  };

  static absl::StatusOr<Transaction> Begin(Connection& connection, Mode mode);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();

  absl::Status Commit();
  // Undoes everything; also what the destructor does for an open transaction.
  absl::Status Rollback();

 private:
  explicit Transaction(Connection* connection) : connection_(connection) {}

  Connection* connection_;  // null once committed or rolled back
};

}  // namespace cellfit::storage

#endif  // CELLFIT_STORAGE_CONNECTION_H_
