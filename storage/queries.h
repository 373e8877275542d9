// Internal to storage: the column lists, row decoders and lookups that the
// files implementing Database (fitters.cc, runs.cc, rounds.cc,
// evaluations.cc) share. Each function runs on a connection the caller holds,
// inside the caller's transaction if it has one.
#ifndef CELLFIT_STORAGE_QUERIES_H_
#define CELLFIT_STORAGE_QUERIES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "storage/connection.h"
#include "storage/records.h"
#include "storage/statement.h"

namespace cellfit::storage::internal {

// The columns of a run, as selected from `runs r`; decoded by ReadRunRow.
inline constexpr char kRunColumns[] =
    "r.id, r.fitter_id, r.run_index, r.started_us, r.optimizer, "
    "r.parameter_names, r.output_names, r.config, r.start_iteration, "
    "r.rounds_done, r.evaluations, r.best_round, r.best_error, r.best_params";
inline constexpr int kRunColumnCount = 14;

// The columns of a fitter, as selected from `fitters f`; see ReadFitterRow.
inline constexpr char kFitterColumns[] =
    "f.id, f.owner, f.name, f.kind, f.state, f.created_us, f.updated_us, "
    "f.n_samples, f.n_traces, f.n_steps, f.method, f.parameter_names, f.error";
inline constexpr int kFitterColumnCount = 13;

// The run of the current row starting at column `first`.
absl::StatusOr<RunRecord> ReadRunRow(const Statement& row, int first);

// The fitter of the current row starting at column `first`; when the columns
// after it hold a run (a LEFT JOIN that may have found none), that run too.
absl::StatusOr<FitterRecord> ReadFitterRow(const Statement& row, int first,
                                           bool with_run);

// A REAL-or-NULL column: NULL is nullopt.
std::optional<double> ReadOptionalDouble(const Statement& row, int column);
// An error column: NULL (a NaN when it was written) is NaN.
double ReadError(const Statement& row, int column);
// Binds an optional double; nullopt and NaN bind NULL.
void BindOptionalDouble(Statement& statement, int index,
                        std::optional<double> value);

// NotFound unless the fitter exists.
absl::Status CheckFitterExists(Connection& db, std::string_view fitter_id);
// The run, or NotFound.
absl::StatusOr<RunRecord> LoadRun(Connection& db, int64_t run_id);
// Every run of the fitter by index (empty when none; the fitter is not
// checked).
absl::StatusOr<std::vector<RunRecord>> LoadRuns(Connection& db,
                                                std::string_view fitter_id);

// InvalidArgument if a name is empty or repeated; `what` names the list.
absl::Status CheckNames(absl::Span<const std::string> names,
                        std::string_view what);

}  // namespace cellfit::storage::internal

#endif  // CELLFIT_STORAGE_QUERIES_H_
