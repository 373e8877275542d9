// Versioned schema migrations. The schema version lives in two places kept in
// step: PRAGMA user_version (in the file header, read without touching any
// table) and the migration log table `schema_migrations` (which migration ran,
// when). Each migration runs in its own write transaction together with its log
// row and the version bump, so a crash leaves the database at the version
// before or after it, never in between.
#ifndef CELLFIT_STORAGE_MIGRATIONS_H_
#define CELLFIT_STORAGE_MIGRATIONS_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "storage/connection.h"
#include "storage/records.h"

namespace cellfit::storage {

// Marks a SQLite file as a cellfit database (PRAGMA application_id), so that
// Open refuses to migrate some other program's file. "CFIT" in ASCII.
inline constexpr int32_t kApplicationId = 0x43464954;

struct Migration {
  int version;            // 1, 2, 3, ... in order, no gaps
  std::string_view name;  // a short description kept in the log
  // SQL run in the migration's transaction. It cannot change PRAGMA
  // foreign_keys (a no-op inside a transaction): a migration that rebuilds a
  // referenced table must follow SQLite's 12-step ALTER TABLE procedure with
  // deferred foreign keys.
  std::string_view sql;
};

struct MigrationResult {
  int from_version = 0;
  int to_version = 0;
  std::vector<int> applied;  // versions applied by this call, in order
};

// Refuses a database this list cannot serve: one marked by another
// application, or one at a schema version newer than the last migration
// (written by a newer cellfit: its data would be misread). Reads only.
absl::Status CheckCompatible(Connection& connection,
                             absl::Span<const Migration> migrations);

// Applies every migration newer than the database's version, each once, and
// checks that the log agrees with the version. Safe against another process
// migrating the same file at the same time: the version is re-read inside each
// migration's write transaction.
absl::StatusOr<MigrationResult> Migrate(Connection& connection,
                                        absl::Span<const Migration> migrations);

// PRAGMA user_version.
absl::StatusOr<int> ReadSchemaVersion(Connection& connection);

// The migration log, by version; empty for a database never migrated.
absl::StatusOr<std::vector<AppliedMigration>> ReadMigrationLog(
    Connection& connection);

}  // namespace cellfit::storage

#endif  // CELLFIT_STORAGE_MIGRATIONS_H_
