#include "client/cli/job_diagnostics.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace cellfit::client::cli {
namespace {

// A field the job file does not spell out (e.g. "n_samples" given by a
// default) keeps its name in the message.
std::string Located(const Job& job, const std::string& field, int line,
                    int column, std::string_view message) {
  if (job.origins.count(field) == 0) {
    return absl::StrCat(job.path.string(),
                        ": error: ", field.empty() ? "" : field + ": ",
                        std::string(message));
  }
  return absl::StrCat(JobFilePosition(job, field, line, column),
                      ": error: ", std::string(message));
}

}  // namespace

std::string LocateDiagnostic(const Job& job,
                             const cellfit::v1::Diagnostic& diagnostic) {
  const cellfit::v1::SourcePosition& position = diagnostic.position();
  return Located(job, position.field(), static_cast<int>(position.line()),
                 static_cast<int>(position.column()), diagnostic.message());
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
