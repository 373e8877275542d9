// Exact rational exponents, dimensions, the unit table and ParseQuantity.
// (tests/model_brian2 compares every unit with Brian2 itself, bit for bit.)
#include "model/units.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/checker.h"
#include "model/dimension.h"

namespace cellfit::model {
namespace {

TEST(RationalTest, StaysReducedWithPositiveDenominator) {
  EXPECT_EQ(Rational(2, 4), Rational(1, 2));
  EXPECT_EQ(Rational(3, -6), Rational(-1, 2));
  EXPECT_EQ(Rational(-3, -6).num(), 1);
  EXPECT_EQ(Rational(-3, -6).den(), 2);
  EXPECT_EQ(Rational(0, -5).den(), 1);
  EXPECT_TRUE(Rational(0, 7).is_zero());
}

TEST(RationalTest, ArithmeticIsExact) {
  EXPECT_EQ(Rational(1, 3) + Rational(1, 6), Rational(1, 2));
  EXPECT_EQ(Rational(1, 3) - Rational(1, 2), Rational(-1, 6));
  EXPECT_EQ(Rational(2, 3) * Rational(3, 4), Rational(1, 2));
  EXPECT_EQ(-Rational(1, 2), Rational(-1, 2));
  EXPECT_EQ(Rational(1, 2) * Rational(2), Rational(1));
  EXPECT_DOUBLE_EQ(Rational(-3, 4).ToDouble(), -0.75);
}

TEST(RationalTest, FromDoubleFindsSmallFractions) {
  EXPECT_EQ(Rational::FromDouble(0.5), Rational(1, 2));
  EXPECT_EQ(Rational::FromDouble(-1.5), Rational(-3, 2));
  EXPECT_EQ(Rational::FromDouble(3), Rational(3));
  EXPECT_EQ(Rational::FromDouble(1.0 / 3), Rational(1, 3));
  EXPECT_EQ(Rational::FromDouble(0.002), Rational(1, 500));
  EXPECT_FALSE(Rational::FromDouble(1e-7).has_value());
  EXPECT_FALSE(Rational::FromDouble(0.12345678).has_value());
  EXPECT_FALSE(Rational::FromDouble(1e300).has_value());
  EXPECT_FALSE(Rational::FromDouble(std::nan("")).has_value());
}

TEST(RationalTest, PrintsAsBrian2PrintsExponents) {
  EXPECT_EQ(Rational(2).ToString(), "2");
  EXPECT_EQ(Rational(-1).ToString(), "-1");
  EXPECT_EQ(Rational(1, 2).ToString(), "0.5");
}

TEST(DimensionTest, MultipliesDividesAndTakesRationalPowers) {
  const Dimension volt = Dimension::Of(2, 1, -3, -1);
  const Dimension amp = Dimension::Of(0, 0, 0, 1);
  const Dimension ohm = Dimension::Of(2, 1, -3, -2);
  EXPECT_EQ(volt / amp, ohm);
  EXPECT_EQ(ohm * amp, volt);
  EXPECT_TRUE((volt / volt).is_dimensionless());
  const Dimension root = volt.Power(Rational(1, 2));
  EXPECT_EQ(root.exponent(BaseDimension::kLength), Rational(1));
  EXPECT_EQ(root.exponent(BaseDimension::kMass), Rational(1, 2));
  EXPECT_EQ(root.Power(2), volt);
  EXPECT_EQ(Dimension::Base(BaseDimension::kTime, Rational(-1, 2)).Power(-2),
            Dimension::Of(0, 0, 1, 0));
}

TEST(DimensionTest, PrintsAsBrian2) {
  EXPECT_EQ(Dimension::Of(2, 1, -3, -1).ToString(), "m^2 kg s^-3 A^-1");
  EXPECT_EQ(Dimension().ToString(), "1");
  EXPECT_EQ(Dimension::Base(BaseDimension::kTime, Rational(-1, 2)).ToString(),
            "s^-0.5");
  EXPECT_EQ(Dimension::Of(2, 1, -3, -1).DisplayUnit(), "V");
  EXPECT_EQ(Dimension::Of(0, 0, -1, 0).DisplayUnit(), "Hz");
  EXPECT_EQ(Dimension::Of(-4, -1, 3, 2).DisplayUnit(), "S/(m^2)");
  EXPECT_EQ(Dimension::Of(2, 1, -4, -1).DisplayUnit(), "V/s");
  EXPECT_EQ(Dimension::Of(0, 0, 0, 0, 0, 1, 0).DisplayUnit(), "mol");
}

TEST(DimensionTest, UnitExpressionParsesBackToTheDimension) {
  for (const Dimension& d :
       {Dimension::Of(2, 1, -3, -1), Dimension::Of(-4, -1, 3, 2),
        Dimension::Of(0, 0, -1, 0, 1, 1, 1), Dimension(),
        Dimension::Base(BaseDimension::kTime, Rational(-1, 2))}) {
    auto q = ParseQuantity(d.ToUnitExpression(), "unit");
    ASSERT_TRUE(q.ok()) << d.ToUnitExpression() << ": " << q.status();
    EXPECT_EQ(q->dimension, d) << d.ToUnitExpression();
    EXPECT_EQ(q->value, 1.0) << d.ToUnitExpression();
  }
}

double PowerOfTen(int exponent) {
  // Python's float('1e<n>'), the value Brian2's units have.
  return std::strtod(absl::StrCat("1e", exponent).c_str(), nullptr);
}

TEST(UnitsTest, EverySIPrefixOnTheBaseUnits) {
  const std::pair<const char*, int> prefixes[] = {
      {"y", -24}, {"z", -21}, {"a", -18}, {"f", -15}, {"p", -12},
      {"n", -9},  {"u", -6},  {"m", -3},  {"c", -2},  {"d", -1},
      {"da", 1},  {"h", 2},   {"k", 3},   {"M", 6},   {"G", 9},
      {"T", 12},  {"P", 15},  {"E", 18},  {"Z", 21},  {"Y", 24}};
  const std::pair<const char*, int> bases[] = {
      {"volt", 0},    {"amp", 0},    {"siemens", 0}, {"farad", 0},
      {"ohm", 0},     {"second", 0}, {"metre", 0},   {"meter", 0},
      {"gram", -3},   {"mole", 0},   {"molar", 3},   {"hertz", 0},
      {"coulomb", 0}, {"joule", 0},  {"watt", 0},    {"liter", -3}};
  for (const auto& [base, base_exponent] : bases) {
    auto unprefixed = LookupUnit(base);
    ASSERT_TRUE(unprefixed.has_value()) << base;
    EXPECT_EQ(unprefixed->scale, PowerOfTen(base_exponent)) << base;
    for (const auto& [prefix, exponent] : prefixes) {
      const std::string name = absl::StrCat(prefix, base);
      auto unit = LookupUnit(name);
      ASSERT_TRUE(unit.has_value()) << name;
      EXPECT_EQ(unit->scale, PowerOfTen(base_exponent + exponent)) << name;
      EXPECT_EQ(unit->dimension, unprefixed->dimension) << name;
    }
  }
}

TEST(UnitsTest, SquaredAndCubedForms) {
  const Dimension metre = Dimension::Of(1, 0, 0, 0);
  for (const auto& [name, exponent, power] :
       std::vector<std::tuple<std::string, int, int>>{{"metre2", 0, 2},
                                                      {"metre3", 0, 3},
                                                      {"cmetre2", -4, 2},
                                                      {"umetre3", -18, 3},
                                                      {"cm2", -4, 2},
                                                      {"cm3", -6, 3},
                                                      {"um2", -12, 2},
                                                      {"um3", -18, 3},
                                                      {"mm2", -6, 2},
                                                      {"mm3", -9, 3}}) {
    auto unit = LookupUnit(name);
    ASSERT_TRUE(unit.has_value()) << name;
    EXPECT_EQ(unit->scale, PowerOfTen(exponent)) << name;
    EXPECT_EQ(unit->dimension, metre.Power(power)) << name;
  }
  EXPECT_EQ(LookupUnit("volt2")->dimension, Dimension::Of(4, 2, -6, -2));
  EXPECT_EQ(LookupUnit("kilogram3")->dimension, Dimension::Of(0, 3, 0, 0));
}

TEST(UnitsTest, Brian2ShortForms) {
  for (const auto& [name, long_name] :
       std::vector<std::pair<std::string, std::string>>{
           {"mV", "mvolt"},    {"mA", "mamp"},     {"uA", "uamp"},
           {"nA", "namp"},     {"pA", "pamp"},     {"mS", "msiemens"},
           {"uS", "usiemens"}, {"nS", "nsiemens"}, {"uF", "ufarad"},
           {"nF", "nfarad"},   {"pF", "pfarad"},   {"ms", "msecond"},
           {"us", "usecond"},  {"Hz", "hertz"},    {"kHz", "khertz"},
           {"MHz", "Mhertz"},  {"mM", "mmolar"},   {"uM", "umolar"},
           {"nM", "nmolar"},   {"cm", "cmetre"},   {"mm", "mmetre"},
           {"um", "umetre"},   {"Mohm", "Mohm"},   {"kgram", "kilogram"}}) {
    auto unit = LookupUnit(name);
    auto long_unit = LookupUnit(long_name);
    ASSERT_TRUE(unit.has_value()) << name;
    ASSERT_TRUE(long_unit.has_value()) << long_name;
    EXPECT_EQ(unit->scale, long_unit->scale) << name;
    EXPECT_EQ(unit->dimension, long_unit->dimension) << name;
  }
  EXPECT_EQ(LookupUnit("mM")->scale, 1.0);  // mol/m^3
  EXPECT_EQ(LookupUnit("molar")->dimension, Dimension::Of(-3, 0, 0, 0, 0, 1));
  EXPECT_EQ(LookupUnit("kilogram")->scale, 1.0);
}

TEST(UnitsTest, UnknownNamesAreNotUnits) {
  for (const char* name : {"millivolt", "mv", "MV", "volts", "", "m V",
                           "candela", "mkelvin", "sec", "Ohm", "kg", "m"}) {
    EXPECT_FALSE(LookupUnit(name).has_value()) << name;
    EXPECT_FALSE(IsUnitName(name)) << name;
  }
  EXPECT_TRUE(IsUnitName("kelvin"));
}

TEST(ParseQuantityTest, EvaluatesWithUnitsAsBrian2Does) {
  auto q = ParseQuantity("-65*mV", "El");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->value, -65 * 1e-3);  // the same double as Brian2's -65*mV
  EXPECT_EQ(q->dimension, Dimension::Of(2, 1, -3, -1));
  q = ParseQuantity("1/second", "rate");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->dimension, Dimension::Of(0, 0, -1, 0));
  q = ParseQuantity("2**3 + pi - pi", "n");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->value, 8);
  q = ParseQuantity("siemens*cm**-2", "g");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->value, 1e4);
  EXPECT_EQ(q->dimension, Dimension::Of(-4, -1, 3, 2));
}

