#include "client/cli/units.h"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cellfit::client::cli {
namespace {

// Exponent order: metre, kilogram, second, ampere, kelvin, mole, candela.
constexpr Exponents kMetre = {1, 0, 0, 0, 0, 0, 0};
constexpr Exponents kKilogram = {0, 1, 0, 0, 0, 0, 0};
constexpr Exponents kSecond = {0, 0, 1, 0, 0, 0, 0};
constexpr Exponents kAmpere = {0, 0, 0, 1, 0, 0, 0};
constexpr Exponents kKelvin = {0, 0, 0, 0, 1, 0, 0};
constexpr Exponents kMole = {0, 0, 0, 0, 0, 1, 0};
constexpr Exponents kCandela = {0, 0, 0, 0, 0, 0, 1};
constexpr Exponents kNone = {0, 0, 0, 0, 0, 0, 0};
constexpr Exponents kVolt = {2, 1, -3, -1, 0, 0, 0};
constexpr Exponents kSiemens = {-2, -1, 3, 2, 0, 0, 0};
constexpr Exponents kFarad = {-2, -1, 4, 2, 0, 0, 0};
constexpr Exponents kOhm = {2, 1, -3, -2, 0, 0, 0};
constexpr Exponents kMolar = {-3, 0, 0, 0, 0, 1, 0};
constexpr Exponents kHertz = {0, 0, -1, 0, 0, 0, 0};
constexpr Exponents kCoulomb = {0, 0, 1, 1, 0, 0, 0};
constexpr Exponents kJoule = {2, 1, -2, 0, 0, 0, 0};
constexpr Exponents kWatt = {2, 1, -3, 0, 0, 0, 0};
constexpr Exponents kNewton = {1, 1, -2, 0, 0, 0, 0};
constexpr Exponents kPascal = {-1, 1, -2, 0, 0, 0, 0};
constexpr Exponents kHenry = {2, 1, -2, -2, 0, 0, 0};
constexpr Exponents kWeber = {2, 1, -2, -1, 0, 0, 0};
constexpr Exponents kTesla = {0, 1, -2, -1, 0, 0, 0};
constexpr Exponents kLitre = {3, 0, 0, 0, 0, 0, 0};
constexpr Exponents kGray = {2, 0, -2, 0, 0, 0, 0};
constexpr Exponents kKatal = {0, 0, -1, 0, 0, 1, 0};
constexpr Exponents kLux = {-2, 0, 0, 0, 0, 0, 1};

struct BaseUnit {
  const char* name;
  double scale;  // size in SI base units
  Exponents exponents;
  bool prefixable;
};

// Brian2's unit names (long names and symbols). Every prefixable one also
// takes an SI prefix ("mvolt", "mV") and a trailing 2 or 3 for its square or
// cube ("cm2", "umetre3").
constexpr BaseUnit kBaseUnits[] = {
    {"metre", 1, kMetre, true},
    {"meter", 1, kMetre, true},
    {"m", 1, kMetre, true},
    {"gram", 1e-3, kKilogram, true},
    {"gramme", 1e-3, kKilogram, true},
    {"g", 1e-3, kKilogram, true},
    {"kilogram", 1, kKilogram, false},
    {"second", 1, kSecond, true},
    {"s", 1, kSecond, true},
    {"amp", 1, kAmpere, true},
    {"ampere", 1, kAmpere, true},
    {"A", 1, kAmpere, true},
    {"kelvin", 1, kKelvin, true},
    {"K", 1, kKelvin, true},
    {"mole", 1, kMole, true},
    {"mol", 1, kMole, true},
    {"candela", 1, kCandela, true},
    {"candle", 1, kCandela, true},
    {"cd", 1, kCandela, true},
    {"volt", 1, kVolt, true},
    {"V", 1, kVolt, true},
    {"siemens", 1, kSiemens, true},
    {"S", 1, kSiemens, true},
    {"farad", 1, kFarad, true},
    {"F", 1, kFarad, true},
    {"ohm", 1, kOhm, true},
    {"molar", 1000, kMolar, true},
    {"M", 1000, kMolar, true},
    {"hertz", 1, kHertz, true},
    {"Hz", 1, kHertz, true},
    {"becquerel", 1, kHertz, true},
    {"Bq", 1, kHertz, true},
    {"coulomb", 1, kCoulomb, true},
    {"C", 1, kCoulomb, true},
    {"joule", 1, kJoule, true},
    {"J", 1, kJoule, true},
    {"watt", 1, kWatt, true},
    {"W", 1, kWatt, true},
    {"newton", 1, kNewton, true},
    {"N", 1, kNewton, true},
    {"pascal", 1, kPascal, true},
    {"Pa", 1, kPascal, true},
    {"henry", 1, kHenry, true},
    {"H", 1, kHenry, true},
    {"weber", 1, kWeber, true},
    {"Wb", 1, kWeber, true},
    {"tesla", 1, kTesla, true},
    {"T", 1, kTesla, true},
    {"litre", 1e-3, kLitre, true},
    {"liter", 1e-3, kLitre, true},
    {"l", 1e-3, kLitre, true},
    {"L", 1e-3, kLitre, true},
    {"gray", 1, kGray, true},
    {"Gy", 1, kGray, true},
    {"sievert", 1, kGray, true},
    {"Sv", 1, kGray, true},
    {"katal", 1, kKatal, true},
    {"kat", 1, kKatal, true},
    {"lumen", 1, kCandela, true},
    {"lm", 1, kCandela, true},
    {"lux", 1, kLux, true},
    {"lx", 1, kLux, true},
    {"radian", 1, kNone, true},
    {"rad", 1, kNone, true},
    {"steradian", 1, kNone, true},
    {"sr", 1, kNone, true},
};

struct Prefix {
  const char* symbol;
  double factor;
};

// "da" before "d" so that the longer prefix is tried first.
constexpr Prefix kPrefixes[] = {
    {"Y", 1e24},  {"Z", 1e21},  {"E", 1e18},  {"P", 1e15},  {"T", 1e12},
    {"G", 1e9},   {"M", 1e6},   {"k", 1e3},   {"h", 1e2},   {"da", 1e1},
    {"d", 1e-1},  {"c", 1e-2},  {"m", 1e-3},  {"u", 1e-6},  {"n", 1e-9},
    {"p", 1e-12}, {"f", 1e-15}, {"a", 1e-18}, {"z", 1e-21}, {"y", 1e-24},
};

const BaseUnit* FindBase(std::string_view name) {
  for (const BaseUnit& unit : kBaseUnits) {
    if (name == unit.name) return &unit;
  }
  return nullptr;
}

struct UnitValue {
  double scale = 1;
  Exponents exponents{};
};

UnitValue Power(const UnitValue& u, int power) {
  UnitValue result;
  result.scale = std::pow(u.scale, power);
  for (size_t i = 0; i < result.exponents.size(); ++i) {
    result.exponents[i] = u.exponents[i] * power;
  }
  return result;
}

UnitValue Times(const UnitValue& a, const UnitValue& b) {
  UnitValue result;
  result.scale = a.scale * b.scale;
  for (size_t i = 0; i < result.exponents.size(); ++i) {
    result.exponents[i] = a.exponents[i] + b.exponents[i];
  }
  return result;
}

// A name without a power: exact name, then prefix + prefixable name.
std::optional<UnitValue> LookUpPlainName(std::string_view name) {
  if (const BaseUnit* base = FindBase(name)) {
    return UnitValue{base->scale, base->exponents};
  }
  for (const Prefix& prefix : kPrefixes) {
    std::string_view symbol = prefix.symbol;
    if (name.size() <= symbol.size() || name.substr(0, symbol.size()) != symbol)
      continue;
    const BaseUnit* base = FindBase(name.substr(symbol.size()));
    if (base != nullptr && base->prefixable) {
      return UnitValue{prefix.factor * base->scale, base->exponents};
    }
  }
  return std::nullopt;
}

// A unit name as Brian2 spells it: "mV", "mvolt", "cm2", "umetre3".
std::optional<UnitValue> LookUpUnitName(std::string_view name) {
  if (std::optional<UnitValue> unit = LookUpPlainName(name)) return unit;
  if (name.size() > 1 && (name.back() == '2' || name.back() == '3')) {
    int power = name.back() - '0';
    std::optional<UnitValue> unit =
        LookUpPlainName(name.substr(0, name.size() - 1));
    if (unit) return Power(*unit, power);
  }
  return std::nullopt;
}

bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

constexpr char kExample[] = "e.g. \"10*nS\", \"-65*mV\" or \"0.1*uF/cm**2\"";
constexpr char kQuantityExpected[] =
    "a number times units, e.g. \"10*nS\", \"-65*mV\" or \"0.1*uF/cm**2\"";
constexpr char kUnitExpected[] =
    "a unit such as \"mV\", \"nA/pF\" or \"mV**2\"";

// Recursive-descent parser of unit expressions over one text.
//   product := term ((('*' | '/') | whitespace) term)*
//   term    := factor [('**' | '^') power]
//   factor  := name | '1' | '(' product ')'
//   power   := ['+' | '-'] digits | '(' ['+' | '-'] digits ')'
class UnitParser {
 public:
  // `what` ("quantity" or "unit") and `expected` describe the text in
  // error messages.
  UnitParser(std::string_view text, std::string_view what,
             std::string_view expected)
      : text_(text), what_(what), expected_(expected) {}

