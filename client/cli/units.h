// Units on the command line: reading quantities the user types
// (`--params gl=10*nS`, `--unit mV`) and showing values in a readable unit
// (10.2 nS rather than 1.02e-08 S).
//
// The server parses the model language; the client only needs the unit
// names Brian2 users type (SI units and their prefixes, Brian2's long names
// such as `mvolt` and `nsiemens`, products, quotients and integer powers), so
// it keeps this small table of its own rather than depending on model/.
#ifndef CELLFIT_CLIENT_CLI_UNITS_H_
#define CELLFIT_CLIENT_CLI_UNITS_H_

#include <array>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cellfit/v1/common.pb.h"

namespace cellfit::client::cli {

// Exponents of metre, kilogram, second, ampere, kelvin, mole, candela.
using Exponents = std::array<double, 7>;

Exponents ExponentsOf(const cellfit::v1::Dimension& dimension);
cellfit::v1::Dimension DimensionOf(const Exponents& exponents);
bool IsDimensionless(const Exponents& exponents);
bool SameDimension(const Exponents& a, const Exponents& b);

// A value in SI base units with its dimension. `has_unit` is false for a
// bare number, which callers take as SI of whatever it is used for (as the
// job file does).
struct ParsedQuantity {
  double value = 0;
  Exponents exponents{};
  bool has_unit = false;
};

// "10*nS", "10 nS", "-65*mV", "0.1*uF/cm**2", "2e-8": a number times units
// (`*`, `/`, `**` or `^` with integer powers, parentheses). Also accepted:
// "10nS", "0.5/ms", whitespace as a product ("0.1 uF cm^-2") and a unit
// alone ("mV", "-mV": one of it, has_unit true). Names: Brian2's long names
// and symbols with any SI prefix (mvolt, mV, nS, uF, ms, um, mM, kohm, Mohm),
// and their squares and cubes (cm2, umetre3). "m" is metre and "M" molar
// (1000 mol/m^3). INVALID_ARGUMENT naming the text and the problem otherwise,
// e.g. "unknown unit 'mVV' in '10*mVV'", non-integer powers, trailing text,
// empty text, overflow.
absl::StatusOr<ParsedQuantity> ParseQuantityText(std::string_view text);

// A unit alone ("mV", "mvolt", "nA/pF", "mV**2", "1/ms", and ChooseUnit's
// symbols such as "m^2 kg s^-3 A^-1"): its size in SI (value) and dimension.
absl::StatusOr<ParsedQuantity> ParseUnitText(std::string_view text);

// A readable unit for values of this dimension around `typical` (an SI
// magnitude): the prefix that puts it in [1, 1000), e.g. "nS" for 1.02e-8 S,
// "mV^2" for 3e-6 V^2, "pF", "ms". `scale` is the unit's size in SI.
// Named units: V, A, S, F, ohm, s, m, mol, M (molar), Hz, C, J, W, with a
// prefix from f p n u m k M G (e.g. "Mohm", "uS", "mM"), also squared or
// cubed ("mV^2", "um^3"; the prefix is chosen so that the prefixed unit's
// power is at most |typical|). Values below the smallest prefix use f, above
// the largest G. Other dimensions get SI base units with scale 1, e.g.
// "m^-4 kg^-1 s^3 A^2" (symbols m kg s A K mol cd, space-separated, "^n"
// when n != 1), which ParseUnitText reads back when the powers are integers. A
// typical of 0 or non-finite gets no prefix. Dimensionless values get an empty
// symbol and scale 1.
struct DisplayUnit {
  std::string symbol;
  double scale = 1;
};
DisplayUnit ChooseUnit(const Exponents& exponents, double typical);

// The dimension in SI base units as ChooseUnit writes it when no named unit
// fits: "m^-4 kg^-1 s^3 A^2"; empty when dimensionless.
std::string BaseUnitSymbol(const Exponents& exponents);

// "10.2 nS": `value` (SI) in its chosen unit with `precision` significant
// digits (printf %g: "-65 mV", "1.5e+03 m^-2 kg" for large values in base
// units); a dimensionless value is just the number ("0.5"). The unit is chosen
// for the rounded value, so 999.96e-9 S is "1 uS".
std::string FormatQuantity(double value, const Exponents& exponents,
                           int precision = 3);

}  // namespace cellfit::client::cli

#endif  // CELLFIT_CLIENT_CLI_UNITS_H_
