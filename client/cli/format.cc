#include "client/cli/format.h"

#include <algorithm>
#include <cmath>
#include <ostream>

#include "absl/strings/str_format.h"

namespace cellfit::client::cli {

void PrintTable(std::ostream& out,
                const std::vector<std::vector<std::string>>& rows, int indent) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line(static_cast<size_t>(indent), ' ');
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size())
        line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

std::string ExactNumber(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return absl::StrFormat("%.17g", value);
}

std::string HumanDuration(double seconds) {
  if (!(seconds >= 0)) return "?";
  if (seconds < 1) return absl::StrFormat("%.0f ms", seconds * 1e3);
  if (seconds < 60) return absl::StrFormat("%.1f s", seconds);
  auto whole = static_cast<long long>(std::floor(seconds));
  if (whole < 3600)
    return absl::StrFormat("%d min %d s", whole / 60, whole % 60);
  if (whole < 86400) {
    return absl::StrFormat("%d h %d min", whole / 3600, whole % 3600 / 60);
  }
  return absl::StrFormat("%d d %d h", whole / 86400, whole % 86400 / 3600);
}

}  // namespace cellfit::client::cli
