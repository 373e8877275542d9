#include "storage/connection.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "storage/absl_compat.h"
#include "storage/sqlite_status.h"
#include "storage/status_macros.h"

namespace cellfit::storage {

ScopedStatement::ScopedStatement(ScopedStatement&& other) noexcept
    : statement_(std::exchange(other.statement_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)) {}

ScopedStatement::~ScopedStatement() {
  if (statement_ == nullptr) return;
  statement_->Reset();
  *in_use_ = false;
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    std::string_view path, const ConnectionOptions& options) {
  if (sqlite3_threadsafe() == 0) {
    return absl::FailedPreconditionError(
        "the SQLite library was built without thread support "
        "(SQLITE_THREADSAFE=0); cellfit needs it");
  }
  // NOMUTEX: each connection is used by one thread at a time (the writer
  // under Database's mutex, readers leased from the pool), so SQLite's
  // per-connection mutex would only cost time.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (options.create) flags |= SQLITE_OPEN_CREATE;
  const std::string path_string(path);
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path_string.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status =
        SqliteError(db, rc, absl::StrCat("opening database '", Sv(path), "'"));
    sqlite3_close_v2(db);
    return status;
  }
  std::unique_ptr<Connection> connection(new Connection(db, path_string));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(
      db, static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout)));
  // Foreign keys (and so ON DELETE CASCADE) are off by default in SQLite and
  // are a per-connection setting.
  std::string pragmas = "PRAGMA foreign_keys = ON;";
  if (options.query_only) pragmas += "PRAGMA query_only = ON;";
  STORAGE_RETURN_IF_ERROR(WithContext(
      connection->Exec(pragmas), absl::StrCat("configuring '", Sv(path), "'")));
  return connection;
}

Connection::~Connection() {
  cache_.clear();  // statements must be finalized before the connection closes
  const int rc = sqlite3_close(db_);
  if (rc != SQLITE_OK) {
    LOG(ERROR) << "closing database '" << path_ << "': " << sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
  }
}

absl::Status Connection::Exec(std::string_view sql) {
  const std::string sql_string(sql);
  char* message = nullptr;
  const int rc =
      sqlite3_exec(db_, sql_string.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return absl::OkStatus();
  std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return absl::Status(StatusCodeForSqlite(rc),
                      absl::StrCat(detail, " (SQLite code ", rc, ")"));
}

absl::StatusOr<ScopedStatement> Connection::Prepare(std::string_view sql) {
  auto it = cache_.find(Sv(sql));
  if (it == cache_.end()) {
    STORAGE_ASSIGN_OR_RETURN(Statement statement,
                             Statement::Prepare(db_, sql, /*persistent=*/true));
    auto cached = std::make_unique<CachedStatement>();
    cached->statement = std::move(statement);
    it = cache_.emplace(std::string(sql), std::move(cached)).first;
  }
  CachedStatement& cached = *it->second;
  if (cached.in_use) {
    return absl::FailedPreconditionError(absl::StrCat(
        "statement '", Sv(sql), "' is already in use on this connection"));
  }
  cached.in_use = true;
  return ScopedStatement(&cached.statement, &cached.in_use);
}

absl::StatusOr<int64_t> Connection::QueryInt64(std::string_view sql) {
  STORAGE_ASSIGN_OR_RETURN(Statement statement, Statement::Prepare(db_, sql));
  STORAGE_ASSIGN_OR_RETURN(bool row, statement.Step());
  if (!row) {
    return absl::InternalError(absl::StrCat("'", Sv(sql), "' returned no row"));
  }
  return statement.ColumnInt64(0);
}

absl::StatusOr<std::string> Connection::QueryText(std::string_view sql) {
  STORAGE_ASSIGN_OR_RETURN(Statement statement, Statement::Prepare(db_, sql));
  STORAGE_ASSIGN_OR_RETURN(bool row, statement.Step());
  if (!row) {
    return absl::InternalError(absl::StrCat("'", Sv(sql), "' returned no row"));
  }
  return std::string(statement.ColumnText(0));
}

absl::StatusOr<Transaction> Transaction::Begin(Connection& connection,
                                               Mode mode) {
  STORAGE_ASSIGN_OR_RETURN(
      ScopedStatement begin,
      connection.Prepare(mode == Mode::kWrite ? "BEGIN IMMEDIATE"
                                              : "BEGIN DEFERRED"));
  STORAGE_RETURN_IF_ERROR(begin->Run());
  return Transaction(&connection);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)) {}

Transaction::~Transaction() {
  if (connection_ == nullptr) return;
  if (absl::Status status = Rollback(); !status.ok()) {
    LOG(ERROR) << "rolling back a transaction on '" << connection_->path()
               << "': " << status;
  }
}

absl::Status Transaction::Commit() {
  if (connection_ == nullptr) {
    return absl::FailedPreconditionError("transaction already ended");
  }
  STORAGE_ASSIGN_OR_RETURN(ScopedStatement commit,
                           connection_->Prepare("COMMIT"));
  STORAGE_RETURN_IF_ERROR(
      commit->Run());  // on failure the destructor rolls back
  connection_ = nullptr;
  return absl::OkStatus();
}

absl::Status Transaction::Rollback() {
  Connection* connection = std::exchange(connection_, nullptr);
  if (connection == nullptr) {
    return absl::FailedPreconditionError("transaction already ended");
  }
  // Some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, ...) make SQLite roll
  // the transaction back by itself; a ROLLBACK then would fail.
  if (!connection->in_transaction()) return absl::OkStatus();
  STORAGE_ASSIGN_OR_RETURN(ScopedStatement rollback,
                           connection->Prepare("ROLLBACK"));
  return rollback->Run();
}

}  // namespace cellfit::storage
