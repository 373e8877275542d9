// The cellfit database: one SQLite file in WAL mode holding fitters, their
// runs, every round and every evaluated parameter set, and optimizer
// checkpoints.
//
// Threads: every method may be called from any thread at any time. Writes go
// through one connection under a mutex (SQLite allows one writer at a time
// anyway); reads lease a connection from a small pool and, thanks to WAL, run
// beside the writer on a consistent snapshot without waiting for it. Every
// write is one transaction: a crash leaves each call's changes all there or
// not there at all.
//
// Errors: absl::Status with the object concerned and SQLite's message, e.g.
// NotFound for an unknown fitter or run, AlreadyExists for a duplicate id or
// a round recorded twice, InvalidArgument for a malformed record,
// FailedPrecondition for a database this build cannot use, Unavailable when
// the file stayed locked by another process for longer than the busy timeout.
#ifndef CELLFIT_STORAGE_DATABASE_H_
#define CELLFIT_STORAGE_DATABASE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "storage/connection.h"
#include "storage/connection_pool.h"
#include "storage/records.h"

namespace cellfit::storage {

struct DatabaseOptions {
  // How long a statement waits for a lock held by another connection or
  // process before it fails with Unavailable.
  absl::Duration busy_timeout = absl::Seconds(10);
  // Reader connections, opened on demand. 0: reads share the writer's
  // connection and its mutex (the only choice for ":memory:").
  int max_readers = 4;
  // true: synchronous=FULL, every commit is fsynced, so a recorded round
  // survives a power cut, not only a crash of the process. false:
  // synchronous=NORMAL, faster; the last commits may be lost on power loss,
  // the database stays consistent either way.
  bool durable = true;
  // Checkpoints kept per run, the latest ones; 0 keeps all. Only the latest is
  // needed to resume: an older one would replay rounds already recorded.
  int checkpoints_kept = 1;
};

// How much of each round Database::ListRounds returns.
enum class RoundDetail {
  kSummary,          // the round rows only
  kWithEvaluations,  // and every evaluation of each round
};

class Database {
 public:
  // Opens (creating it if needed) the database at `path`, switches it to WAL,
  // and applies the schema migrations it lacks. Refuses a file written by a
  // newer cellfit (its schema version is higher than this build's) and a
  // SQLite file of another application. ":memory:" gives a private in-memory
  // database (for tests; no readers, no WAL).
  static absl::StatusOr<std::unique_ptr<Database>> Open(
      std::string_view path, const DatabaseOptions& options = {});

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  const std::string& path() const { return path_; }
  const DatabaseOptions& options() const { return options_; }

  // The schema version after Open's migrations.
  int schema_version() const { return schema_version_; }
  // Versions that this Open applied, in order; empty when the file was up to
  // date.
  const std::vector<int>& migrations_applied_at_open() const {
    return migrations_applied_at_open_;
  }
  // The migration log: each applied migration, once, by version.
  absl::StatusOr<std::vector<AppliedMigration>> MigrationLog() const;
  // SQLite's journal mode of the file ("wal").
  absl::StatusOr<std::string> JournalMode() const;

  // --- Fitters --------------------------------------------------------------

  // Stores a new fitter, state kIdle, created now. AlreadyExists when the id is
  // taken.
  absl::StatusOr<FitterRecord> CreateFitter(const NewFitter& fitter);
  // The fitter with its current run (NotFound if there is none such).
  absl::StatusOr<FitterRecord> GetFitter(std::string_view fitter_id) const;
  // The fitter's serialized spec, as given to CreateFitter.
  absl::StatusOr<std::string> LoadFitterSpec(std::string_view fitter_id) const;
  // The fitters of `owner` only, oldest first, each with its current run.
  absl::StatusOr<std::vector<FitterRecord>> ListFitters(
      std::string_view owner) const;
  // Fitters left in state kRunning, of every owner: after a restart these are
  // the fits that the previous server process did not finish.
  absl::StatusOr<std::vector<FitterRecord>> ListRunningFitters() const;
  // Sets the state and the error text (empty clears it).
  absl::Status SetFitterState(std::string_view fitter_id, FitterState state,
                              std::string_view error = "");
  // Deletes the fitter and everything recorded for it.
  absl::Status DeleteFitter(std::string_view fitter_id);