  size_t pos() const { return pos_; }
  void set_pos(size_t pos) { pos_ = pos; }
  bool AtEnd() {
    SkipSpaces();
    return pos_ == text_.size();
  }

  // A product, starting as if preceded by `*` (divide = false) or `/`.
  absl::StatusOr<UnitValue> ParseProduct(bool divide) {
    UnitValue result;
    while (true) {
      absl::StatusOr<UnitValue> term = ParseTerm();
      if (!term.ok()) return term.status();
      result = Times(result, divide ? Power(*term, -1) : *term);
      size_t before = pos_;
      SkipSpaces();
      if (pos_ < text_.size() && text_[pos_] == '*' &&
          !(pos_ + 1 < text_.size() && text_[pos_ + 1] == '*')) {
        divide = false;
        ++pos_;
      } else if (pos_ < text_.size() && text_[pos_] == '/') {
        divide = true;
        ++pos_;
      } else if (pos_ > before && pos_ < text_.size() &&
                 (IsNameStart(text_[pos_]) || text_[pos_] == '(')) {
        divide = false;  // "uF cm^-2": whitespace multiplies
      } else {
        pos_ = before;
        return result;
      }
    }
  }

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ", std::string(what_), " '", std::string(text_),
                     "': ", std::string(what), " at column ", pos_ + 1,
                     "; expected ", std::string(expected_)));
  }

  // What is at the current position, for error messages.
  std::string Here() const {
    if (pos_ >= text_.size()) return "end of text";
    return absl::StrCat("'", std::string(text_.substr(pos_, 1)), "'");
  }

 private:
  void SkipSpaces() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t'))
      ++pos_;
  }

  absl::StatusOr<UnitValue> ParseTerm() {
    absl::StatusOr<UnitValue> factor = ParseFactor();
    if (!factor.ok()) return factor.status();
    size_t after_factor = pos_;
    SkipSpaces();
    bool has_power = false;
    if (text_.substr(pos_, 2) == "**") {
      pos_ += 2;
      has_power = true;
    } else if (pos_ < text_.size() && text_[pos_] == '^') {
      ++pos_;
      has_power = true;
    }
    if (!has_power) {
      pos_ = after_factor;  // the caller sees the spaces ("uF cm^-2")
      return factor;
    }
    absl::StatusOr<int> power = ParsePower();
    if (!power.ok()) return power.status();
    return Power(*factor, *power);
  }

  absl::StatusOr<UnitValue> ParseFactor() {
    SkipSpaces();
    if (pos_ >= text_.size()) {
      return Error("expected a unit but found end of text");
    }
    char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      absl::StatusOr<UnitValue> inner = ParseProduct(false);
      if (!inner.ok()) return inner.status();
      SkipSpaces();
      if (pos_ >= text_.size() || text_[pos_] != ')') {
        return Error(absl::StrCat("expected ')' but found ", Here()));
      }
      ++pos_;
      return inner;
    }
    if (c == '1' &&
        (pos_ + 1 >= text_.size() ||
         !(IsNameChar(text_[pos_ + 1]) || text_[pos_ + 1] == '.'))) {
      ++pos_;  // "1/ms"
      return UnitValue{};
    }
    if (!IsNameStart(c)) {
      return Error(absl::StrCat("expected a unit name but found ", Here()));
    }
    size_t start = pos_;
    while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
    std::string_view name = text_.substr(start, pos_ - start);
    std::optional<UnitValue> unit = LookUpUnitName(name);
    if (!unit) {
      pos_ = start;
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown unit '", std::string(name), "' in '", std::string(text_),
          "'; expected Brian2 unit names such as mV, mvolt, nS, pF, ms, "
          "um2, mM or Mohm"));
    }
    return *unit;
  }

  absl::StatusOr<int> ParsePower() {
    SkipSpaces();
    bool parenthesised = pos_ < text_.size() && text_[pos_] == '(';
    if (parenthesised) {
      ++pos_;
      SkipSpaces();
    }
    bool negative = false;
    if (pos_ < text_.size() && (text_[pos_] == '-' || text_[pos_] == '+')) {
      negative = text_[pos_] == '-';
      ++pos_;
    }
    size_t start = pos_;
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    if (pos_ == start || pos_ - start > 3 ||
        (pos_ < text_.size() &&
         (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E' ||
          (parenthesised && text_[pos_] == '/')))) {
      pos_ = start;
      return Error("expected an integer power after '**' or '^'");
    }
    int power = 0;
    for (size_t i = start; i < pos_; ++i) power = power * 10 + (text_[i] - '0');
    if (parenthesised) {
      SkipSpaces();
      if (pos_ >= text_.size() || text_[pos_] != ')') {
        return Error(absl::StrCat(
            "expected ')' after an integer power but found ", Here()));
      }
      ++pos_;
    }
    return negative ? -power : power;
  }

  std::string_view text_;
  std::string_view what_;
  std::string_view expected_;
  size_t pos_ = 0;
};

