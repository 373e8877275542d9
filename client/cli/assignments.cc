#include "client/cli/assignments.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/cli/units.h"

namespace cellfit::client::cli {
namespace {

bool IsIdentifier(std::string_view name) {
  if (name.empty() ||
      absl::ascii_isdigit(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
  }
  return true;
}

// (Debian's Abseil takes absl::string_view, not std::string_view.)
std::string_view Trim(std::string_view text) {
  while (!text.empty() &&
         absl::ascii_isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() &&
         absl::ascii_isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

// Splits at commas outside parentheses.
std::vector<std::string_view> SplitTopLevel(std::string_view text) {
  std::vector<std::string_view> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') ++depth;
    if (text[i] == ')' && depth > 0) --depth;
    if (text[i] == ',' && depth == 0) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(text.substr(start));
  return parts;
}

}  // namespace

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
ParseAssignments(std::string_view text, std::string_view option) {
  std::vector<std::pair<std::string, std::string>> assignments;
  std::set<std::string> seen;
  if (Trim(text).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", std::string(option), " is empty; expected NAME=VALUE,..."));
  }
  for (std::string_view part : SplitTopLevel(text)) {
    const size_t equals = part.find('=');
    if (equals == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", std::string(option), ": '", std::string(Trim(part)),
          "' is not NAME=VALUE (entries are separated by commas)"));
    }
    std::string name(Trim(part.substr(0, equals)));
    std::string value(Trim(part.substr(equals + 1)));
    if (!IsIdentifier(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", std::string(option), ": '", name, "' is not a variable name"));
    }
    if (value.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", std::string(option), ": no value given for '", name, "'"));
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", std::string(option), ": '", name, "' is given twice"));
    }
    assignments.emplace_back(std::move(name), std::move(value));
  }
  return assignments;
}

absl::StatusOr<cellfit::v1::ParameterTable> ParseParameterRow(
    std::string_view text, std::string_view option) {
  auto assignments = ParseAssignments(text, option);
  if (!assignments.ok()) return assignments.status();
  cellfit::v1::ParameterTable table;
  for (const auto& [name, value] : *assignments) {
    absl::StatusOr<ParsedQuantity> quantity = ParseQuantityText(value);
    if (!quantity.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", std::string(option), ": ", name, ": ",
                       quantity.status().message()));
    }
    cellfit::v1::Column* column = table.add_columns();
    column->set_name(name);
    column->add_values(quantity->value);
    if (quantity->has_unit) {
      *column->mutable_dimension() = DimensionOf(quantity->exponents);
    }
  }
  return table;
}

absl::StatusOr<std::map<std::string, std::string>> ParseParamInit(
    std::string_view text, std::string_view option) {
  auto assignments = ParseAssignments(text, option);
  if (!assignments.ok()) return assignments.status();
  return std::map<std::string, std::string>(assignments->begin(),
                                            assignments->end());
}

absl::StatusOr<std::vector<std::string>> ParseNameList(
    std::string_view text, std::string_view option) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (std::string_view part : SplitTopLevel(text)) {
    std::string name(Trim(part));
    if (!IsIdentifier(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", std::string(option), ": '", name,
          "' is not a variable name (expected names separated by commas, "
          "e.g. v,m)"));
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", std::string(option), ": '", name, "' is given twice"));
    }
    names.push_back(std::move(name));
  }
  return names;
}

}  // namespace cellfit::client::cli
