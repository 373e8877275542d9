// Database: recording rounds (with their evaluations and checkpoint), reading
// them back, and checkpoints.
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "storage/database.h"
#include "storage/double_blob.h"
#include "storage/queries.h"
#include "storage/sqlite_status.h"
#include "storage/status_macros.h"

namespace cellfit::storage {
namespace {

absl::Status CheckRound(const RunRecord& run, const RoundInput& round) {
  if (round.round < run.rounds_done) {
    return absl::AlreadyExistsError(
        absl::StrCat("round ", round.round, " is already recorded (",
                     run.rounds_done, " rounds done)"));
  }
  if (round.round > run.rounds_done) {
    return absl::FailedPreconditionError(
        absl::StrCat("rounds are recorded in order: the next is round ",
                     run.rounds_done, ", not ", round.round));
  }
  for (const Evaluation& evaluation : round.evaluations) {
    if (evaluation.params.size() != run.parameter_names.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "evaluation of sample ", evaluation.sample, " has ",
          evaluation.params.size(), " parameter values; the run has ",
          run.parameter_names.size(), " parameters (",
          absl::StrJoin(run.parameter_names, ", "), ")"));
    }
    if (evaluation.objectives.size() != run.output_names.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "evaluation of sample ", evaluation.sample, " has ",
          evaluation.objectives.size(), " objective errors; the run has ",
          run.output_names.size(), " outputs (",
          absl::StrJoin(run.output_names, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

// The run's best after `round`: the lowest error, NaN never wins, on a tie the
// earlier row stays.
void UpdateBest(const RoundInput& round, RunRecord& run) {
  for (const Evaluation& evaluation : round.evaluations) {
    if (std::isnan(evaluation.error)) continue;
    if (!run.best_error.has_value() || evaluation.error < *run.best_error) {
      run.best_error = evaluation.error;
      run.best_round = round.round;
      run.best_params = evaluation.params;
    }
  }
}

// Writes one round of `run` (loaded in this transaction) and advances `run`
// in memory past it; the run's row is updated once for all the rounds.
absl::Status WriteRound(Connection& db, RunRecord& run,
                        const RoundInput& round) {
  STORAGE_RETURN_IF_ERROR(CheckRound(run, round));
  UpdateBest(round, run);
  {
    STORAGE_ASSIGN_OR_RETURN(
        ScopedStatement insert,
        db.Prepare("INSERT INTO rounds (run_id, round, iteration, seconds, "
                   "completed_us, best_error, best_params) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    insert->BindInt64(1, run.id)
        .BindInt64(2, round.round)
        .BindInt64(3, round.iteration)
        .BindDouble(4, round.seconds)
        .BindInt64(5, absl::ToUnixMicros(absl::Now()));
    internal::BindOptionalDouble(*insert, 6, run.best_error);
    if (run.best_error.has_value()) {
      insert->BindBlob(7, EncodeDoubles(run.best_params));
    } else {
      insert->BindNull(7);
    }
    STORAGE_RETURN_IF_ERROR(insert->Run());
  }
  {
    STORAGE_ASSIGN_OR_RETURN(
        ScopedStatement insert,
        db.Prepare("INSERT INTO evaluations (run_id, round, sample, error, "
                   "params, objectives) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    for (const Evaluation& evaluation : round.evaluations) {
      insert->BindInt64(1, run.id)
          .BindInt64(2, round.round)
          .BindInt64(3, evaluation.sample)
          .BindDouble(4, evaluation.error)  // NaN binds NULL
          .BindBlob(5, EncodeDoubles(evaluation.params))
          .BindBlob(6, EncodeDoubles(evaluation.objectives));
      STORAGE_RETURN_IF_ERROR(WithContext(
          insert->Run(),
          absl::StrCat("evaluation of sample ", evaluation.sample)));
      insert->Reset();
    }
  }
  if (round.checkpoint.has_value()) {
    STORAGE_ASSIGN_OR_RETURN(
        ScopedStatement insert,
        db.Prepare("INSERT INTO checkpoints (run_id, round, state) "
                   "VALUES (?1, ?2, ?3)"));
    insert->BindInt64(1, run.id)
        .BindInt64(2, round.round)
        .BindBlob(3, *round.checkpoint);
    STORAGE_RETURN_IF_ERROR(insert->Run());
  }
  run.rounds_done = round.round + 1;
  run.evaluations += static_cast<int64_t>(round.evaluations.size());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RunRecord>> RecordRoundsOn(
    Connection& db, int64_t run_id, absl::Span<const RoundInput* const> rounds,
    int checkpoints_kept) {
  STORAGE_ASSIGN_OR_RETURN(Transaction transaction,
                           Transaction::Begin(db, Transaction::Mode::kWrite));
  STORAGE_ASSIGN_OR_RETURN(RunRecord run, internal::LoadRun(db, run_id));
  std::vector<RunRecord> after;
  bool checkpointed = false;
  for (const RoundInput* round : rounds) {
    STORAGE_RETURN_IF_ERROR(WithContext(
        WriteRound(db, run, *round),
        absl::StrCat("recording round ", round->round, " of run ", run_id)));
    checkpointed = checkpointed || round->checkpoint.has_value();
    after.push_back(run);
  }
  {
    STORAGE_ASSIGN_OR_RETURN(
        ScopedStatement update,
        db.Prepare("UPDATE runs SET rounds_done = ?2, evaluations = ?3, "
                   "best_round = ?4, best_error = ?5, best_params = ?6 "
                   "WHERE id = ?1"));
    update->BindInt64(1, run_id)
        .BindInt64(2, run.rounds_done)
        .BindInt64(3, run.evaluations);
    if (run.best_error.has_value()) {
      update->BindInt64(4, *run.best_round)
          .BindBlob(6, EncodeDoubles(run.best_params));
    } else {
      update->BindNull(4).BindNull(6);
    }
    internal::BindOptionalDouble(*update, 5, run.best_error);
    STORAGE_RETURN_IF_ERROR(update->Run());
  }
  if (checkpointed && checkpoints_kept > 0) {
    STORAGE_ASSIGN_OR_RETURN(
        ScopedStatement prune,
        db.Prepare("DELETE FROM checkpoints WHERE run_id = ?1 AND id NOT IN "
                   "(SELECT id FROM checkpoints WHERE run_id = ?1 "
                   "ORDER BY round DESC LIMIT ?2)"));
    prune->BindInt64(1, run_id).BindInt64(2, checkpoints_kept);
    STORAGE_RETURN_IF_ERROR(prune->Run());
  }
  STORAGE_RETURN_IF_ERROR(transaction.Commit());
  return after;
}

absl::StatusOr<std::vector<RoundRecord>> ListRoundsOn(Connection& db,
                                                      int64_t run_id,
                                                      int64_t from_round,
                                                      RoundDetail detail) {
  // One snapshot: the rounds and their evaluations agree even while the
  // writer records the next round.
  STORAGE_ASSIGN_OR_RETURN(Transaction snapshot,
                           Transaction::Begin(db, Transaction::Mode::kRead));
  STORAGE_RETURN_IF_ERROR(internal::LoadRun(db, run_id).status());
  std::vector<RoundRecord> rounds;
  {
    STORAGE_ASSIGN_OR_RETURN(
        ScopedStatement select,
        db.Prepare("SELECT round, iteration, seconds, completed_us, "
                   "best_error, best_params FROM rounds WHERE run_id = ?1 "
                   "AND round >= ?2 ORDER BY round"));
    select->BindInt64(1, run_id).BindInt64(2, from_round);
    while (true) {
      STORAGE_ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      RoundRecord& round = rounds.emplace_back();
      round.run_id = run_id;
      round.round = select->ColumnInt64(0);
      round.iteration = select->ColumnInt64(1);
      round.seconds = select->ColumnDouble(2);
      round.completed = absl::FromUnixMicros(select->ColumnInt64(3));
      round.best_error = internal::ReadOptionalDouble(*select, 4);
      if (!select->IsNull(5)) {
        STORAGE_ASSIGN_OR_RETURN(round.best_params,
                                 DecodeDoubles(select->ColumnBlob(5)));
      }
    }
  }
  if (detail == RoundDetail::kWithEvaluations && !rounds.empty()) {
    STORAGE_ASSIGN_OR_RETURN(
        ScopedStatement select,
        db.Prepare("SELECT round, sample, error, params, objectives FROM "
                   "evaluations WHERE run_id = ?1 AND round >= ?2 "
                   "ORDER BY round, sample"));
    select->BindInt64(1, run_id).BindInt64(2, from_round);
    // Both lists are ordered by round: walk them together.
    size_t r = 0;
    while (true) {
      STORAGE_ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      const int64_t round = select->ColumnInt64(0);
      while (r < rounds.size() && rounds[r].round < round) ++r;
      if (r == rounds.size() || rounds[r].round != round) {
        return absl::DataLossError(absl::StrCat("run ", run_id,
                                                ": evaluations of round ",
                                                round, " without a round row"));
      }
      Evaluation& evaluation = rounds[r].evaluations.emplace_back();
      evaluation.sample = select->ColumnInt64(1);
      evaluation.error = internal::ReadError(*select, 2);
      STORAGE_ASSIGN_OR_RETURN(evaluation.params,
                               DecodeDoubles(select->ColumnBlob(3)));
      STORAGE_ASSIGN_OR_RETURN(evaluation.objectives,
                               DecodeDoubles(select->ColumnBlob(4)));
    }
  }
  STORAGE_RETURN_IF_ERROR(snapshot.Commit());
  return rounds;
}

absl::StatusOr<Checkpoint> LatestCheckpointOn(Connection& db, int64_t run_id) {
  STORAGE_ASSIGN_OR_RETURN(Transaction snapshot,
                           Transaction::Begin(db, Transaction::Mode::kRead));
  STORAGE_RETURN_IF_ERROR(internal::LoadRun(db, run_id).status());
  Checkpoint checkpoint;
  checkpoint.run_id = run_id;
  {
    STORAGE_ASSIGN_OR_RETURN(
        ScopedStatement select,
        db.Prepare("SELECT round, state FROM checkpoints WHERE run_id = ?1 "
                   "ORDER BY round DESC LIMIT 1"));
    select->BindInt64(1, run_id);
    STORAGE_ASSIGN_OR_RETURN(bool found, select->Step());
    if (!found) {
      return absl::NotFoundError(
          absl::StrCat("run ", run_id, " has no checkpoint"));
    }
    checkpoint.round = select->ColumnInt64(0);
    checkpoint.state = std::string(select->ColumnBlob(1));
  }  // the statement is reset before the snapshot ends
  STORAGE_RETURN_IF_ERROR(snapshot.Commit());
  return checkpoint;
}

}  // namespace

absl::StatusOr<RunRecord> Database::RecordRound(int64_t run_id,
                                                const RoundInput& round) {
  const RoundInput* const rounds[] = {&round};
  STORAGE_ASSIGN_OR_RETURN(std::vector<RunRecord> after,
                           RecordRounds(run_id, rounds));
  return std::move(after.back());
}

absl::StatusOr<std::vector<RunRecord>> Database::RecordRounds(
    int64_t run_id, absl::Span<const RoundInput* const> rounds) {
  if (rounds.empty()) {
    return absl::InvalidArgumentError("no rounds to record");
  }
  const int checkpoints_kept = options_.checkpoints_kept;
  return WithWriter([&](Connection& db) {
    return RecordRoundsOn(db, run_id, rounds, checkpoints_kept);
  });
}

absl::StatusOr<std::vector<RoundRecord>> Database::ListRounds(
    int64_t run_id, int64_t from_round, RoundDetail detail) const {
  return WithReader([&](Connection& db) {
    return ListRoundsOn(db, run_id, from_round, detail);
  });
}

absl::StatusOr<Checkpoint> Database::LatestCheckpoint(int64_t run_id) const {
  return WithReader(
      [&](Connection& db) { return LatestCheckpointOn(db, run_id); });
}

}  // namespace cellfit::storage
