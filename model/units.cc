#include "model/units.h"

#include <cstdlib>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace cellfit::model {
namespace {

struct BaseUnit {
  const char* name;
  int decimal_exponent;  // scale of the unprefixed unit as a power of ten
  Dimension dimension;
  bool has_powers;           // whether name2/name3 forms exist
  bool has_prefixes = true;  // Brian2 defines no prefixed kelvin
};

struct Prefix {
  const char* symbol;
  int decimal_exponent;
};

constexpr Prefix kPrefixes[] = {{"y", -24}, {"z", -21}, {"a", -18}, {"f", -15},
                                {"p", -12}, {"n", -9},  {"u", -6},  {"m", -3},
                                {"c", -2},  {"d", -1},  {"da", 1},  {"h", 2},
                                {"k", 3},   {"M", 6},   {"G", 9},   {"T", 12},
                                {"P", 15},  {"E", 18},  {"Z", 21},  {"Y", 24}};

// A power of ten as the correctly rounded double, the value Python's float
// literal (and hence Brian2) gives; std::pow(10, n) may differ in the last bit.
double PowerOfTen(int exponent) {
  return std::strtod(absl::StrCat("1e", exponent).c_str(), nullptr);
}

using UnitTable = absl::flat_hash_map<std::string, UnitInfo>;

void Add(UnitTable& table, const std::string& name, int decimal_exponent,
         const Dimension& dim) {
  table.emplace(name, UnitInfo{PowerOfTen(decimal_exponent), dim});
}

UnitTable BuildTable() {
  const Dimension volt = Dimension::Of(2, 1, -3, -1);
  const BaseUnit bases[] = {
      {"metre", 0, Dimension::Of(1, 0, 0, 0), true},
      {"meter", 0, Dimension::Of(1, 0, 0, 0), true},
      {"gram", -3, Dimension::Of(0, 1, 0, 0), true},
      {"gramme", -3, Dimension::Of(0, 1, 0, 0), true},
      {"second", 0, Dimension::Of(0, 0, 1, 0), true},
      {"amp", 0, Dimension::Of(0, 0, 0, 1), true},
      {"ampere", 0, Dimension::Of(0, 0, 0, 1), true},
      {"kelvin", 0, Dimension::Of(0, 0, 0, 0, 1), true, false},
      {"mole", 0, Dimension::Of(0, 0, 0, 0, 0, 1), true},
      {"mol", 0, Dimension::Of(0, 0, 0, 0, 0, 1), true},
      {"candle", 0, Dimension::Of(0, 0, 0, 0, 0, 0, 1), true},
      {"radian", 0, Dimension(), true},
      {"steradian", 0, Dimension(), true},
      {"hertz", 0, Dimension::Of(0, 0, -1, 0), true},
      {"newton", 0, Dimension::Of(1, 1, -2, 0), true},
      {"pascal", 0, Dimension::Of(-1, 1, -2, 0), true},
      {"joule", 0, Dimension::Of(2, 1, -2, 0), true},
      {"watt", 0, Dimension::Of(2, 1, -3, 0), true},
      {"coulomb", 0, Dimension::Of(0, 0, 1, 1), true},
      {"volt", 0, volt, true},
      {"farad", 0, Dimension::Of(-2, -1, 4, 2), true},
      {"ohm", 0, Dimension::Of(2, 1, -3, -2), true},
      {"siemens", 0, Dimension::Of(-2, -1, 3, 2), true},
      {"weber", 0, Dimension::Of(2, 1, -2, -1), true},
      {"tesla", 0, Dimension::Of(0, 1, -2, -1), true},
      {"henry", 0, Dimension::Of(2, 1, -2, -2), true},
      {"lumen", 0, Dimension::Of(0, 0, 0, 0, 0, 0, 1), true},
      {"lux", 0, Dimension::Of(-2, 0, 0, 0, 0, 0, 1), true},
      {"becquerel", 0, Dimension::Of(0, 0, -1, 0), true},
      {"gray", 0, Dimension::Of(2, 0, -2, 0), true},
      {"sievert", 0, Dimension::Of(2, 0, -2, 0), true},
      {"katal", 0, Dimension::Of(0, 0, -1, 0, 0, 1), true},
      {"molar", 3, Dimension::Of(-3, 0, 0, 0, 0, 1), true},
      {"liter", -3, Dimension::Of(3, 0, 0, 0), false},
      {"litre", -3, Dimension::Of(3, 0, 0, 0), false},
  };
  UnitTable table;
  for (const BaseUnit& base : bases) {
    for (int power = 1; power <= (base.has_powers ? 3 : 1); ++power) {
      const std::string suffix = power == 1 ? "" : absl::StrCat(power);
      const Dimension dim = base.dimension.Power(power);
      Add(table, absl::StrCat(base.name, suffix), base.decimal_exponent * power,
          dim);
      for (const Prefix& prefix : kPrefixes) {
        if (!base.has_prefixes) break;
        Add(table, absl::StrCat(prefix.symbol, base.name, suffix),
            (base.decimal_exponent + prefix.decimal_exponent) * power, dim);
      }
    }
  }
  for (const char* name : {"kilogram", "kilogramme"}) {
    for (int power = 1; power <= 3; ++power) {
      const std::string suffix = power == 1 ? "" : absl::StrCat(power);
      table.emplace(absl::StrCat(name, suffix),
                    UnitInfo{1.0, Dimension::Of(0, power, 0, 0)});
    }
  }
  // Brian2's short forms.
  const Dimension metre = Dimension::Of(1, 0, 0, 0);
  const Dimension second = Dimension::Of(0, 0, 1, 0);
  const Dimension amp = Dimension::Of(0, 0, 0, 1);
  const Dimension siemens = Dimension::Of(-2, -1, 3, 2);
  const Dimension farad = Dimension::Of(-2, -1, 4, 2);
  const Dimension hertz = Dimension::Of(0, 0, -1, 0);
  const Dimension concentration = Dimension::Of(-3, 0, 0, 0, 0, 1);
  Add(table, "mV", -3, volt);
  Add(table, "mA", -3, amp);
  Add(table, "uA", -6, amp);
  Add(table, "nA", -9, amp);
  Add(table, "pA", -12, amp);
  Add(table, "mS", -3, siemens);
  Add(table, "uS", -6, siemens);
  Add(table, "nS", -9, siemens);
  Add(table, "uF", -6, farad);
  Add(table, "nF", -9, farad);
  Add(table, "pF", -12, farad);
  Add(table, "ms", -3, second);
  Add(table, "us", -6, second);
  Add(table, "Hz", 0, hertz);
  Add(table, "kHz", 3, hertz);
  Add(table, "MHz", 6, hertz);
  Add(table, "mM", 0, concentration);
  Add(table, "uM", -3, concentration);
  Add(table, "nM", -6, concentration);
  for (int power = 1; power <= 3; ++power) {
    const std::string suffix = power == 1 ? "" : absl::StrCat(power);
    Add(table, absl::StrCat("cm", suffix), -2 * power, metre.Power(power));
    Add(table, absl::StrCat("mm", suffix), -3 * power, metre.Power(power));
    Add(table, absl::StrCat("um", suffix), -6 * power, metre.Power(power));
  }
  return table;
}

}  // namespace

std::optional<UnitInfo> LookupUnit(std::string_view name) {
  static const UnitTable* table = new UnitTable(BuildTable());
  auto it = table->find(absl::string_view(name.data(), name.size()));
  if (it == table->end()) return std::nullopt;
  return it->second;
}

}  // namespace cellfit::model
