// What `cellfit generate` and `cellfit simulate` receive: the chunks of a
// Generate or Simulate stream put back together into whole variables, and
// written as CSV files in the layout of the input files (a header row of
// step indices, then one row per trace starting with its index) or, for
// spikes, as `trace,time` rows.
#ifndef CELLFIT_CLIENT_CLI_RECORDING_H_
#define CELLFIT_CLIENT_CLI_RECORDING_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cellfit/v1/fitting.pb.h"
#include "client/cli/units.h"
#include "client/client.h"

namespace cellfit::client::cli {

struct RecordedVariable {
  std::string name;  // "v", "spikes", "v_target", ...
  // For the recorded data of a fit's output: that output's variable.
  std::string target_of;
  Exponents exponents{};
  uint32_t n_traces = 0;
  uint32_t n_steps = 0;
  double dt = 0;  // seconds
  bool spikes = false;
  std::vector<double> values;               // traces: row-major, SI
  std::vector<std::vector<double>> trains;  // spikes: seconds, per trace

  const double* row(uint32_t trace) const {
    return values.data() + static_cast<size_t>(trace) * n_steps;
  }
};

class Recording {
 public:
  // Places a chunk; INTERNAL when it does not fit what came before (the
  // server broke the protocol) or is implausibly large.
  absl::Status Add(const cellfit::v1::GenerateChunk& chunk);

  const std::vector<RecordedVariable>& variables() const { return variables_; }
  const RecordedVariable* Find(const std::string& name) const;

 private:
  std::vector<RecordedVariable> variables_;
};

// Runs a Generate or Simulate call (`call` hands each chunk to its argument)
// and assembles its chunks; the call's error when it fails.
absl::StatusOr<Recording> ReadRecording(
    const std::function<absl::Status(
        const Client::OnMessage<cellfit::v1::GenerateChunk>&)>& call);

// The file for one variable: `out` itself when it is the only one, else
// out's stem plus "_NAME" ("fit.csv" -> "fit_v.csv", "fit_m.csv").
std::filesystem::path PathFor(const std::filesystem::path& out,
                              const std::string& variable, bool only_one);

// Values divided by `unit.scale` (SI when scale is 1), 17 significant digits
// so that SI values read back exactly.
absl::Status WriteTraceCsv(const RecordedVariable& variable,
                           const std::filesystem::path& path,
                           const DisplayUnit& unit);
// `trace,time` rows, time in seconds.
absl::Status WriteSpikeCsv(const RecordedVariable& variable,
                           const std::filesystem::path& path);

}  // namespace cellfit::client::cli

#endif  // CELLFIT_CLIENT_CLI_RECORDING_H_