std::string_view Trim(std::string_view s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

absl::Status CheckFinite(std::string_view text, double value) {
  if (std::isfinite(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "quantity '", std::string(text), "' is out of the range of a double"));
}

// Named units ChooseUnit may display, by preference.
struct NamedUnit {
  const char* symbol;
  Exponents exponents;
  double scale;  // size in SI base units
};
constexpr NamedUnit kNamedUnits[] = {
    {"V", kVolt, 1},   {"A", kAmpere, 1},  {"S", kSiemens, 1},
    {"F", kFarad, 1},  {"ohm", kOhm, 1},   {"s", kSecond, 1},
    {"m", kMetre, 1},  {"mol", kMole, 1},  {"M", kMolar, 1000},
    {"Hz", kHertz, 1}, {"C", kCoulomb, 1}, {"J", kJoule, 1},
    {"W", kWatt, 1},
};

// The prefixes ChooseUnit uses, smallest first.
constexpr Prefix kDisplayPrefixes[] = {
    {"f", 1e-15}, {"p", 1e-12}, {"n", 1e-9}, {"u", 1e-6}, {"m", 1e-3},
    {"", 1},      {"k", 1e3},   {"M", 1e6},  {"G", 1e9},
};
constexpr size_t kNoPrefix = 5;

constexpr const char* kBaseSymbols[] = {"m", "kg", "s", "A", "K", "mol", "cd"};

std::string FormatExponent(double e) {
  if (e == std::round(e)) return absl::StrCat(static_cast<long long>(e));
  return absl::StrFormat("%g", e);
}

}  // namespace

