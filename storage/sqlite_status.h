// Turning SQLite result codes into absl::Status errors that say what was being
// done and what SQLite said.
#ifndef CELLFIT_STORAGE_SQLITE_STATUS_H_
#define CELLFIT_STORAGE_SQLITE_STATUS_H_

#include <sqlite3.h>

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cellfit::storage {

// The status code for an SQLite (extended) result code. Constraint failures
// map to what they mean to a caller (a duplicate key is AlreadyExists), a busy
// or locked database to Unavailable (worth retrying), a damaged file to
// DataLoss.
absl::StatusCode StatusCodeForSqlite(int sqlite_code);

// An error for `sqlite_code`, returned by a call on `db` (may be null), while
// doing `context`: "<context>: <SQLite's message> (<result code name>)".
absl::Status SqliteError(sqlite3* db, int sqlite_code,
                         std::string_view context);

// `status` with "<context>: " in front of its message; OK stays OK.
absl::Status WithContext(const absl::Status& status, std::string_view context);

// The same for a StatusOr: its value unchanged, or its error with the context.
template <typename T>
absl::StatusOr<T> WithContext(absl::StatusOr<T> result,
                              std::string_view context) {
  if (result.ok()) return result;
  return WithContext(result.status(), context);
}

}  // namespace cellfit::storage

#endif  // CELLFIT_STORAGE_SQLITE_STATUS_H_
