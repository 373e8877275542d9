#include "client/cli/round_report.h"

#include <algorithm>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/format.h"
#include "client/cli/units.h"

namespace cellfit::client::cli {

absl::StatusOr<Callback> ParseCallback(std::string_view text) {
  if (text == "text") return Callback::kText;
  if (text == "progressbar") return Callback::kProgressBar;
  if (text == "none") return Callback::kNone;
  return absl::InvalidArgumentError(
      absl::StrCat("--callback: '", std::string(text),
                   "' is not a callback (expected text, progressbar or none)"));
}

std::string FormatParameterRow(const cellfit::v1::ParameterTable& table,
                               int row, std::string_view separator) {
  std::string text;
  for (const cellfit::v1::Column& column : table.columns()) {
    if (row >= column.values_size()) continue;
    if (!text.empty()) absl::StrAppend(&text, std::string(separator));
    absl::StrAppend(
        &text, column.name(), "=",
        FormatQuantity(column.values(row), ExponentsOf(column.dimension()), 4));
  }
  return text;
}

void PrintParameterTable(std::ostream& out,
                         const cellfit::v1::ParameterTable& table) {
  std::vector<std::vector<std::string>> rows;
  for (const cellfit::v1::Column& column : table.columns()) {
    if (column.values_size() == 0) continue;
    rows.push_back(
        {column.name(),
         FormatQuantity(column.values(0), ExponentsOf(column.dimension()), 6)});
  }
  PrintTable(out, rows, 2);
}

std::string FormatError(double error, const cellfit::v1::Dimension& dimension) {
  return FormatQuantity(error, ExponentsOf(dimension), 4);
}

RoundReporter::RoundReporter(Callback callback, std::ostream& out,
                             uint64_t total_rounds)
    : callback_(callback), out_(out), total_rounds_(total_rounds) {}

void RoundReporter::OnRound(const cellfit::v1::FitRound& round) {
  if (rounds_seen_++ == 0) first_round_ = round.round();
  server_seconds_ += round.seconds();
  last_ = round;
  const std::string best_error =
      FormatError(round.best_error(), round.error_dimension());
  switch (callback_) {
    case Callback::kText:
      out_ << "round " << round.round() << ": best error " << best_error
           << " | " << FormatParameterRow(round.best_params()) << " | "
           << absl::StrFormat("%.3f s", round.seconds()) << "\n";
      out_.flush();
      break;
    case Callback::kProgressBar: {
      constexpr int kWidth = 30;
      const uint64_t total = std::max(total_rounds_, rounds_seen_);
      const int filled =
          total == 0 ? kWidth : static_cast<int>(kWidth * rounds_seen_ / total);
      const double elapsed = absl::ToDoubleSeconds(absl::Now() - start_);
      out_ << "\r[" << std::string(filled, '#')
           << std::string(kWidth - filled, '.') << "] " << rounds_seen_ << "/"
           << total << " rounds | best error " << best_error << " | "
           << absl::StrFormat("%.1f rounds/s",
                              elapsed > 0 ? rounds_seen_ / elapsed : 0.0)
           << "   ";
      if (round.last()) out_ << "\n";
      out_.flush();
      break;
    }
    case Callback::kNone:
      break;
  }
}

void RoundReporter::Finish(std::string_view reason_override) {
  if (!last_) return;
  if (callback_ == Callback::kProgressBar && !last_->last()) out_ << "\n";
  const cellfit::v1::FitRound& last = *last_;
  out_ << "best error: "
       << FormatError(last.best_error(), last.error_dimension()) << "\n";
  out_ << "best parameters:\n";
  PrintParameterTable(out_, last.best_params());
  const std::string reason = !reason_override.empty()
                                 ? std::string(reason_override)
                             : last.stop_reason().empty() ? "ended"
                                                          : last.stop_reason();
  const std::string rounds =
      absl::StrCat(rounds_seen_, " round", rounds_seen_ == 1 ? "" : "s");
  if (total_rounds_ == 0) {
    // A watch ran none of these rounds and may have replayed them in
    // milliseconds: its own wall time says nothing about the fit.
    out_ << reason << ": " << rounds << " shown (run " << last.run()
         << ", rounds " << first_round_ << " to " << last.round()
         << "), which took " << HumanDuration(server_seconds_)
         << " on the server\n";
    return;
  }
  out_ << reason << ": " << rounds << " in this call (run " << last.run()
       << ", last round " << last.round() << "), "
       << HumanDuration(absl::ToDoubleSeconds(absl::Now() - start_))
       << " wall time, " << HumanDuration(server_seconds_)
       << " on the server\n";
}

}  // namespace cellfit::client::cli
