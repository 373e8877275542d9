// Database: fitters.
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

// A fitter with its current run (the one with the highest index), or none.
std::string SelectFitters(std::string_view where) {
  return absl::StrCat(
      "SELECT ", internal::kFitterColumns, ", ", internal::kRunColumns,
      " FROM fitters f LEFT JOIN runs r ON r.fitter_id = f.id AND r.run_index ="
      " (SELECT max(run_index) FROM runs WHERE fitter_id = f.id) WHERE ",
      Sv(where));
}

absl::StatusOr<std::vector<FitterRecord>> ReadFitters(Statement& select) {
  std::vector<FitterRecord> fitters;
  while (true) {
    STORAGE_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    STORAGE_ASSIGN_OR_RETURN(FitterRecord fitter,
                             internal::ReadFitterRow(select, 0, true));
    fitters.push_back(std::move(fitter));
  }
  return fitters;
}

absl::Status CheckNewFitter(const NewFitter& fitter) {
  if (fitter.id.empty()) {
    return absl::InvalidArgumentError("the fitter id is empty");
  }
  if (fitter.n_samples < 1 || fitter.n_traces < 0 || fitter.n_steps < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "n_samples (", fitter.n_samples, ") must be at least 1, n_traces (",
        fitter.n_traces, ") and n_steps (", fitter.n_steps, ") not negative"));
  }
  return internal::CheckNames(fitter.parameter_names, "parameter names");
}

absl::StatusOr<FitterRecord> GetFitterOn(Connection& db,
                                         std::string_view fitter_id) {
  STORAGE_ASSIGN_OR_RETURN(ScopedStatement select,
                           db.Prepare(SelectFitters("f.id = ?1")));
  select->BindText(1, fitter_id);
  STORAGE_ASSIGN_OR_RETURN(std::vector<FitterRecord> fitters,
                           ReadFitters(*select));
  if (fitters.empty()) {
    return absl::NotFoundError(
        absl::StrCat("fitter '", Sv(fitter_id), "' not found"));
  }
  return std::move(fitters.front());
}

}  // namespace

absl::StatusOr<FitterRecord> Database::CreateFitter(const NewFitter& fitter) {
  const std::string context = absl::StrCat("creating fitter '", fitter.id, "'");
  STORAGE_RETURN_IF_ERROR(WithContext(CheckNewFitter(fitter), context));
  return WithWriter([&](Connection& db) -> absl::StatusOr<FitterRecord> {
    absl::Status status = [&]() -> absl::Status {
      STORAGE_ASSIGN_OR_RETURN(
          Transaction transaction,
          Transaction::Begin(db, Transaction::Mode::kWrite));
      const int64_t now = absl::ToUnixMicros(absl::Now());
      {
        STORAGE_ASSIGN_OR_RETURN(
            ScopedStatement insert,
            db.Prepare(
                "INSERT INTO fitters (id, owner, name, kind, state, "
                "created_us, updated_us, n_samples, n_traces, n_steps, "
                "method, parameter_names, error) VALUES "
                "(?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11, '')"));
        insert->BindText(1, fitter.id)
            .BindText(2, fitter.owner)
            .BindText(3, fitter.name)
            .BindText(4, FitterKindName(fitter.kind))
            .BindText(5, FitterStateName(FitterState::kIdle))
            .BindInt64(6, now)
            .BindInt64(7, fitter.n_samples)
            .BindInt64(8, fitter.n_traces)
            .BindInt64(9, fitter.n_steps)
            .BindText(10, fitter.method)
            .BindText(11, EncodeNameList(fitter.parameter_names));
        STORAGE_RETURN_IF_ERROR(insert->Run());
      }
      {
        STORAGE_ASSIGN_OR_RETURN(
            ScopedStatement insert,
            db.Prepare("INSERT INTO fitter_specs (fitter_id, spec) "
                       "VALUES (?1, ?2)"));
        insert->BindText(1, fitter.id).BindBlob(2, fitter.spec);
        STORAGE_RETURN_IF_ERROR(insert->Run());
      }
      return transaction.Commit();
    }();
    if (!status.ok()) return WithContext(status, context);
    return WithContext(GetFitterOn(db, fitter.id), context);
  });
}

