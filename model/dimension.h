// Physical dimensions: exponents of the seven SI base units, kept as exact
// rationals so that sqrt(metre)**2 is metre again and comparisons are exact.
#ifndef CELLFIT_MODEL_DIMENSION_H_
#define CELLFIT_MODEL_DIMENSION_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace cellfit::model {

// An exact fraction num/den with den > 0, always reduced.
class Rational {
 public:
  constexpr Rational() = default;
  constexpr Rational(int64_t num) : num_(num) {}  // NOLINT: implicit from int
  Rational(int64_t num, int64_t den);

  // The rational equal to `value` if it has a small denominator (<= 1000),
  // e.g. 0.5 or -1.5; nullopt for values such as 0.3333 or 1e-7.
  static std::optional<Rational> FromDouble(double value);

  int64_t num() const { return num_; }
  int64_t den() const { return den_; }
  double ToDouble() const { return static_cast<double>(num_) / den_; }
  bool is_zero() const { return num_ == 0; }

  Rational operator+(const Rational& o) const;
  Rational operator-(const Rational& o) const;
  Rational operator*(const Rational& o) const;
  Rational operator-() const { return Rational(-num_, den_); }
  bool operator==(const Rational& o) const = default;

  // "2", "-1", "0.5" (as Brian2 prints exponents).
  std::string ToString() const;

 private:
  int64_t num_ = 0;
  int64_t den_ = 1;
};

// Index of each SI base dimension.
enum class BaseDimension : int {
  kLength = 0,
  kMass = 1,
  kTime = 2,
  kCurrent = 3,
  kTemperature = 4,
  kSubstance = 5,
  kLuminosity = 6,
};
inline constexpr int kNumBaseDimensions = 7;

class Dimension {
 public:
  Dimension() = default;
  static Dimension Base(BaseDimension base, Rational exponent = 1);
  static Dimension Dimensionless() { return Dimension(); }
  // m^a kg^b s^c A^d K^e mol^f cd^g with integer exponents.
  static Dimension Of(int m, int kg, int s, int a, int k = 0, int mol = 0,
                      int cd = 0);

  Rational exponent(BaseDimension base) const {
    return exponents_[static_cast<int>(base)];
  }
  const std::array<Rational, kNumBaseDimensions>& exponents() const {
    return exponents_;
  }
  bool is_dimensionless() const;

  Dimension operator*(const Dimension& o) const;
  Dimension operator/(const Dimension& o) const;
  Dimension Power(Rational p) const;
  bool operator==(const Dimension& o) const = default;

  // Brian2's str() of a dimension: "m^2 kg s^-3 A^-1"; "1" when dimensionless.
  std::string ToString() const;
  // A unit for display as Brian2 chooses it: "V", "S/(m^2)", "Hz", "1".
  std::string DisplayUnit() const;
  // The SI base-unit expression parseable by the model language:
  // "metre**2*kilogram*second**-3*amp**-1", or "1".
  std::string ToUnitExpression() const;

 private:
  std::array<Rational, kNumBaseDimensions> exponents_{};
};

}  // namespace cellfit::model

#endif  // CELLFIT_MODEL_DIMENSION_H_
