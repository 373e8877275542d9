// The plain values that storage reads and writes. They mirror the tables (see
// schema.cc) and know nothing of protobuf: whatever the server needs to keep
// as a message (a fitter's spec, a run's optimizer/metric/bounds config, an
// optimizer checkpoint) travels here as serialized bytes.
#ifndef CELLFIT_STORAGE_RECORDS_H_
#define CELLFIT_STORAGE_RECORDS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cellfit::storage {

// Which brian2modelfitting fitter a fitter behaves as. Stored as text
// ("trace", ...) so that the file reads well in the sqlite3 shell and does not
// depend on the numbering of the proto enum.
enum class FitterKind { kTrace, kSpike, kOnlineTrace };

// The lifecycle of a fitter; stored as text ("idle", "running", ...).
enum class FitterState { kIdle, kRunning, kCancelled, kFailed };

std::string_view FitterKindName(FitterKind kind);
std::string_view FitterStateName(FitterState state);
absl::StatusOr<FitterKind> ParseFitterKind(std::string_view name);
absl::StatusOr<FitterState> ParseFitterState(std::string_view name);

// What the server knows when it creates a fitter. Storage stamps the creation
// time and starts the fitter in state kIdle.
struct NewFitter {
  std::string id;  // chosen by the server; unique, non-empty
  std::string owner;
  std::string name;
  FitterKind kind = FitterKind::kTrace;
  int64_t n_samples = 0;
  int64_t n_traces = 0;
  int64_t n_steps = 0;
  std::string method;                        // the integration method in use
  std::vector<std::string> parameter_names;  // the model's fitted parameters
  std::string spec;                          // serialized cellfit.v1.FitterSpec
};

// A run of a fitter: one optimizer's life, from the fitter's first Fit or a
// restart until the next restart, with its progress so far.
struct RunRecord {
  int64_t id = 0;  // unique in the database, never reused
  std::string fitter_id;
  int64_t index = 0;  // 0, 1, 2, ... within the fitter
  absl::Time started;
  std::string optimizer;  // e.g. "DE", "CMAES", "LN_BOBYQA"
  // The order of the values in every evaluation's params/objectives of this
  // run.
  std::vector<std::string> parameter_names;
  std::vector<std::string> output_names;
  std::string config;  // serialized optimizer, metric and bounds specs
  int64_t start_iteration = 0;
  int64_t rounds_done = 0;
  int64_t evaluations = 0;
  // The lowest error recorded in this run (NaN errors never win), with the
  // round it came from and its parameters; empty until a round has a number.
  std::optional<double> best_error;
  std::optional<int64_t> best_round;
  std::vector<double> best_params;
};

// What the server knows when it starts a run. Storage assigns id and index.
struct NewRun {
  std::string optimizer;
  std::vector<std::string> parameter_names;
  std::vector<std::string> output_names;
  std::string config;
  int64_t start_iteration = 0;
};

// A fitter as listings show it. The spec is not part of it (it holds the
// input and output traces and can be megabytes): see Database::LoadFitterSpec.
struct FitterRecord {
  std::string id;
  std::string owner;
  std::string name;
  FitterKind kind = FitterKind::kTrace;
  FitterState state = FitterState::kIdle;
  absl::Time created;
  absl::Time updated;  // last change of state
  int64_t n_samples = 0;
  int64_t n_traces = 0;
  int64_t n_steps = 0;
  std::string method;
  std::vector<std::string> parameter_names;
  std::string error;  // why the last fit failed; empty otherwise
  // The run with the highest index, if any run was started.
  std::optional<RunRecord> current_run;
};

// One evaluated parameter set.
struct Evaluation {
  int64_t sample = 0;          // index of the candidate within its round
  std::vector<double> params;  // in the run's parameter_names order
  // The total error. NaN is stored as SQL NULL (SQLite's rule for NaN) and
  // read back as a quiet NaN; every other double, -0.0 and infinities
  // included, comes back bit for bit.
  double error = 0;
  std::vector<double>
      objectives;  // per output, in the run's output_names order
};

// Everything a completed round writes, in one transaction.
struct RoundInput {
  int64_t round = 0;  // must be the run's rounds_done: rounds are gapless
  int64_t iteration = 0;
  double seconds = 0;  // wall time of the round on the server
  std::vector<Evaluation> evaluations;
  // The optimizer's state after it was told this round's errors. Resuming a
  // run needs it for its last round; absent only for rounds that have no
  // optimizer behind them.
  std::optional<std::string> checkpoint;
};

// A recorded round.
struct RoundRecord {
  int64_t run_id = 0;
  int64_t round = 0;
  int64_t iteration = 0;
  double seconds = 0;
  absl::Time completed;
  // Best of the run so far, as after this round.
  std::optional<double> best_error;
  std::vector<double> best_params;
  // Filled by Database::ListRounds when asked for, ordered by sample.
  std::vector<Evaluation> evaluations;
};

// An optimizer's state after a round.
struct Checkpoint {
  int64_t run_id = 0;
  int64_t round = 0;
  std::string state;
};

// Identifies one evaluation row; rows are ordered by (run_id, round, sample).
struct EvaluationKey {
  int64_t run_id = 0;
  int64_t round = 0;
  int64_t sample = 0;
  bool operator==(const EvaluationKey&) const = default;
};

// Which evaluations to read.
struct EvaluationQuery {
  std::string fitter_id;
  std::optional<int64_t> run_id;  // one run of the fitter; absent: every run
  // Keyset paging: only rows after this key (the `next` of the previous page).
  std::optional<EvaluationKey> after;
  int64_t limit = 0;  // at most this many rows; 0: no limit
};

// Evaluations as columns, the shape Results sends. Parameter and output
// columns are the union over the runs the query covers, in order of first
// appearance, the same for every page; a row whose run lacks a column has NaN.
struct EvaluationColumns {
  std::vector<std::string> parameter_names;
  std::vector<std::string> output_names;
  std::vector<int64_t> run_id;
  std::vector<int64_t> run_index;
  std::vector<int64_t> round;
  std::vector<int64_t> iteration;
  std::vector<int64_t> sample;
  std::vector<std::vector<double>> params;  // params[parameter][row]
  std::vector<double> error;
  std::vector<std::vector<double>> objectives;  // objectives[output][row]
  // Set when `limit` cut the result short: pass it as the next query's `after`.
  std::optional<EvaluationKey> next;

  size_t size() const { return sample.size(); }
};

// One applied schema migration, from the migration log.
struct AppliedMigration {
  int version = 0;
  std::string name;
  absl::Time applied;
};

}  // namespace cellfit::storage

#endif  // CELLFIT_STORAGE_RECORDS_H_