Exponents ExponentsOf(const cellfit::v1::Dimension& dimension) {
  return {dimension.metre(),  dimension.kilogram(), dimension.second(),
          dimension.ampere(), dimension.kelvin(),   dimension.mole(),
          dimension.candela()};
}

cellfit::v1::Dimension DimensionOf(const Exponents& exponents) {
  cellfit::v1::Dimension dimension;
  dimension.set_metre(exponents[0]);
  dimension.set_kilogram(exponents[1]);
  dimension.set_second(exponents[2]);
  dimension.set_ampere(exponents[3]);
  dimension.set_kelvin(exponents[4]);
  dimension.set_mole(exponents[5]);
  dimension.set_candela(exponents[6]);
  return dimension;
}

bool IsDimensionless(const Exponents& exponents) {
  return SameDimension(exponents, kNone);
}

bool SameDimension(const Exponents& a, const Exponents& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(std::abs(a[i] - b[i]) < 1e-9)) return false;
  }
  return true;
}

absl::StatusOr<ParsedQuantity> ParseQuantityText(std::string_view text) {
  std::string_view trimmed = Trim(text);
  if (trimmed.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("empty quantity '", std::string(text),
                     "'; expected a number with optional units, ", kExample));
  }
  UnitParser parser(trimmed, "quantity", kQuantityExpected);
  size_t pos = 0;
  bool negative = false;
  if (trimmed[0] == '-' || trimmed[0] == '+') {
    negative = trimmed[0] == '-';
    pos = 1;
  }
  ParsedQuantity result;
  result.value = 1;
  bool has_number =
      pos < trimmed.size() && (IsDigit(trimmed[pos]) || trimmed[pos] == '.');
  if (has_number) {
    const char* begin = trimmed.data() + pos;
    const char* end = trimmed.data() + trimmed.size();
    auto [number_end, error] = std::from_chars(begin, end, result.value);
    if (error == std::errc::result_out_of_range) {
      return CheckFinite(trimmed, HUGE_VAL);
    }
    if (error != std::errc()) {
      parser.set_pos(pos);
      return parser.Error("expected a number");
    }
    pos = static_cast<size_t>(number_end - trimmed.data());
    parser.set_pos(pos);
    if (parser.AtEnd()) {
      result.value = negative ? -result.value : result.value;
      return result;
    }
  } else {
    parser.set_pos(pos);
    if (parser.AtEnd() ||
        !(IsNameStart(trimmed[parser.pos()]) || trimmed[parser.pos()] == '(')) {
      return parser.Error(absl::StrCat("expected a number or a unit but found ",
                                       parser.Here()));
    }
  }
  // The units: after a number, `*`, `/`, whitespace or nothing ("10nS").
  bool divide = false;
  if (has_number) {
    parser.AtEnd();  // skips spaces
    char c = trimmed[parser.pos()];
    if (c == '*' && trimmed.substr(parser.pos(), 2) != "**") {
      parser.set_pos(parser.pos() + 1);
    } else if (c == '/') {
      divide = true;
      parser.set_pos(parser.pos() + 1);
    } else if (!(IsNameStart(c) || c == '(')) {
      return parser.Error(
          absl::StrCat("expected '*' and a unit after the number but found ",
                       parser.Here()));
    }
  }
  absl::StatusOr<UnitValue> unit = parser.ParseProduct(divide);
  if (!unit.ok()) return unit.status();
  if (!parser.AtEnd()) {
    return parser.Error(
        absl::StrCat("unexpected ", parser.Here(), " after the units"));
  }
  result.value *= unit->scale;
  if (negative) result.value = -result.value;
  if (absl::Status finite = CheckFinite(trimmed, result.value); !finite.ok()) {
    return finite;
  }
  result.exponents = unit->exponents;
  result.has_unit = true;
  return result;
}

