// How `cellfit fit` and `cellfit watch` show a fit's rounds:
// brian2modelfitting's callbacks 'text' (each round's best parameters and
// error), 'progressbar' (one line redrawn with the best error and rounds per
// second) and none (only the result at the end).
#ifndef CELLFIT_CLIENT_CLI_ROUND_REPORT_H_
#define CELLFIT_CLIENT_CLI_ROUND_REPORT_H_

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cellfit/v1/fitting.pb.h"

namespace cellfit::client::cli {

enum class Callback { kText, kProgressBar, kNone };

// "text", "progressbar" or "none"; INVALID_ARGUMENT otherwise.
absl::StatusOr<Callback> ParseCallback(std::string_view text);

// "gl=10.2 nS, Cm=0.203 nF": row `row` of the table in readable units.
std::string FormatParameterRow(const cellfit::v1::ParameterTable& table,
                               int row = 0, std::string_view separator = ", ");

// One row of parameters as an indented two-column table, 6 digits each.
void PrintParameterTable(std::ostream& out,
                         const cellfit::v1::ParameterTable& table);

// An error value with its dimension: "12.3 mV^2", "0.52".
std::string FormatError(double error, const cellfit::v1::Dimension& dimension);

class RoundReporter {
 public:
  // `total_rounds`: the rounds this call runs, for the bar and the summary.
  // A fit always runs at least one; 0 means the call runs none of its own
  // (`cellfit watch`, which replays recorded rounds and follows live ones),
  // and the summary then says what was shown rather than what was run.
  RoundReporter(Callback callback, std::ostream& out, uint64_t total_rounds);

  void OnRound(const cellfit::v1::FitRound& round);
  // The result: best error and parameters of the run, and why it ended.
  // Prints nothing if no round arrived. `reason` overrides the last round's
  // stop reason (e.g. "cancelled" when the call ended that way).
  void Finish(std::string_view reason = "");

  uint64_t rounds_seen() const { return rounds_seen_; }
  const std::optional<cellfit::v1::FitRound>& last() const { return last_; }

 private:
  const Callback callback_;
  std::ostream& out_;
  const uint64_t total_rounds_;
  const absl::Time start_ = absl::Now();
  uint64_t rounds_seen_ = 0;
  uint64_t first_round_ = 0;
  double server_seconds_ = 0;
  std::optional<cellfit::v1::FitRound> last_;
};

}  // namespace cellfit::client::cli

#endif  // CELLFIT_CLIENT_CLI_ROUND_REPORT_H_