  // --- Runs -----------------------------------------------------------------

  // Starts the fitter's next run (index 0 for the first). Parameter and output
  // names fix the order of the values of every evaluation of the run.
  absl::StatusOr<RunRecord> StartRun(std::string_view fitter_id,
                                     const NewRun& run);
  absl::StatusOr<RunRecord> GetRun(int64_t run_id) const;
  // Replaces the run's config (the server records each Fit call's settings,
  // such as how many rounds it asked for, to resume it after a restart).
  absl::Status SetRunConfig(int64_t run_id, std::string_view config);
  // Every run of the fitter, by index.
  absl::StatusOr<std::vector<RunRecord>> ListRuns(
      std::string_view fitter_id) const;

  // --- Rounds and checkpoints -----------------------------------------------

  // Records a completed round in one transaction: the round, every evaluation,
  // the run's progress (rounds_done, evaluations, best) and the checkpoint.
  // Either all of it is written or nothing. `round.round` must be the run's
  // rounds_done (AlreadyExists if lower, FailedPrecondition if higher); each
  // evaluation must have one value per parameter and per output of the run.
  // Returns the run as it stands after the round, with the best updated from
  // the rows (the lowest error; NaN never wins; on a tie the earlier row).
  absl::StatusOr<RunRecord> RecordRound(int64_t run_id,
                                        const RoundInput& round);
  // Records consecutive rounds in one transaction, each as RecordRound would
  // (all of them or none), and returns the run as it stands after each. One
  // commit for the rounds that wait while a fit runs faster than the
  // recorder is given a core.
  absl::StatusOr<std::vector<RunRecord>> RecordRounds(
      int64_t run_id, absl::Span<const RoundInput* const> rounds);
  // The run's rounds from `from_round` on, in order (for Watch replay).
  absl::StatusOr<std::vector<RoundRecord>> ListRounds(
      int64_t run_id, int64_t from_round,
      RoundDetail detail = RoundDetail::kSummary) const;
  // The newest checkpoint of the run; NotFound if it has none.
  absl::StatusOr<Checkpoint> LatestCheckpoint(int64_t run_id) const;

  // --- Evaluations ----------------------------------------------------------

  // Evaluations of one run or of every run of a fitter, as columns, ordered by
  // (run, round, sample), one snapshot per call. Page with `limit` and `after`.
  absl::StatusOr<EvaluationColumns> ReadEvaluations(
      const EvaluationQuery& query) const;
  // The number of evaluation rows of one run of the fitter, or of all its runs.
  absl::StatusOr<int64_t> CountEvaluations(
      std::string_view fitter_id,
      std::optional<int64_t> run_id = std::nullopt) const;

 private:
  Database(std::string path, DatabaseOptions options,
           std::unique_ptr<Connection> writer,
           std::unique_ptr<ConnectionPool> readers);

  // Runs `fn(Connection&)` on the writer connection, under the writer mutex.
  template <typename Fn>
  auto WithWriter(Fn&& fn) {
    absl::MutexLock lock(&writer_mu_);
    return fn(*writer_);
  }

  // Runs `fn(Connection&)` on a reader connection of the pool, or on the
  // writer's when there is no pool.
  template <typename Fn>
  auto WithReader(Fn&& fn) const -> decltype(fn(std::declval<Connection&>())) {
    if (readers_ == nullptr) {
      absl::MutexLock lock(&writer_mu_);
      return fn(*writer_);
    }
    absl::StatusOr<ConnectionPool::Lease> lease = readers_->Acquire();
    if (!lease.ok()) return lease.status();
    return fn(**lease);
  }

  const std::string path_;
  const DatabaseOptions options_;
  int schema_version_ = 0;
  std::vector<int> migrations_applied_at_open_;

  mutable absl::Mutex writer_mu_;
  const std::unique_ptr<Connection> writer_ ABSL_PT_GUARDED_BY(writer_mu_);
  const std::unique_ptr<ConnectionPool> readers_;  // null: read on the writer
};

}  // namespace cellfit::storage

#endif  // CELLFIT_STORAGE_DATABASE_H_
