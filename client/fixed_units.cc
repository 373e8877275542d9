#include "client/fixed_units.h"

#include <charconv>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"

namespace cellfit::client {

absl::StatusOr<double> SiPerUnit(std::string_view unit, FixedDimension kind) {
  if (kind == FixedDimension::kTime) {
    if (unit == "s" || unit == "second") return 1.0;
    if (unit == "ms" || unit == "msecond") return 1e-3;
    if (unit == "us" || unit == "usecond") return 1e-6;
    return absl::InvalidArgumentError(absl::StrCat(
        "'", std::string(unit),
        "' is not a time unit cellfit accepts here (second, s, ms, msecond, "
        "us, usecond)"));
  }
  if (unit == "V" || unit == "volt") return 1.0;
  if (unit == "mV" || unit == "mvolt") return 1e-3;
  if (unit == "uV" || unit == "uvolt") return 1e-6;
  return absl::InvalidArgumentError(absl::StrCat(
      "'", std::string(unit),
      "' is not a voltage unit cellfit accepts here (volt, V, mV, mvolt, uV, "
      "uvolt)"));
}

absl::StatusOr<double> ParseFixedQuantity(std::string_view text,
                                          FixedDimension kind) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  text = trim(text);
  std::string_view number_text = text;
  if (!number_text.empty() && number_text.front() == '+') {
    number_text.remove_prefix(1);
  }
  double value = 0;
  auto [end, error] = std::from_chars(
      number_text.data(), number_text.data() + number_text.size(), value);
  if (error != std::errc() || !std::isfinite(value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", std::string(text), "' is not a number with a unit, e.g. ",
        kind == FixedDimension::kTime ? "\"100*ms\"" : "\"-20*mV\""));
  }
  std::string_view rest = trim(
      std::string_view(end, number_text.data() + number_text.size() - end));
  if (rest.empty()) return value;
  if (rest.front() == '*') rest = trim(rest.substr(1));
  absl::StatusOr<double> scale = SiPerUnit(rest, kind);
  if (!scale.ok()) return scale.status();
  return value * *scale;
}

}  // namespace cellfit::client