absl::StatusOr<FitterRecord> Database::GetFitter(
    std::string_view fitter_id) const {
  return WithReader([&](Connection& db) { return GetFitterOn(db, fitter_id); });
}

absl::StatusOr<std::string> Database::LoadFitterSpec(
    std::string_view fitter_id) const {
  return WithReader([&](Connection& db) -> absl::StatusOr<std::string> {
    STORAGE_ASSIGN_OR_RETURN(
        ScopedStatement select,
        db.Prepare("SELECT spec FROM fitter_specs WHERE fitter_id = ?1"));
    select->BindText(1, fitter_id);
    STORAGE_ASSIGN_OR_RETURN(bool found, select->Step());
    if (!found) {
      return absl::NotFoundError(
          absl::StrCat("fitter '", Sv(fitter_id), "' not found"));
    }
    return std::string(select->ColumnBlob(0));
  });
}

absl::StatusOr<std::vector<FitterRecord>> Database::ListFitters(
    std::string_view owner) const {
  return WithReader([&](Connection& db)
                        -> absl::StatusOr<std::vector<FitterRecord>> {
    STORAGE_ASSIGN_OR_RETURN(
        ScopedStatement select,
        db.Prepare(SelectFitters("f.owner = ?1 ORDER BY f.created_us, f.id")));
    select->BindText(1, owner);
    return ReadFitters(*select);
  });
}

absl::StatusOr<std::vector<FitterRecord>> Database::ListRunningFitters() const {
  return WithReader(
      [&](Connection& db) -> absl::StatusOr<std::vector<FitterRecord>> {
        STORAGE_ASSIGN_OR_RETURN(
            ScopedStatement select,
            db.Prepare(SelectFitters(
                "f.state = 'running' ORDER BY f.created_us, f.id")));
        return ReadFitters(*select);
      });
}

absl::Status Database::SetFitterState(std::string_view fitter_id,
                                      FitterState state,
                                      std::string_view error) {
  return WithWriter([&](Connection& db) -> absl::Status {
    absl::Status status = [&]() -> absl::Status {
      STORAGE_ASSIGN_OR_RETURN(
          ScopedStatement update,
          db.Prepare("UPDATE fitters SET state = ?2, error = ?3, "
                     "updated_us = ?4 WHERE id = ?1"));
      update->BindText(1, fitter_id)
          .BindText(2, FitterStateName(state))
          .BindText(3, error)
          .BindInt64(4, absl::ToUnixMicros(absl::Now()));
      return update->Run();
    }();
    if (!status.ok()) {
      return WithContext(
          status, absl::StrCat("setting the state of fitter '", Sv(fitter_id),
                               "' to ", Sv(FitterStateName(state))));
    }
    if (db.changes() == 0) {
      return absl::NotFoundError(
          absl::StrCat("fitter '", Sv(fitter_id), "' not found"));
    }
    return absl::OkStatus();
  });
}

absl::Status Database::DeleteFitter(std::string_view fitter_id) {
  return WithWriter([&](Connection& db) -> absl::Status {
    absl::Status status = [&]() -> absl::Status {
      STORAGE_ASSIGN_OR_RETURN(ScopedStatement remove,
                               db.Prepare("DELETE FROM fitters WHERE id = ?1"));
      remove->BindText(1, fitter_id);
      // One statement: the cascade to runs, rounds, evaluations and
      // checkpoints is part of it, so it is atomic on its own.
      return remove->Run();
    }();
    if (!status.ok()) {
      return WithContext(status,
                         absl::StrCat("deleting fitter '", Sv(fitter_id), "'"));
    }
    if (db.changes() == 0) {
      return absl::NotFoundError(
          absl::StrCat("fitter '", Sv(fitter_id), "' not found"));
    }
    return absl::OkStatus();
  });
}

}  // namespace cellfit::storage
