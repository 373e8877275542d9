// Database: opening, settings, schema information. The data methods live in
// fitters.cc, runs.cc, rounds.cc and evaluations.cc.
#include "storage/database.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "storage/absl_compat.h"
#include "storage/migrations.h"
#include "storage/schema.h"
#include "storage/sqlite_status.h"
#include "storage/status_macros.h"

namespace cellfit::storage {
namespace {

bool IsInMemory(std::string_view path) {
  return path == ":memory:" || path.empty();
}

// The WAL file is truncated back to this size after a checkpoint; without a
// limit it keeps the size of its largest burst of writes.
constexpr int64_t kJournalSizeLimitBytes = 64 << 20;

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> Database::Open(
    std::string_view path, const DatabaseOptions& options) {
  if (options.max_readers < 0 || options.checkpoints_kept < 0 ||
      options.busy_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("database options: max_readers (", options.max_readers,
                     "), checkpoints_kept (", options.checkpoints_kept,
                     ") and busy_timeout must not be negative"));
  }
  const bool in_memory = IsInMemory(path);
  const std::string context = absl::StrCat("opening database '", Sv(path), "'");

  ConnectionOptions writer_options;
  writer_options.create = true;
  writer_options.busy_timeout = options.busy_timeout;
  STORAGE_ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer,
                           Connection::Open(path, writer_options));

  // Refuse a foreign or newer file before changing anything in it (switching
  // to WAL is a change).
  STORAGE_RETURN_IF_ERROR(CheckCompatible(*writer, SchemaMigrations()));

  if (!in_memory) {
    // WAL: readers see a consistent snapshot while the writer commits, and a
    // commit appends to the log instead of rewriting pages in place.
    absl::StatusOr<std::string> mode =
        writer->QueryText("PRAGMA journal_mode = WAL");
    if (!mode.ok()) return WithContext(mode.status(), context);
    if (absl::AsciiStrToLower(*mode) != "wal") {
      return absl::FailedPreconditionError(absl::StrCat(
          Sv(context), ": cannot switch to WAL journal mode (got '", *mode,
          "'); the file system must support shared memory (not NFS)"));
    }
  }
  STORAGE_RETURN_IF_ERROR(WithContext(
      writer->Exec(absl::StrCat(
          "PRAGMA synchronous = ", options.durable ? "FULL" : "NORMAL",
          "; PRAGMA journal_size_limit = ", kJournalSizeLimitBytes, ";")),
      context));

  STORAGE_ASSIGN_OR_RETURN(MigrationResult migrated,
                           Migrate(*writer, SchemaMigrations()));

  std::unique_ptr<ConnectionPool> readers;
  if (!in_memory && options.max_readers > 0) {
    ConnectionOptions reader_options;
    reader_options.query_only = true;
    reader_options.busy_timeout = options.busy_timeout;
    readers = std::make_unique<ConnectionPool>(
        std::string(path), reader_options, options.max_readers);
  }
  std::unique_ptr<Database> database(new Database(
      std::string(path), options, std::move(writer), std::move(readers)));
  database->schema_version_ = migrated.to_version;
  database->migrations_applied_at_open_ = std::move(migrated.applied);
  LOG(INFO) << "opened database '" << path << "' at schema version "
            << migrated.to_version << " (was " << migrated.from_version << ")";
  return database;
}

Database::Database(std::string path, DatabaseOptions options,
                   std::unique_ptr<Connection> writer,
                   std::unique_ptr<ConnectionPool> readers)
    : path_(std::move(path)),
      options_(options),
      writer_(std::move(writer)),
      readers_(std::move(readers)) {}

// Readers close first (members are destroyed in reverse order); the writer,
// closing last, checkpoints the WAL into the main file and removes it when no
// other process has the file open.
Database::~Database() {
  // SQLite's advice for long-lived connections: refresh the planner's
  // statistics where they are stale. Cheap when nothing changed.
  absl::MutexLock lock(&writer_mu_);
  if (absl::Status status = writer_->Exec("PRAGMA optimize"); !status.ok()) {
    LOG(WARNING) << "database '" << path_ << "': PRAGMA optimize: " << status;
  }
}

absl::StatusOr<std::vector<AppliedMigration>> Database::MigrationLog() const {
  return WithReader([](Connection& db) { return ReadMigrationLog(db); });
}

absl::StatusOr<std::string> Database::JournalMode() const {
  return WithReader(
      [](Connection& db) { return db.QueryText("PRAGMA journal_mode"); });
}

}  // namespace cellfit::storage
