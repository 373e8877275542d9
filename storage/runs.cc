// Database: runs.
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/absl_compat.h"
#include "storage/database.h"
#include "storage/name_list.h"
#include "storage/queries.h"
#include "storage/sqlite_status.h"
#include "storage/status_macros.h"

namespace cellfit::storage {
namespace {

absl::StatusOr<RunRecord> StartRunOn(Connection& db, std::string_view fitter_id,
                                     const NewRun& run) {
  STORAGE_ASSIGN_OR_RETURN(Transaction transaction,
                           Transaction::Begin(db, Transaction::Mode::kWrite));
  STORAGE_RETURN_IF_ERROR(internal::CheckFitterExists(db, fitter_id));
  int64_t index = 0;
  {
    // Inside the write transaction, so no other writer can take the index.
    STORAGE_ASSIGN_OR_RETURN(
        ScopedStatement next,
        db.Prepare("SELECT coalesce(max(run_index) + 1, 0) FROM runs "
                   "WHERE fitter_id = ?1"));
    next->BindText(1, fitter_id);
    STORAGE_ASSIGN_OR_RETURN(bool row, next->Step());
    if (row) index = next->ColumnInt64(0);
  }
  {
    STORAGE_ASSIGN_OR_RETURN(
        ScopedStatement insert,
        db.Prepare("INSERT INTO runs (fitter_id, run_index, started_us, "
                   "optimizer, parameter_names, output_names, start_iteration, "
                   "config) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    insert->BindText(1, fitter_id)
        .BindInt64(2, index)
        .BindInt64(3, absl::ToUnixMicros(absl::Now()))
        .BindText(4, run.optimizer)
        .BindText(5, EncodeNameList(run.parameter_names))
        .BindText(6, EncodeNameList(run.output_names))
        .BindInt64(7, run.start_iteration)
        .BindBlob(8, run.config);
    STORAGE_RETURN_IF_ERROR(insert->Run());
  }
  const int64_t run_id = db.last_insert_rowid();
  STORAGE_ASSIGN_OR_RETURN(RunRecord record, internal::LoadRun(db, run_id));
  STORAGE_RETURN_IF_ERROR(transaction.Commit());
  return record;
}

}  // namespace

absl::StatusOr<RunRecord> Database::StartRun(std::string_view fitter_id,
                                             const NewRun& run) {
  const std::string context =
      absl::StrCat("starting a run of fitter '", Sv(fitter_id), "'");
  STORAGE_RETURN_IF_ERROR(WithContext(
      internal::CheckNames(run.parameter_names, "parameter names"), context));
  STORAGE_RETURN_IF_ERROR(WithContext(
      internal::CheckNames(run.output_names, "output names"), context));
  return WithWriter([&](Connection& db) {
    return WithContext(StartRunOn(db, fitter_id, run), context);
  });
}

absl::Status Database::SetRunConfig(int64_t run_id, std::string_view config) {
  return WithWriter([&](Connection& db) -> absl::Status {
    STORAGE_ASSIGN_OR_RETURN(
        ScopedStatement update,
        db.Prepare("UPDATE runs SET config = ?1 WHERE id = ?2"));
    update->BindBlob(1, config).BindInt64(2, run_id);
    STORAGE_RETURN_IF_ERROR(update->Run());
    if (db.changes() == 0) {
      return absl::NotFoundError(absl::StrCat("no run ", run_id));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<RunRecord> Database::GetRun(int64_t run_id) const {
  return WithReader(
      [&](Connection& db) { return internal::LoadRun(db, run_id); });
}

absl::StatusOr<std::vector<RunRecord>> Database::ListRuns(
    std::string_view fitter_id) const {
  return WithReader(
      [&](Connection& db) -> absl::StatusOr<std::vector<RunRecord>> {
        STORAGE_ASSIGN_OR_RETURN(
            Transaction snapshot,
            Transaction::Begin(db, Transaction::Mode::kRead));
        STORAGE_RETURN_IF_ERROR(internal::CheckFitterExists(db, fitter_id));
        STORAGE_ASSIGN_OR_RETURN(std::vector<RunRecord> runs,
                                 internal::LoadRuns(db, fitter_id));
        STORAGE_RETURN_IF_ERROR(snapshot.Commit());
        return runs;
      });
}

}  // namespace cellfit::storage
