#include "client/trace_csv.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace cellfit::client {
namespace {

// Enough for tens of millions of samples, small enough to refuse a file that
// is not what the user meant before it eats the memory.
constexpr size_t kMaxValues = size_t{1} << 28;

struct Cell {
  std::string_view text;  // trimmed
  size_t column = 0;      // 1-based character column of the cell's start
};

struct Line {
  std::string_view text;
  size_t number = 0;  // 1-based
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Non-blank lines with their numbers; a UTF-8 byte order mark is skipped.
std::vector<Line> SplitLines(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<Line> lines;
  size_t number = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    ++number;
    if (!Trim(line).empty()) lines.push_back({line, number});
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::vector<Cell> SplitCells(std::string_view line) {
  std::vector<Cell> cells;
  size_t start = 0;
  for (;;) {
    size_t comma = line.find(',', start);
    std::string_view raw = line.substr(start, comma == std::string_view::npos
                                                  ? std::string_view::npos
                                                  : comma - start);
    size_t lead = 0;
    while (lead < raw.size() && (raw[lead] == ' ' || raw[lead] == '\t')) {
      ++lead;
    }
    cells.push_back({Trim(raw), start + lead + 1});
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return cells;
}

std::optional<double> ParseNumber(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(),
                                      value, std::chars_format::general);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<int64_t> ParseIndex(std::string_view text) {
  int64_t value = 0;
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() ||
      text.empty()) {
    // pandas may write an integer index as "3.0".
    std::optional<double> number = ParseNumber(text);
    if (number.has_value() && *number == std::floor(*number) &&
        std::abs(*number) < 1e15) {
      return static_cast<int64_t>(*number);
    }
    return std::nullopt;
  }
  return value;
}

class CsvErrors {
 public:
  explicit CsvErrors(std::string_view name) : name_(name) {}
  absl::Status At(const Line& line, const Cell& cell, size_t field,
                  std::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(name_, ":", line.number, ":", cell.column, ": ",
                     std::string(message), " (field ", field, ")"));
  }
  absl::Status AtLine(const Line& line, std::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(name_, ":", line.number, ": ", std::string(message)));
  }
  absl::Status File(std::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(name_, ": ", std::string(message)));
  }

 private:
  std::string name_;
};

// A finite number, or an error pointing at the cell.
absl::StatusOr<double> Value(const CsvErrors& errors, const Line& line,
                             const Cell& cell, size_t field) {
  std::optional<double> value = ParseNumber(cell.text);
  if (!value.has_value()) {
    if (cell.text.empty()) return errors.At(line, cell, field, "empty value");
    return errors.At(line, cell, field,
                     absl::StrCat("'", std::string(cell.text.substr(0, 40)),
                                  "' is not a number"));
  }
  if (!std::isfinite(*value)) {
    return errors.At(
        line, cell, field,
        absl::StrCat("'", std::string(cell.text), "' is not a finite number"));
  }
  return *value;
}