absl::StatusOr<ParsedQuantity> ParseUnitText(std::string_view text) {
  std::string_view trimmed = Trim(text);
  if (trimmed.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "empty unit '", std::string(text), "'; expected ", kUnitExpected));
  }
  UnitParser parser(trimmed, "unit", kUnitExpected);
  absl::StatusOr<UnitValue> unit = parser.ParseProduct(false);
  if (!unit.ok()) return unit.status();
  if (!parser.AtEnd()) {
    return parser.Error(absl::StrCat("unexpected ", parser.Here()));
  }
  if (!std::isfinite(unit->scale) || unit->scale == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unit '", std::string(trimmed), "' is out of the range of a double"));
  }
  ParsedQuantity result;
  result.value = unit->scale;
  result.exponents = unit->exponents;
  result.has_unit = true;
  return result;
}

DisplayUnit ChooseUnit(const Exponents& exponents, double typical) {
  if (IsDimensionless(exponents)) return {"", 1};
  double magnitude = std::abs(typical);
  for (int power = 1; power <= 3; ++power) {
    for (const NamedUnit& named : kNamedUnits) {
      Exponents powered;
      for (size_t i = 0; i < powered.size(); ++i) {
        powered[i] = named.exponents[i] * power;
      }
      if (!SameDimension(exponents, powered)) continue;
      const Prefix* chosen = &kDisplayPrefixes[kNoPrefix];
      if (std::isfinite(magnitude) && magnitude > 0) {
        // The largest prefix whose unit is at most the magnitude (with a
        // little tolerance, so that 1e-9 is 1 n rather than 1000 p), else
        // the smallest.
        chosen = &kDisplayPrefixes[0];
        for (const Prefix& prefix : kDisplayPrefixes) {
          if (std::pow(prefix.factor * named.scale, power) <=
              magnitude * (1 + 1e-9)) {
            chosen = &prefix;
          }
        }
      }
      DisplayUnit unit;
      unit.symbol = absl::StrCat(chosen->symbol, named.symbol);
      if (power > 1) absl::StrAppend(&unit.symbol, "^", power);
      unit.scale = std::pow(chosen->factor * named.scale, power);
      return unit;
    }
  }
  return {BaseUnitSymbol(exponents), 1};
}

