// Database: reading and counting evaluations.
#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "storage/absl_compat.h"
#include "storage/database.h"
#include "storage/double_blob.h"
#include "storage/queries.h"
#include "storage/sqlite_status.h"
#include "storage/status_macros.h"

namespace cellfit::storage {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The runs a query covers, ordered by id (the order of EvaluationKey).
absl::StatusOr<std::vector<RunRecord>> QueryRuns(
    Connection& db, std::string_view fitter_id, std::optional<int64_t> run_id) {
  STORAGE_RETURN_IF_ERROR(internal::CheckFitterExists(db, fitter_id));
  std::vector<RunRecord> runs;
  if (run_id.has_value()) {
    STORAGE_ASSIGN_OR_RETURN(RunRecord run, internal::LoadRun(db, *run_id));
    if (run.fitter_id != fitter_id) {
      return absl::NotFoundError(absl::StrCat(
          "run ", *run_id, " is not a run of fitter '", Sv(fitter_id), "'"));
    }
    runs.push_back(std::move(run));
  } else {
    STORAGE_ASSIGN_OR_RETURN(runs, internal::LoadRuns(db, fitter_id));
  }
  std::sort(runs.begin(), runs.end(),
            [](const RunRecord& a, const RunRecord& b) { return a.id < b.id; });
  return runs;
}

// `names` appended to `all` where missing; returns where each of `names` went.
std::vector<size_t> MergeNames(const std::vector<std::string>& names,
                               std::vector<std::string>& all) {
  std::vector<size_t> where;
  for (const std::string& name : names) {
    auto it = std::find(all.begin(), all.end(), name);
    if (it == all.end()) {
      all.push_back(name);
      it = all.end() - 1;
    }
    where.push_back(static_cast<size_t>(it - all.begin()));
  }
  return where;
}

// The iteration of each round of a run.
absl::StatusOr<absl::flat_hash_map<int64_t, int64_t>> RoundIterations(
    Connection& db, int64_t run_id) {
  STORAGE_ASSIGN_OR_RETURN(
      ScopedStatement select,
      db.Prepare("SELECT round, iteration FROM rounds WHERE run_id = ?1"));
  select->BindInt64(1, run_id);
  absl::flat_hash_map<int64_t, int64_t> iterations;
  while (true) {
    STORAGE_ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    iterations[select->ColumnInt64(0)] = select->ColumnInt64(1);
  }
  return iterations;
}

// Appends the rows of `run` after (after_round, after_sample), at most `limit`
// (negative: all), to `out`. Returns the number of rows appended.
absl::StatusOr<int64_t> AppendRunRows(Connection& db, const RunRecord& run,
                                      int64_t after_round, int64_t after_sample,
                                      int64_t limit,
                                      const std::vector<size_t>& param_column,
                                      const std::vector<size_t>& output_column,
                                      EvaluationColumns& out) {
  STORAGE_ASSIGN_OR_RETURN(auto iterations, RoundIterations(db, run.id));
  // The primary key is (run_id, round, sample): this is one range scan of the
  // table's b-tree, already in order.
  STORAGE_ASSIGN_OR_RETURN(
      ScopedStatement select,
      db.Prepare("SELECT round, sample, error, params, objectives FROM "
                 "evaluations WHERE run_id = ?1 AND (round, sample) > (?2, ?3) "
                 "ORDER BY round, sample LIMIT ?4"));
  select->BindInt64(1, run.id)
      .BindInt64(2, after_round)
      .BindInt64(3, after_sample)
      .BindInt64(4, limit);
  const size_t n_params = run.parameter_names.size();
  const size_t n_outputs = run.output_names.size();
  // Columns of other runs' parameters/outputs get NaN in this run's rows.
  std::vector<bool> param_filled(out.params.size(), false);
  for (size_t column : param_column) param_filled[column] = true;
  std::vector<bool> output_filled(out.objectives.size(), false);
  for (size_t column : output_column) output_filled[column] = true;

  int64_t rows = 0;
  int64_t cached_round = -1;
  int64_t cached_iteration = 0;
  while (true) {
    STORAGE_ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    const int64_t round = select->ColumnInt64(0);
    if (round != cached_round) {
      auto it = iterations.find(round);
      if (it == iterations.end()) {
        return absl::DataLossError(absl::StrCat("run ", run.id,
                                                ": evaluations of round ",
                                                round, " without a round row"));
      }
      cached_round = round;
      cached_iteration = it->second;
    }
    const std::string_view params = select->ColumnBlob(3);
    const std::string_view objectives = select->ColumnBlob(4);
    if (params.size() != 8 * n_params || objectives.size() != 8 * n_outputs) {
      return absl::DataLossError(absl::StrCat(
          "run ", run.id, " round ", round, " sample ", select->ColumnInt64(1),
          ": ", params.size() / 8, " parameter values and ",
          objectives.size() / 8, " objective errors stored, the run has ",
          n_params, " parameters and ", n_outputs, " outputs"));
    }
    out.run_id.push_back(run.id);
    out.run_index.push_back(run.index);
    out.round.push_back(round);
    out.iteration.push_back(cached_iteration);
    out.sample.push_back(select->ColumnInt64(1));
    out.error.push_back(internal::ReadError(*select, 2));
    for (size_t j = 0; j < n_params; ++j) {
      out.params[param_column[j]].push_back(DoubleAt(params, j));
    }
    for (size_t c = 0; c < param_filled.size(); ++c) {
      if (!param_filled[c]) out.params[c].push_back(kNaN);
    }
    for (size_t j = 0; j < n_outputs; ++j) {
      out.objectives[output_column[j]].push_back(DoubleAt(objectives, j));
    }
    for (size_t c = 0; c < output_filled.size(); ++c) {
      if (!output_filled[c]) out.objectives[c].push_back(kNaN);
    }
    ++rows;
  }
  return rows;
}

// Whether any row of `run` lies after (round, sample).
absl::StatusOr<bool> HasRowsAfter(Connection& db, int64_t run_id, int64_t round,
                                  int64_t sample) {
  STORAGE_ASSIGN_OR_RETURN(
      ScopedStatement select,
      db.Prepare("SELECT 1 FROM evaluations WHERE run_id = ?1 AND "
                 "(round, sample) > (?2, ?3) LIMIT 1"));
  select->BindInt64(1, run_id).BindInt64(2, round).BindInt64(3, sample);
  return select->Step();
}

absl::StatusOr<EvaluationColumns> ReadEvaluationsOn(
    Connection& db, const EvaluationQuery& query) {
  if (query.limit < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", query.limit, " is negative"));
  }
  // One snapshot for the whole read, so that rows, rounds and runs agree while
  // the writer goes on recording.
  STORAGE_ASSIGN_OR_RETURN(Transaction snapshot,
                           Transaction::Begin(db, Transaction::Mode::kRead));
  STORAGE_ASSIGN_OR_RETURN(std::vector<RunRecord> runs,
                           QueryRuns(db, query.fitter_id, query.run_id));

  EvaluationColumns out;
  std::vector<std::vector<size_t>> param_columns;
  std::vector<std::vector<size_t>> output_columns;
  int64_t expected = 0;
  for (const RunRecord& run : runs) {
    param_columns.push_back(
        MergeNames(run.parameter_names, out.parameter_names));
    output_columns.push_back(MergeNames(run.output_names, out.output_names));
    expected += run.evaluations;
  }
  out.params.resize(out.parameter_names.size());
  out.objectives.resize(out.output_names.size());
  if (query.limit > 0) expected = std::min(expected, query.limit);
  const auto reserve = static_cast<size_t>(expected);
  for (auto* column :
       {&out.run_id, &out.run_index, &out.round, &out.iteration, &out.sample}) {
    column->reserve(reserve);
  }
  out.error.reserve(reserve);
  for (auto& column : out.params) column.reserve(reserve);
  for (auto& column : out.objectives) column.reserve(reserve);

  const int64_t no_limit = -1;  // SQLite's LIMIT -1
  int64_t remaining = query.limit > 0 ? query.limit : no_limit;
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunRecord& run = runs[i];
    int64_t after_round = -1;
    int64_t after_sample = -1;
    if (query.after.has_value()) {
      if (run.id < query.after->run_id) continue;
      if (run.id == query.after->run_id) {
        after_round = query.after->round;
        after_sample = query.after->sample;
      }
    }
    if (remaining == 0) {
      // The page is full; say where to go on if anything is left.
      STORAGE_ASSIGN_OR_RETURN(
          bool more, HasRowsAfter(db, run.id, after_round, after_sample));
      if (more) {
        out.next = EvaluationKey{out.run_id.back(), out.round.back(),
                                 out.sample.back()};
        break;
      }
      continue;
    }
    STORAGE_ASSIGN_OR_RETURN(
        int64_t rows,
        AppendRunRows(db, run, after_round, after_sample, remaining,
                      param_columns[i], output_columns[i], out));
    if (remaining != no_limit) remaining -= rows;
    if (remaining == 0 && !out.sample.empty()) {
      // Rows of this run may remain after the last one read.
      STORAGE_ASSIGN_OR_RETURN(
          bool more,
          HasRowsAfter(db, run.id, out.round.back(), out.sample.back()));
      if (more) {
        out.next = EvaluationKey{run.id, out.round.back(), out.sample.back()};
        break;
      }
    }
  }
  STORAGE_RETURN_IF_ERROR(snapshot.Commit());
  return out;
}

