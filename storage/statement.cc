#include "storage/statement.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/absl_compat.h"
#include "storage/sqlite_status.h"

namespace cellfit::storage {
namespace {

// The start of a statement's SQL, to say which statement failed.
std::string Excerpt(std::string_view sql) {
  constexpr size_t kMax = 80;
  if (sql.size() <= kMax) return std::string(sql);
  return absl::StrCat(Sv(sql.substr(0, kMax)), "...");
}

}  // namespace

absl::StatusOr<Statement> Statement::Prepare(sqlite3* db, std::string_view sql,
                                             bool persistent) {
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(
      db, sql.data(), static_cast<int>(sql.size()),
      persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, &tail);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return SqliteError(db, rc, absl::StrCat("preparing '", Excerpt(sql), "'"));
  }
  if (stmt == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("preparing '", Excerpt(sql), "': no SQL statement"));
  }
  // One statement per Statement: trailing SQL would be silently ignored.
  std::string_view rest(tail, sql.data() + sql.size() - tail);
  if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    sqlite3_finalize(stmt);
    return absl::InvalidArgumentError(absl::StrCat(
        "preparing '", Excerpt(sql), "': more than one SQL statement"));
  }
  return Statement(stmt);
}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      bind_status_(std::move(other.bind_status_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    bind_status_ = std::move(other.bind_status_);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::NoteBind(int rc, int index) {
  if (rc == SQLITE_OK || !bind_status_.ok()) return;
  bind_status_ = SqliteError(
      sqlite3_db_handle(stmt_), rc,
      absl::StrCat("binding parameter ", index, " of '", Excerpt(sql()), "'"));
}

Statement& Statement::BindInt64(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::BindDouble(int index, double value) {
  NoteBind(sqlite3_bind_double(stmt_, index, value), index);
  return *this;
}

Statement& Statement::BindText(int index, std::string_view value) {
  NoteBind(sqlite3_bind_text64(stmt_, index, value.data(), value.size(),
                               SQLITE_TRANSIENT, SQLITE_UTF8),
           index);
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  // A null pointer would bind NULL rather than an empty blob.
  static constexpr char kEmpty = 0;
  NoteBind(
      sqlite3_bind_blob64(stmt_, index, bytes.empty() ? &kEmpty : bytes.data(),
                          bytes.size(), SQLITE_TRANSIENT),
      index);
  return *this;
}

Statement& Statement::BindNull(int index) {
  NoteBind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

absl::StatusOr<bool> Statement::Step() {
  if (!bind_status_.ok()) return bind_status_;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(sqlite3_db_handle(stmt_), rc,
                     absl::StrCat("running '", Excerpt(sql()), "'"));
}

absl::Status Statement::Run() {
  absl::StatusOr<bool> row = Step();
  if (!row.ok()) return row.status();
  if (*row) {
    return absl::InternalError(
        absl::StrCat("running '", Excerpt(sql()),
                     "': returned rows where none were expected"));
  }
  return absl::OkStatus();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_status_ = absl::OkStatus();
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::ColumnInt64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

double Statement::ColumnDouble(int column) const {
  return sqlite3_column_double(stmt_, column);
}

std::string_view Statement::ColumnText(int column) const {
  // The pointer first, then the size (SQLite's documented order).
  const auto* text =
      reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr) return {};
  return std::string_view(text, static_cast<size_t>(size));
}

std::string_view Statement::ColumnBlob(int column) const {
  const auto* data =
      static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr) return {};
  return std::string_view(data, static_cast<size_t>(size));
}

std::string_view Statement::sql() const {
  const char* sql = stmt_ == nullptr ? nullptr : sqlite3_sql(stmt_);
  return sql == nullptr ? std::string_view() : std::string_view(sql);
}

}  // namespace cellfit::storage
