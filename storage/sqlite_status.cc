#include "storage/sqlite_status.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "storage/absl_compat.h"

namespace cellfit::storage {

absl::StatusCode StatusCodeForSqlite(int sqlite_code) {
  switch (sqlite_code) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return absl::StatusCode::kOk;
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
      return absl::StatusCode::kAlreadyExists;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return absl::StatusCode::kFailedPrecondition;
    default:
      break;
  }
  switch (sqlite_code & 0xff) {  // the primary code of an extended one
    case SQLITE_CONSTRAINT:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
      return absl::StatusCode::kInvalidArgument;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_PROTOCOL:
      return absl::StatusCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return absl::StatusCode::kResourceExhausted;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return absl::StatusCode::kPermissionDenied;
    case SQLITE_CANTOPEN:
      return absl::StatusCode::kFailedPrecondition;
    case SQLITE_INTERRUPT:
    case SQLITE_ABORT:
      return absl::StatusCode::kAborted;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::Status SqliteError(sqlite3* db, int sqlite_code,
                         std::string_view context) {
  // sqlite3_errmsg() names the table and columns of a failed constraint; it
  // belongs to the last failed call on `db`, so use it only when that call is
  // the one being reported.
  const char* message =
      (db != nullptr && sqlite3_extended_errcode(db) == sqlite_code)
          ? sqlite3_errmsg(db)
          : sqlite3_errstr(sqlite_code);
  return absl::Status(StatusCodeForSqlite(sqlite_code),
                      absl::StrCat(Sv(context), ": ", message, " (SQLite code ",
                                   sqlite_code, ")"));
}

absl::Status WithContext(const absl::Status& status, std::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(Sv(context), ": ", status.message()));
}

}  // namespace cellfit::storage