bool IsStepHeader(const std::vector<Cell>& cells) {
  if (cells.size() < 2) return false;
  for (size_t i = 0; i < cells.size(); ++i) {
    std::optional<int64_t> index = ParseIndex(cells[i].text);
    if (!index.has_value() || *index != static_cast<int64_t>(i)) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read '", path.string(),
                                            "': ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<TraceTable> ParseTraceCsv(std::string_view text,
                                         std::string_view name) {
  CsvErrors errors(name);
  std::vector<Line> lines = SplitLines(text);
  if (lines.empty()) return errors.File("the file holds no traces");

  TraceTable table;
  std::vector<Cell> first = SplitCells(lines[0].text);
  size_t data_start = 0;
  bool indexed = false;
  if (!ParseNumber(first[0].text).has_value()) {
    indexed = true;  // a header row, then rows that start with their index
    table.layout = TraceLayout::kIndexed;
    data_start = 1;
    if (first.size() < 2) {
      return errors.AtLine(lines[0], "the header row names no steps");
    }
  } else if (lines.size() > 1 && IsStepHeader(first)) {
    data_start = 1;  // a header of step indices without an index column
  }
  const size_t expected_cells = indexed ? first.size() : 0;
  const size_t header_line = lines[0].number;
  if (data_start >= lines.size())
    return errors.File("the file holds no traces");

  for (size_t row = data_start; row < lines.size(); ++row) {
    const Line& line = lines[row];
    std::vector<Cell> cells = SplitCells(line.text);
    size_t first_value = 0;
    if (indexed) {
      if (cells.size() != expected_cells) {
        return errors.AtLine(
            line,
            absl::StrCat("has ", cells.size(), " fields, expected ",
                         expected_cells, " (a trace index and ",
                         expected_cells - 1, " values, as the header on line ",
                         header_line, ")"));
      }
      std::optional<int64_t> index = ParseIndex(cells[0].text);
      int64_t expected_index = static_cast<int64_t>(row - data_start);
      if (!index.has_value()) {
        return errors.At(line, cells[0], 1,
                         absl::StrCat("'", std::string(cells[0].text),
                                      "' is not a trace index"));
      }
      if (*index != expected_index) {
        return errors.At(
            line, cells[0], 1,
            absl::StrCat("trace index ", *index, " where ", expected_index,
                         " was expected (rows must be traces 0, "
                         "1, 2, ... in order)"));
      }
      first_value = 1;
    } else if (row == data_start) {
      table.n_steps = static_cast<uint32_t>(cells.size());
    } else if (cells.size() != table.n_steps) {
      return errors.AtLine(
          line, absl::StrCat("has ", cells.size(), " values, expected ",
                             table.n_steps, " like the first trace on line ",
                             lines[data_start].number));
    }
    if (table.values.size() + cells.size() > kMaxValues) {
      return errors.File(absl::StrCat("more than ", kMaxValues,
                                      " values; is this the right file?"));
    }
    for (size_t i = first_value; i < cells.size(); ++i) {
      absl::StatusOr<double> value = Value(errors, line, cells[i], i + 1);
      if (!value.ok()) return value.status();
      table.values.push_back(*value);
    }
    ++table.n_traces;
  }
  if (indexed) table.n_steps = static_cast<uint32_t>(expected_cells - 1);
  return table;
}

absl::StatusOr<TraceTable> ReadTraceCsv(const std::filesystem::path& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  return ParseTraceCsv(*text, path.string());
}

absl::StatusOr<std::vector<std::vector<double>>> ParseSpikeCsv(
    std::string_view text, std::string_view name, uint32_t n_traces,
    double seconds_per_unit) {
  CsvErrors errors(name);
  std::vector<std::vector<double>> trains(n_traces);
  std::vector<Line> lines = SplitLines(text);
  for (size_t row = 0; row < lines.size(); ++row) {
    const Line& line = lines[row];
    std::vector<Cell> cells = SplitCells(line.text);
    if (row == 0 && !ParseNumber(cells[0].text).has_value()) continue;
    if (cells.size() != 2) {
      return errors.AtLine(line, absl::StrCat("has ", cells.size(),
                                              " fields, expected 2 "
                                              "(trace,time)"));
    }
    std::optional<int64_t> trace = ParseIndex(cells[0].text);
    if (!trace.has_value() || *trace < 0) {
      return errors.At(line, cells[0], 1,
                       absl::StrCat("'", std::string(cells[0].text),
                                    "' is not a trace index"));
    }
    if (*trace >= static_cast<int64_t>(n_traces)) {
      return errors.At(line, cells[0], 1,
                       absl::StrCat("trace ", *trace,
                                    " does not exist: the "
                                    "inputs have ",
                                    n_traces, " traces"));
    }
    absl::StatusOr<double> time = Value(errors, line, cells[1], 2);
    if (!time.ok()) return time.status();
    if (*time < 0) {
      return errors.At(line, cells[1], 2, "a spike time cannot be negative");
    }
    trains[*trace].push_back(*time * seconds_per_unit);
  }
  for (std::vector<double>& train : trains) {
    std::sort(train.begin(), train.end());
  }
  return trains;
}

absl::StatusOr<std::vector<std::vector<double>>> ReadSpikeCsv(
    const std::filesystem::path& path, uint32_t n_traces,
    double seconds_per_unit) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  return ParseSpikeCsv(*text, path.string(), n_traces, seconds_per_unit);
}

}  // namespace cellfit::client
