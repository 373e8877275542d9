#include "client/cli/job_diagnostics.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace cellfit::client::cli {
namespace {

// A field the job file does not spell out is shown at the nearest key it
// does that holds it ("bounds.Cm" missing: at [bounds]), naming the field;
// failing that (e.g. "n_samples" given by a default), at the file.
std::string Located(const Job& job, const std::string& field, int line,
                    int column, std::string_view message) {
  if (job.origins.count(field) > 0) {
    return absl::StrCat(JobFilePosition(job, field, line, column),
                        ": error: ", std::string(message));
  }
  std::string holder = field;
  while (!holder.empty() && job.origins.count(holder) == 0) {
    const size_t dot = holder.rfind('.');
    holder.resize(dot == std::string::npos ? 0 : dot);
  }
  const std::string where =
      holder.empty() ? job.path.string() : JobFilePosition(job, holder, 0, 0);
  return absl::StrCat(where, ": error: ", field.empty() ? "" : field + ": ",
                      std::string(message));
}

absl::Status DiagnosticsError(const Job& job,
                              const cellfit::v1::CheckModelResponse& response) {
  std::vector<std::string> lines;
  for (const cellfit::v1::Diagnostic& diagnostic : response.diagnostics()) {
    lines.push_back(LocateDiagnostic(job, diagnostic));
  }
  if (lines.empty()) {
    lines.push_back(
        absl::StrCat(job.path.string(), ": error: the model is invalid"));
  }
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

}  // namespace

std::string LocateDiagnostic(const Job& job,
                             const cellfit::v1::Diagnostic& diagnostic) {
  const cellfit::v1::SourcePosition& position = diagnostic.position();
  return Located(job, position.field(), static_cast<int>(position.line()),
                 static_cast<int>(position.column()), diagnostic.message());
}

absl::StatusOr<cellfit::v1::CheckModelResponse> CheckJob(
    Client& client, const Job& job, cellfit::v1::FitRequest& fit) {
  // Bare numbers in [bounds] need the parameters' units, which the model
  // check reports: that takes a first call, only when there are any.
  if (HasNumericBounds(fit)) {
    absl::StatusOr<cellfit::v1::CheckModelResponse> model =
        client.CheckModel(job.spec);
    if (!model.ok()) return LocateErrors(job, model.status());
    if (!model->ok()) return DiagnosticsError(job, *model);
    GiveNumericBoundsUnits(*model, fit);
  }
  absl::StatusOr<cellfit::v1::CheckModelResponse> response =
      client.CheckModel(job.spec, &fit);
  if (!response.ok()) return LocateErrors(job, response.status());
  if (!response->ok()) return DiagnosticsError(job, *response);
  return response;
}

absl::Status LocateErrors(const Job& job, const absl::Status& status) {
  if (status.ok()) return status;
  constexpr std::string_view kMarker = ": error: ";
  std::vector<std::string> lines =
      absl::StrSplit(std::string(status.message()), '\n');
  for (std::string& line : lines) {
    const size_t marker = line.find(kMarker);
    if (marker == std::string::npos) continue;
    std::vector<std::string> where =
        absl::StrSplit(line.substr(0, marker), ':');
    int row = 0;
    int column = 0;
    if (where.size() == 3 && absl::SimpleAtoi(where[1], &row) &&
        absl::SimpleAtoi(where[2], &column)) {
      where.resize(1);
    }
    if (where.size() != 1 || where[0].empty() ||
        where[0].find(' ') != std::string::npos) {
      continue;
    }
    line = Located(job, where[0], row, column,
                   line.substr(marker + kMarker.size()));
  }
  return absl::Status(status.code(), absl::StrJoin(lines, "\n"));
}

}  // namespace cellfit::client::cli
