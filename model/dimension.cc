#include "model/dimension.h"

#include <cmath>
#include <cstdlib>
#include <numeric>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cellfit::model {

Rational::Rational(int64_t num, int64_t den) {
  if (den < 0) {
    num = -num;
    den = -den;
  }
  const int64_t g = std::gcd(num < 0 ? -num : num, den);
  num_ = g > 1 ? num / g : num;
  den_ = g > 1 ? den / g : den;
  if (num_ == 0) den_ = 1;
}

std::optional<Rational> Rational::FromDouble(double value) {
  if (!std::isfinite(value) || std::fabs(value) > 1e6) return std::nullopt;
  for (int64_t den = 1; den <= 1000; ++den) {
    const double scaled = value * static_cast<double>(den);
    const double rounded = std::round(scaled);
    if (std::fabs(scaled - rounded) < 1e-9 * den) {
      return Rational(static_cast<int64_t>(rounded), den);
    }
  }
  return std::nullopt;
}

Rational Rational::operator+(const Rational& o) const {
  return Rational(num_ * o.den_ + o.num_ * den_, den_ * o.den_);
}
Rational Rational::operator-(const Rational& o) const { return *this + (-o); }
Rational Rational::operator*(const Rational& o) const {
  return Rational(num_ * o.num_, den_ * o.den_);
}

std::string Rational::ToString() const {
  if (den_ == 1) return absl::StrCat(num_);
  return absl::StrCat(ToDouble());
}

Dimension Dimension::Base(BaseDimension base, Rational exponent) {
  Dimension d;
  d.exponents_[static_cast<int>(base)] = exponent;
  return d;
}

Dimension Dimension::Of(int m, int kg, int s, int a, int k, int mol, int cd) {
  Dimension d;
  const int e[kNumBaseDimensions] = {m, kg, s, a, k, mol, cd};
  for (int i = 0; i < kNumBaseDimensions; ++i) d.exponents_[i] = e[i];
  return d;
}

bool Dimension::is_dimensionless() const {
  for (const Rational& e : exponents_) {
    if (!e.is_zero()) return false;
  }
  return true;
}

Dimension Dimension::operator*(const Dimension& o) const {
  Dimension d;
  for (int i = 0; i < kNumBaseDimensions; ++i) {
    d.exponents_[i] = exponents_[i] + o.exponents_[i];
  }
  return d;
}

Dimension Dimension::operator/(const Dimension& o) const {
  Dimension d;
  for (int i = 0; i < kNumBaseDimensions; ++i) {
    d.exponents_[i] = exponents_[i] - o.exponents_[i];
  }
  return d;
}

Dimension Dimension::Power(Rational p) const {
  Dimension d;
  for (int i = 0; i < kNumBaseDimensions; ++i) {
    d.exponents_[i] = exponents_[i] * p;
  }
  return d;
}

namespace {

constexpr const char* kBaseSymbols[kNumBaseDimensions] = {"m", "kg",  "s", "A",
                                                          "K", "mol", "cd"};
constexpr const char* kBaseNames[kNumBaseDimensions] = {
    "metre", "kilogram", "second", "amp", "kelvin", "mole", "candle"};

// Named derived units in the order Brian2's registry prefers them.
const std::vector<std::pair<Dimension, std::string>>& NamedUnits() {
  static const auto* units = new std::vector<std::pair<Dimension, std::string>>{
      {Dimension::Of(2, 1, -3, -1), "V"},
      {Dimension::Of(0, 0, 0, 1), "A"},
      {Dimension::Of(-2, -1, 3, 2), "S"},
      {Dimension::Of(-2, -1, 4, 2), "F"},
      {Dimension::Of(2, 1, -3, -2), "ohm"},
      {Dimension::Of(0, 0, -1, 0), "Hz"},
      {Dimension::Of(0, 0, 1, 1), "C"},
      {Dimension::Of(2, 1, -2, 0), "J"},
      {Dimension::Of(2, 1, -3, 0), "W"},
      {Dimension::Of(1, 1, -2, 0), "N"},
      {Dimension::Of(-1, 1, -2, 0), "Pa"},
      {Dimension::Of(2, 1, -2, -1), "Wb"},
      {Dimension::Of(0, 1, -2, -1), "T"},
      {Dimension::Of(2, 1, -2, -2), "H"},
      {Dimension::Of(-3, 0, 0, 0, 0, 1), "mM"},
      {Dimension::Of(1, 0, 0, 0), "m"},
      {Dimension::Of(0, 1, 0, 0), "kg"},
      {Dimension::Of(0, 0, 1, 0), "s"},
      {Dimension::Of(0, 0, 0, 0, 1), "K"},
      {Dimension::Of(0, 0, 0, 0, 0, 1), "mol"},
      {Dimension::Of(0, 0, 0, 0, 0, 0, 1), "cd"},
  };
  return *units;
}

}  // namespace

std::string Dimension::ToString() const {
  std::vector<std::string> parts;
  for (int i = 0; i < kNumBaseDimensions; ++i) {
    const Rational& e = exponents_[i];
    if (e.is_zero()) continue;
    if (e == Rational(1)) {
      parts.push_back(kBaseSymbols[i]);
    } else {
      parts.push_back(absl::StrCat(kBaseSymbols[i], "^", e.ToString()));
    }
  }
  if (parts.empty()) return "1";
  return absl::StrJoin(parts, " ");
}

std::string Dimension::DisplayUnit() const {
  if (is_dimensionless()) return "1";
  for (const auto& [dim, name] : NamedUnits()) {
    if (dim == *this) return name;
  }
  // A named unit divided by a power of metre or second, as in S/(m^2).
  for (const auto& [dim, name] : NamedUnits()) {
    for (BaseDimension base : {BaseDimension::kLength, BaseDimension::kTime}) {
      for (int power = 1; power <= 3; ++power) {
        if (dim / Dimension::Base(base, power) == *this) {
          const char* symbol = kBaseSymbols[static_cast<int>(base)];
          if (power == 1) return absl::StrCat(name, "/", symbol);
          return absl::StrCat(name, "/(", symbol, "^", power, ")");
        }
      }
    }
  }
  return ToString();
}

std::string Dimension::ToUnitExpression() const {
  std::vector<std::string> parts;
  for (int i = 0; i < kNumBaseDimensions; ++i) {
    const Rational& e = exponents_[i];
    if (e.is_zero()) continue;
    if (e == Rational(1)) {
      parts.push_back(kBaseNames[i]);
    } else if (e.den() == 1) {
      parts.push_back(absl::StrCat(kBaseNames[i], "**", e.num()));
    } else {
      parts.push_back(
          absl::StrCat(kBaseNames[i], "**(", e.num(), "/", e.den(), ")"));
    }
  }
  if (parts.empty()) return "1";
  return absl::StrJoin(parts, "*");
}

}  // namespace cellfit::model