std::string BaseUnitSymbol(const Exponents& exponents) {
  std::string symbol;
  for (size_t i = 0; i < exponents.size(); ++i) {
    if (std::abs(exponents[i]) < 1e-9) continue;
    if (!symbol.empty()) symbol += " ";
    symbol += kBaseSymbols[i];
    if (exponents[i] != 1) {
      absl::StrAppend(&symbol, "^", FormatExponent(exponents[i]));
    }
  }
  return symbol;
}

std::string FormatQuantity(double value, const Exponents& exponents,
                           int precision) {
  if (precision < 1) precision = 1;
  if (precision > 17) precision = 17;
  if (value == 0) value = 0;  // no "-0"
  // Choose the unit for the value as it will be shown, so that 999.96e-9 S
  // becomes "1 uS" rather than "1e+03 nS".
  double rounded = value;
  if (std::isfinite(value)) {
    rounded =
        std::strtod(absl::StrFormat("%.*g", precision, value).c_str(), nullptr);
  }
  DisplayUnit unit = ChooseUnit(exponents, rounded);
  std::string number = absl::StrFormat("%.*g", precision, value / unit.scale);
  if (unit.symbol.empty()) return number;
  return absl::StrCat(number, " ", unit.symbol);
}

}  // namespace cellfit::client::cli
