#include "storage/migrations.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "glog/logging.h"
#include "storage/absl_compat.h"
#include "storage/sqlite_status.h"
#include "storage/status_macros.h"

namespace cellfit::storage {
namespace {

constexpr std::string_view kCreateLog = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY NOT NULL,
  name       TEXT NOT NULL,
  applied_us INTEGER NOT NULL  -- microseconds since the Unix epoch
) STRICT;
)sql";

absl::Status CheckList(absl::Span<const Migration> migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return absl::InternalError(
          absl::StrCat("migration list broken: entry ", i, " has version ",
                       migrations[i].version, ", expected ", i + 1));
    }
  }
  return absl::OkStatus();
}

int LatestVersion(absl::Span<const Migration> migrations) {
  return migrations.empty() ? 0 : migrations.back().version;
}

absl::Status ApplyOne(Connection& connection, const Migration& migration,
                      bool* applied) {
  *applied = false;
  STORAGE_ASSIGN_OR_RETURN(
      Transaction transaction,
      Transaction::Begin(connection, Transaction::Mode::kWrite));
  // Another process may have applied it since we last looked.
  STORAGE_ASSIGN_OR_RETURN(int version, ReadSchemaVersion(connection));
  if (version >= migration.version) return transaction.Commit();
  if (version != migration.version - 1) {
    return absl::InternalError(
        absl::StrCat("database at schema version ", version,
                     ", cannot apply migration ", migration.version));
  }
  if (version == 0) {
    STORAGE_RETURN_IF_ERROR(connection.Exec(
        absl::StrCat("PRAGMA application_id = ", kApplicationId)));
  }
  STORAGE_RETURN_IF_ERROR(connection.Exec(kCreateLog));
  STORAGE_RETURN_IF_ERROR(connection.Exec(migration.sql));
  {
    STORAGE_ASSIGN_OR_RETURN(
        ScopedStatement log,
        connection.Prepare("INSERT INTO schema_migrations (version, name, "
                           "applied_us) VALUES (?1, ?2, ?3)"));
    log->BindInt64(1, migration.version)
        .BindText(2, migration.name)
        .BindInt64(3, absl::ToUnixMicros(absl::Now()));
    STORAGE_RETURN_IF_ERROR(log->Run());
  }
  // A pragma takes no parameters; the value is our own integer.
  STORAGE_RETURN_IF_ERROR(connection.Exec(
      absl::StrCat("PRAGMA user_version = ", migration.version)));
  STORAGE_RETURN_IF_ERROR(transaction.Commit());
  *applied = true;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int> ReadSchemaVersion(Connection& connection) {
  STORAGE_ASSIGN_OR_RETURN(int64_t version,
                           connection.QueryInt64("PRAGMA user_version"));
  return static_cast<int>(version);
}

absl::Status CheckCompatible(Connection& connection,
                             absl::Span<const Migration> migrations) {
  STORAGE_RETURN_IF_ERROR(CheckList(migrations));
  // Reading the header is the first real read of the file: a file that is not
  // SQLite at all fails here (SQLITE_NOTADB).
  absl::StatusOr<int64_t> application_id =
      connection.QueryInt64("PRAGMA application_id");
  if (!application_id.ok()) {
    return WithContext(application_id.status(),
                       absl::StrCat("reading '", connection.path(), "'"));
  }
  STORAGE_ASSIGN_OR_RETURN(int version, ReadSchemaVersion(connection));
  if (*application_id != kApplicationId &&
      (*application_id != 0 || version != 0)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "'", connection.path(),
        "' is not a cellfit database (SQLite application_id ", *application_id,
        ", user_version ", version, "); refusing to change it"));
  }
  const int latest = LatestVersion(migrations);
  if (version > latest) {
    return absl::FailedPreconditionError(absl::StrCat(
        "'", connection.path(), "' has schema version ", version,
        ", newer than the newest this build of cellfit knows (", latest,
        "); it was written by a newer cellfit: use that version or newer"));
  }
  return absl::OkStatus();
}

absl::StatusOr<MigrationResult> Migrate(
    Connection& connection, absl::Span<const Migration> migrations) {
  STORAGE_RETURN_IF_ERROR(CheckCompatible(connection, migrations));
  MigrationResult result;
  STORAGE_ASSIGN_OR_RETURN(result.from_version, ReadSchemaVersion(connection));
  for (const Migration& migration : migrations) {
    if (migration.version <= result.from_version) continue;
    bool applied = false;
    if (absl::Status status = ApplyOne(connection, migration, &applied);
        !status.ok()) {
      return WithContext(
          status,
          absl::StrCat("migrating '", connection.path(), "' to schema version ",
                       migration.version, " (", Sv(migration.name),
                       "); it stays at version ", migration.version - 1));
    }
    if (applied) {
      LOG(INFO) << "database '" << connection.path()
                << "': applied schema migration " << migration.version << " ("
                << migration.name << ")";
      result.applied.push_back(migration.version);
    }
  }
  STORAGE_ASSIGN_OR_RETURN(result.to_version, ReadSchemaVersion(connection));

  // The log must list exactly versions 1..user_version, once each.
  STORAGE_ASSIGN_OR_RETURN(std::vector<AppliedMigration> log,
                           ReadMigrationLog(connection));
  bool consistent = static_cast<int>(log.size()) == result.to_version;
  for (size_t i = 0; consistent && i < log.size(); ++i) {
    consistent = log[i].version == static_cast<int>(i) + 1;
  }
  if (!consistent) {
    std::vector<int> versions;
    for (const AppliedMigration& entry : log) versions.push_back(entry.version);
    return absl::DataLossError(absl::StrCat(
        "'", connection.path(), "': schema version ", result.to_version,
        " but the migration log lists versions [",
        absl::StrJoin(versions, ", "), "]"));
  }
  return result;
}

absl::StatusOr<std::vector<AppliedMigration>> ReadMigrationLog(
    Connection& connection) {
  std::vector<AppliedMigration> log;
  STORAGE_ASSIGN_OR_RETURN(
      int64_t has_log,
      connection.QueryInt64("SELECT count(*) FROM sqlite_schema WHERE type = "
                            "'table' AND name = 'schema_migrations'"));
  if (has_log == 0) return log;
  STORAGE_ASSIGN_OR_RETURN(
      ScopedStatement select,
      connection.Prepare("SELECT version, name, applied_us FROM "
                         "schema_migrations ORDER BY version"));
  while (true) {
    STORAGE_ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    log.push_back({static_cast<int>(select->ColumnInt64(0)),
                   std::string(select->ColumnText(1)),
                   absl::FromUnixMicros(select->ColumnInt64(2))});
  }
  return log;
}

}  // namespace cellfit::storage