absl::StatusOr<int64_t> CountEvaluationsOn(Connection& db,
                                           std::string_view fitter_id,
                                           std::optional<int64_t> run_id) {
  STORAGE_ASSIGN_OR_RETURN(Transaction snapshot,
                           Transaction::Begin(db, Transaction::Mode::kRead));
  STORAGE_ASSIGN_OR_RETURN(std::vector<RunRecord> runs,
                           QueryRuns(db, fitter_id, run_id));
  int64_t count = 0;
  for (const RunRecord& run : runs) {
    // Counting the rows themselves rather than trusting runs.evaluations: this
    // is what tests and audits compare against.
    STORAGE_ASSIGN_OR_RETURN(
        ScopedStatement select,
        db.Prepare("SELECT count(*) FROM evaluations WHERE run_id = ?1"));
    select->BindInt64(1, run.id);
    STORAGE_ASSIGN_OR_RETURN(bool row, select->Step());
    if (row) count += select->ColumnInt64(0);
  }
  STORAGE_RETURN_IF_ERROR(snapshot.Commit());
  return count;
}

}  // namespace

absl::StatusOr<EvaluationColumns> Database::ReadEvaluations(
    const EvaluationQuery& query) const {
  return WithReader([&](Connection& db) {
    return WithContext(ReadEvaluationsOn(db, query),
                       absl::StrCat("reading evaluations of fitter '",
                                    Sv(query.fitter_id), "'"));
  });
}

absl::StatusOr<int64_t> Database::CountEvaluations(
    std::string_view fitter_id, std::optional<int64_t> run_id) const {
  return WithReader([&](Connection& db) {
    return WithContext(
        CountEvaluationsOn(db, fitter_id, run_id),
        absl::StrCat("counting evaluations of fitter '", Sv(fitter_id), "'"));
  });
}

}  // namespace cellfit::storage
