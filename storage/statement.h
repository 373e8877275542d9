// An RAII prepared statement: sqlite3_stmt with binding that reports its first
// error at Step(), and column readers that return views.
#ifndef CELLFIT_STORAGE_STATEMENT_H_
#define CELLFIT_STORAGE_STATEMENT_H_

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cellfit::storage {

class Statement {
 public:
  // Compiles one SQL statement. `persistent` hints SQLite that it will be
  // reused many times (statements of a connection's cache).
  static absl::StatusOr<Statement> Prepare(sqlite3* db, std::string_view sql,
                                           bool persistent = false);

  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binding, to the 1-based parameter `index` (?1, ?2, ... in the SQL). A
  // failure is kept and returned by the next Step(), so that a run of binds
  // needs no checks in between. Text and blobs are copied.
  Statement& BindInt64(int index, int64_t value);
  // NaN binds as NULL: SQLite stores no NaN.
  Statement& BindDouble(int index, double value);
  Statement& BindText(int index, std::string_view value);
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindNull(int index);

  // Runs the statement to its next row: true when a row is available, false
  // when it is done.
  absl::StatusOr<bool> Step();
  // Runs a statement that returns no rows (INSERT, UPDATE, DELETE, DDL).
  absl::Status Run();
  // Makes the statement ready to run again, with no parameters bound.
  void Reset();

  // Columns of the current row, 0-based. Views stay valid until the next
  // Step() or Reset().
  bool IsNull(int column) const;
  int64_t ColumnInt64(int column) const;
  double ColumnDouble(int column) const;
  std::string_view ColumnText(int column) const;
  std::string_view ColumnBlob(int column) const;

  std::string_view sql() const;
  sqlite3_stmt* handle() const { return stmt_; }

 private:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  void NoteBind(int rc, int index);

  sqlite3_stmt* stmt_ = nullptr;
  absl::Status bind_status_;
};

}  // namespace cellfit::storage

#endif  // CELLFIT_STORAGE_STATEMENT_H_
