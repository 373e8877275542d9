#include "storage/queries.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "storage/absl_compat.h"
#include "storage/double_blob.h"
#include "storage/name_list.h"
#include "storage/status_macros.h"

namespace cellfit::storage::internal {

std::optional<double> ReadOptionalDouble(const Statement& row, int column) {
  if (row.IsNull(column)) return std::nullopt;
  return row.ColumnDouble(column);
}

double ReadError(const Statement& row, int column) {
  if (row.IsNull(column)) return std::numeric_limits<double>::quiet_NaN();
  return row.ColumnDouble(column);
}

void BindOptionalDouble(Statement& statement, int index,
                        std::optional<double> value) {
  if (value.has_value() && !std::isnan(*value)) {
    statement.BindDouble(index, *value);
  } else {
    statement.BindNull(index);
  }
}

absl::StatusOr<RunRecord> ReadRunRow(const Statement& row, int first) {
  RunRecord run;
  int c = first;
  run.id = row.ColumnInt64(c++);
  run.fitter_id = std::string(row.ColumnText(c++));
  run.index = row.ColumnInt64(c++);
  run.started = absl::FromUnixMicros(row.ColumnInt64(c++));
  run.optimizer = std::string(row.ColumnText(c++));
  STORAGE_ASSIGN_OR_RETURN(run.parameter_names,
                           DecodeNameList(row.ColumnText(c++)));
  STORAGE_ASSIGN_OR_RETURN(run.output_names,
                           DecodeNameList(row.ColumnText(c++)));
  run.config = std::string(row.ColumnBlob(c++));
  run.start_iteration = row.ColumnInt64(c++);
  run.rounds_done = row.ColumnInt64(c++);
  run.evaluations = row.ColumnInt64(c++);
  if (!row.IsNull(c)) run.best_round = row.ColumnInt64(c);
  ++c;
  run.best_error = ReadOptionalDouble(row, c++);
  if (!row.IsNull(c)) {
    STORAGE_ASSIGN_OR_RETURN(run.best_params, DecodeDoubles(row.ColumnBlob(c)));
  }
  ++c;
  return run;
}

absl::StatusOr<FitterRecord> ReadFitterRow(const Statement& row, int first,
                                           bool with_run) {
  FitterRecord fitter;
  int c = first;
  fitter.id = std::string(row.ColumnText(c++));
  fitter.owner = std::string(row.ColumnText(c++));
  fitter.name = std::string(row.ColumnText(c++));
  STORAGE_ASSIGN_OR_RETURN(fitter.kind, ParseFitterKind(row.ColumnText(c++)));
  STORAGE_ASSIGN_OR_RETURN(fitter.state, ParseFitterState(row.ColumnText(c++)));
  fitter.created = absl::FromUnixMicros(row.ColumnInt64(c++));
  fitter.updated = absl::FromUnixMicros(row.ColumnInt64(c++));
  fitter.n_samples = row.ColumnInt64(c++);
  fitter.n_traces = row.ColumnInt64(c++);
  fitter.n_steps = row.ColumnInt64(c++);
  fitter.method = std::string(row.ColumnText(c++));
  STORAGE_ASSIGN_OR_RETURN(fitter.parameter_names,
                           DecodeNameList(row.ColumnText(c++)));
  fitter.error = std::string(row.ColumnText(c++));
  // The run's id column is NULL when the LEFT JOIN found no run.
  if (with_run && !row.IsNull(c)) {
    STORAGE_ASSIGN_OR_RETURN(fitter.current_run, ReadRunRow(row, c));
  }
  return fitter;
}

absl::Status CheckFitterExists(Connection& db, std::string_view fitter_id) {
  STORAGE_ASSIGN_OR_RETURN(ScopedStatement select,
                           db.Prepare("SELECT 1 FROM fitters WHERE id = ?1"));
  select->BindText(1, fitter_id);
  STORAGE_ASSIGN_OR_RETURN(bool found, select->Step());
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("fitter '", Sv(fitter_id), "' not found"));
  }
  return absl::OkStatus();
}

absl::StatusOr<RunRecord> LoadRun(Connection& db, int64_t run_id) {
  STORAGE_ASSIGN_OR_RETURN(
      ScopedStatement select,
      db.Prepare(absl::StrCat("SELECT ", kRunColumns,
                              " FROM runs r WHERE r.id = ?1")));
  select->BindInt64(1, run_id);
  STORAGE_ASSIGN_OR_RETURN(bool found, select->Step());
  if (!found) {
    return absl::NotFoundError(absl::StrCat("run ", run_id, " not found"));
  }
  return ReadRunRow(*select, 0);
}

absl::StatusOr<std::vector<RunRecord>> LoadRuns(Connection& db,
                                                std::string_view fitter_id) {
  STORAGE_ASSIGN_OR_RETURN(
      ScopedStatement select,
      db.Prepare(absl::StrCat("SELECT ", kRunColumns,
                              " FROM runs r WHERE r.fitter_id = ?1 "
                              "ORDER BY r.run_index")));
  select->BindText(1, fitter_id);
  std::vector<RunRecord> runs;
  while (true) {
    STORAGE_ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    STORAGE_ASSIGN_OR_RETURN(RunRecord run, ReadRunRow(*select, 0));
    runs.push_back(std::move(run));
  }
  return runs;
}

absl::Status CheckNames(absl::Span<const std::string> names,
                        std::string_view what) {
  absl::flat_hash_set<std::string_view> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Sv(what), ": name ", i, " is empty"));
    }
    if (!seen.insert(names[i]).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(Sv(what), ": '", names[i], "' appears twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace cellfit::storage::internal