TEST(ParseQuantityTest, UsesNamespaceConstantsInAnyOrder) {
  const std::vector<NamespaceEntry> entries = {
      {"Cm", "1*ufarad*cm**-2 * area", std::nullopt},
      {"area", "20000*umetre**2", std::nullopt},
      {"gain", "", Quantity{3, Dimension()}}};
  auto q = ParseQuantity("Cm*gain", "C", entries);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_DOUBLE_EQ(q->value, 3 * 1e-6 * 1e4 * 20000 * 1e-12);
  EXPECT_EQ(q->dimension, Dimension::Of(-2, -1, 4, 2));
}

TEST(ParseQuantityTest, ReportsWhatIsWrongAndWhere) {
  auto q = ParseQuantity("5*foo", "tau");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().message(),
            "tau:1:3: error: The identifier 'foo' could not be resolved (it is "
            "not a unit or a namespace constant).");
  q = ParseQuantity("rand()*mV", "noise");
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("is not a constant quantity"),
            std::string::npos);
  q = ParseQuantity("mV**mV", "p");
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("p:1:5: error: The exponent 'mV' must be "
                                      "dimensionless"),
            std::string::npos)
      << q.status();
  q = ParseQuantity("1*mV +", "x");
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("x:1:7: error: expected a number"),
            std::string::npos)
      << q.status();
  q = ParseQuantity("a", "b", {{"a", "a + 1", std::nullopt}});
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("defined in terms of itself"),
            std::string::npos);
}

}  // namespace
}  // namespace cellfit::model
