// Reading recorded traces and spike times from CSV files.
//
// Trace files come in two layouts, told apart by their first row:
// - indexed (pandas' DataFrame.to_csv, the layout of brian2modelfitting's
//   example data): a header row whose first cell is empty or not a number
//   (the step indices follow it), then one row per trace that starts with
//   the trace's index, 0, 1, 2, ... in order;
// - plain: one trace per row, numbers only. A first row that is exactly
//   0, 1, ..., n-1 is taken as a header of step indices and skipped.
// Spike files hold `trace,time` rows, one spike each, with an optional header
// row; traces without spikes simply have no rows.
//
// Errors name the file, the line and the column: "v.csv:3:17: ...".
#ifndef CELLFIT_CLIENT_TRACE_CSV_H_
#define CELLFIT_CLIENT_TRACE_CSV_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace cellfit::client {

enum class TraceLayout { kIndexed, kPlain };

struct TraceTable {
  uint32_t n_traces = 0;
  uint32_t n_steps = 0;
  std::vector<double> values;  // row-major, n_traces * n_steps
  TraceLayout layout = TraceLayout::kPlain;
};

// `name` is how errors refer to the text (usually the file name).
absl::StatusOr<TraceTable> ParseTraceCsv(std::string_view text,
                                         std::string_view name);
absl::StatusOr<TraceTable> ReadTraceCsv(const std::filesystem::path& path);

// Spike times per trace, ascending, multiplied by `seconds_per_unit` (the
// file's time unit in seconds). `n_traces` is the number of traces (trace
// indices must be below it).
absl::StatusOr<std::vector<std::vector<double>>> ParseSpikeCsv(
    std::string_view text, std::string_view name, uint32_t n_traces,
    double seconds_per_unit);
absl::StatusOr<std::vector<std::vector<double>>> ReadSpikeCsv(
    const std::filesystem::path& path, uint32_t n_traces,
    double seconds_per_unit);

// The whole file, or NOT_FOUND naming it and why it cannot be read.
absl::StatusOr<std::string> ReadWholeFile(const std::filesystem::path& path);

}  // namespace cellfit::client

#endif  // CELLFIT_CLIENT_TRACE_CSV_H_
