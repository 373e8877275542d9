#include "client/cli/units.h"

#include <cmath>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cellfit::client::cli {
namespace {

using ::testing::AllOf;
using ::testing::DoubleNear;
using ::testing::HasSubstr;

// Exponent order: metre, kilogram, second, ampere, kelvin, mole, candela.
constexpr Exponents kVolt = {2, 1, -3, -1, 0, 0, 0};
constexpr Exponents kAmpere = {0, 0, 0, 1, 0, 0, 0};
constexpr Exponents kSiemens = {-2, -1, 3, 2, 0, 0, 0};
constexpr Exponents kFarad = {-2, -1, 4, 2, 0, 0, 0};
constexpr Exponents kOhm = {2, 1, -3, -2, 0, 0, 0};
constexpr Exponents kSecond = {0, 0, 1, 0, 0, 0, 0};
constexpr Exponents kMetre = {1, 0, 0, 0, 0, 0, 0};
constexpr Exponents kMolar = {-3, 0, 0, 0, 0, 1, 0};
constexpr Exponents kHertz = {0, 0, -1, 0, 0, 0, 0};
constexpr Exponents kNone = {0, 0, 0, 0, 0, 0, 0};

Exponents Scaled(const Exponents& e, double k) {
  Exponents r;
  for (size_t i = 0; i < e.size(); ++i) r[i] = e[i] * k;
  return r;
}
Exponents Plus(const Exponents& a, const Exponents& b) {
  Exponents r;
  for (size_t i = 0; i < a.size(); ++i) r[i] = a[i] + b[i];
  return r;
}

// Parses `text` and checks the SI value (relative 1e-12) and dimension.
void ExpectQuantity(const std::string& text, double value,
                    const Exponents& exponents, bool has_unit = true) {
  SCOPED_TRACE(text);
  absl::StatusOr<ParsedQuantity> q = ParseQuantityText(text);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_THAT(q->value, DoubleNear(value, std::abs(value) * 1e-12));
  EXPECT_TRUE(SameDimension(q->exponents, exponents));
  EXPECT_EQ(q->has_unit, has_unit);
}

TEST(UnitsTest, DimensionRoundTrip) {
  cellfit::v1::Dimension d = DimensionOf(kVolt);
  EXPECT_EQ(d.metre(), 2);
  EXPECT_EQ(d.kilogram(), 1);
  EXPECT_EQ(d.second(), -3);
  EXPECT_EQ(d.ampere(), -1);
  EXPECT_EQ(d.kelvin(), 0);
  EXPECT_EQ(ExponentsOf(d), kVolt);
  EXPECT_TRUE(IsDimensionless(ExponentsOf(cellfit::v1::Dimension())));
  EXPECT_FALSE(IsDimensionless(kSecond));
  EXPECT_TRUE(SameDimension(kOhm, Plus(kVolt, Scaled(kAmpere, -1))));
  EXPECT_FALSE(SameDimension(kOhm, kSiemens));
}

TEST(UnitsTest, ParsesNumbersWithUnits) {
  ExpectQuantity("10*nS", 10e-9, kSiemens);
  ExpectQuantity("10 nS", 10e-9, kSiemens);
  ExpectQuantity("  10nS ", 10e-9, kSiemens);
  ExpectQuantity("-65*mV", -65e-3, kVolt);
  ExpectQuantity("+1.5e2 * mvolt", 0.15, kVolt);
  ExpectQuantity("200*pF", 200e-12, kFarad);
  ExpectQuantity("3*nsiemens", 3e-9, kSiemens);
  ExpectQuantity("0.1*uF/cm**2", 0.1e-6 / 1e-4, Plus(kFarad, {-2}));
  ExpectQuantity("0.1*uF*cm**-2", 0.1e-6 / 1e-4, Plus(kFarad, {-2}));
  ExpectQuantity("0.1*uF*cm^(-2)", 0.1e-6 / 1e-4, Plus(kFarad, {-2}));
  ExpectQuantity("0.1 uF cm^-2", 0.1e-6 / 1e-4, Plus(kFarad, {-2}));
  ExpectQuantity("1e-3*siemens/cm**2", 10, Plus(kSiemens, {-2}));
  ExpectQuantity("5*mS/cm2", 50, Plus(kSiemens, {-2}));
  ExpectQuantity("20000*umetre**2", 20000e-12, {2});
  ExpectQuantity("2*um2", 2e-12, {2});
  ExpectQuantity("1*metre3", 1, {3});
  ExpectQuantity("2*mM", 2, kMolar);
  ExpectQuantity("2*mmolar", 2, kMolar);
  ExpectQuantity("1*litre", 1e-3, {3});
  ExpectQuantity("100*Mohm", 1e8, kOhm);
  ExpectQuantity("3*kohm", 3e3, kOhm);
  ExpectQuantity("1*Gohm", 1e9, kOhm);
  ExpectQuantity("5*kHz", 5e3, kHertz);
  ExpectQuantity("0.5/ms", 500, kHertz);
  ExpectQuantity("2*kg", 2, {0, 1});
  ExpectQuantity("2*kgram", 2, {0, 1});
  ExpectQuantity("2*kilogram", 2, {0, 1});
  ExpectQuantity("3*dam", 30, kMetre);
  ExpectQuantity("1*nA/pF", 1e3, Plus(kAmpere, Scaled(kFarad, -1)));
  ExpectQuantity("1*(mV/ms)**2", 1,
                 Scaled(Plus(kVolt, Scaled(kSecond, -1)), 2));
  ExpectQuantity("1*mV**2", 1e-6, Scaled(kVolt, 2));
  ExpectQuantity("1*mV^2/ms", 1e-3,
                 Plus(Scaled(kVolt, 2), Scaled(kSecond, -1)));
  ExpectQuantity("1*mV / ms * ms", 1e-3, kVolt);
  ExpectQuantity("7*ms", 7e-3, kSecond);
  ExpectQuantity("7*usecond", 7e-6, kSecond);
}

TEST(UnitsTest, BareNumberHasNoUnit) {
  ExpectQuantity("2e-8", 2e-8, kNone, /*has_unit=*/false);
  ExpectQuantity("-.5", -0.5, kNone, false);
  ExpectQuantity("42", 42, kNone, false);
}

TEST(UnitsTest, UnitAloneIsOneOfIt) {
  ExpectQuantity("mV", 1e-3, kVolt);
  ExpectQuantity("-mV", -1e-3, kVolt);
}

TEST(UnitsTest, DimensionlessUnitsKeepHasUnit) {
  ExpectQuantity("3*mV/volt", 3e-3, kNone, true);
}

TEST(UnitsTest, ParsesUnitsAlone) {
  absl::StatusOr<ParsedQuantity> mv = ParseUnitText("mV");
  ASSERT_TRUE(mv.ok()) << mv.status();
  EXPECT_DOUBLE_EQ(mv->value, 1e-3);
  EXPECT_EQ(mv->exponents, kVolt);
  EXPECT_TRUE(mv->has_unit);

  absl::StatusOr<ParsedQuantity> mv2 = ParseUnitText("mV**2");
  ASSERT_TRUE(mv2.ok()) << mv2.status();
  EXPECT_DOUBLE_EQ(mv2->value, 1e-6);
  EXPECT_TRUE(SameDimension(mv2->exponents, Scaled(kVolt, 2)));

  absl::StatusOr<ParsedQuantity> current_density = ParseUnitText("nA/pF");
  ASSERT_TRUE(current_density.ok()) << current_density.status();
  EXPECT_DOUBLE_EQ(current_density->value, 1e3);
  EXPECT_TRUE(SameDimension(current_density->exponents,
                            Plus(kAmpere, Scaled(kFarad, -1))));

  absl::StatusOr<ParsedQuantity> rate = ParseUnitText("1/ms");
  ASSERT_TRUE(rate.ok()) << rate.status();
  EXPECT_DOUBLE_EQ(rate->value, 1e3);
  EXPECT_EQ(rate->exponents, kHertz);

  for (const char* name :
       {"mvolt",  "nA",     "namp", "nampere", "ms", "msecond", "um",
        "umetre", "umeter", "cm",   "mM",      "uM", "nM",      "Mohm",
        "kohm",   "pA",     "uF",   "ufarad",  "Hz", "kHz",     "C",
        "J",      "W",      "K",    "N",       "Pa", "H",       "l",
        "L",      "ml",     "mol",  "mmol",    "g",  "mg",      "cd",
        "T",      "Wb",     "daV",  "hPa",     "yV", "YV",      "zV",
        "ZV",     "aV",     "EV",   "PV",      "TV", "GV",      "MV",
        "kV",     "cV",     "dV",   "fV",      "pV", "nV",      "uV",
        "mV"}) {
    EXPECT_TRUE(ParseUnitText(name).ok()) << name;
  }
  EXPECT_EQ(ParseUnitText("m")->exponents, kMetre);  // metre, not milli
  EXPECT_EQ(ParseUnitText("M")->exponents, kMolar);  // molar, not mega
  EXPECT_DOUBLE_EQ(ParseUnitText("M")->value, 1000);
  EXPECT_DOUBLE_EQ(ParseUnitText("Mm")->value, 1e6);  // megametre
  EXPECT_DOUBLE_EQ(ParseUnitText("mm")->value, 1e-3);
  EXPECT_DOUBLE_EQ(ParseUnitText("mohm")->value, 1e-3);  // milliohm
  EXPECT_DOUBLE_EQ(ParseUnitText("T")->value, 1);        // tesla
  EXPECT_DOUBLE_EQ(ParseUnitText("TV")->value, 1e12);
  // What ChooseUnit produces parses back.
  absl::StatusOr<ParsedQuantity> fallback = ParseUnitText("m^2 kg s^-3 A^-1");
  ASSERT_TRUE(fallback.ok()) << fallback.status();
  EXPECT_DOUBLE_EQ(fallback->value, 1);
  EXPECT_EQ(fallback->exponents, kVolt);
}

void ExpectQuantityError(const std::string& text, const std::string& part) {
  absl::StatusOr<ParsedQuantity> q = ParseQuantityText(text);
  ASSERT_FALSE(q.ok()) << text << " parsed as " << q->value;
  EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument) << text;
  EXPECT_THAT(q.status().message(),
              AllOf(HasSubstr(text.empty() ? "empty" : text), HasSubstr(part)))
      << text;
}

TEST(UnitsTest, RejectsBadQuantities) {
  ExpectQuantityError("10*mVV", "unknown unit 'mVV' in '10*mVV'");
  ExpectQuantityError("10*furlong", "unknown unit 'furlong'");
  ExpectQuantityError("10*kkilogram", "unknown unit 'kkilogram'");
  ExpectQuantityError("1*mV**1.5", "integer power");
  ExpectQuantityError("1*mV**0.5", "integer power");
  ExpectQuantityError("1*mV**(1/2)", "integer power");
  ExpectQuantityError("1*mV**", "integer power");
  ExpectQuantityError("1*mV**x", "integer power");
  ExpectQuantityError("10*mV)", "unexpected ')'");
  ExpectQuantityError("10*mV 5", "unexpected '5'");
  ExpectQuantityError("10*(mV", "expected ')'");
  ExpectQuantityError("10*", "expected a unit");
  ExpectQuantityError("10*mV*", "expected a unit");
  ExpectQuantityError("10**mV", "expected '*' and a unit");
  ExpectQuantityError("10, mV", "expected '*' and a unit");
  ExpectQuantityError("", "expected a number");
  ExpectQuantityError("   ", "expected a number");
  ExpectQuantityError("-", "expected a number or a unit");
  ExpectQuantityError("*mV", "expected a number or a unit");
  ExpectQuantityError("1e999*mV", "out of the range");
  ExpectQuantityError("1e300*Ym**3", "out of the range");
  ExpectQuantityError("nan", "unknown unit 'nan'");
}

TEST(UnitsTest, RejectsBadUnits) {
  for (const char* text : {"", "10*mV", "mV**1.5", "mV)", "mVV", "(mV", "*"}) {
    absl::StatusOr<ParsedQuantity> u = ParseUnitText(text);
    ASSERT_FALSE(u.ok()) << text;
    EXPECT_EQ(u.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_THAT(ParseUnitText("mVV").status().message(),
              HasSubstr("unknown unit 'mVV' in 'mVV'"));
  EXPECT_THAT(
      ParseUnitText("mV**1.5").status().message(),
      AllOf(HasSubstr("invalid unit 'mV**1.5'"), HasSubstr("integer power")));
}

void ExpectUnit(const Exponents& e, double typical, const std::string& symbol,
                double scale) {
  DisplayUnit unit = ChooseUnit(e, typical);
  EXPECT_EQ(unit.symbol, symbol) << typical;
  EXPECT_DOUBLE_EQ(unit.scale, scale) << typical;
}

TEST(UnitsTest, ChoosesPrefixes) {
  ExpectUnit(kSiemens, 1.02e-8, "nS", 1e-9);
  ExpectUnit(kSiemens, 1e-9, "nS", 1e-9);
  ExpectUnit(kSiemens, 9.99e-7, "nS", 1e-9);
  ExpectUnit(kSiemens, 1e-6, "uS", 1e-6);
  ExpectUnit(kVolt, -0.065, "mV", 1e-3);
  ExpectUnit(kVolt, 1e-3, "mV", 1e-3);  // not 1000 uV
  ExpectUnit(kVolt, 0.001, "mV", 1e-3);
  ExpectUnit(kVolt, 3, "V", 1);
  ExpectUnit(kFarad, 2e-10, "pF", 1e-12);
  ExpectUnit(kFarad, 2e-16, "fF", 1e-15);
  ExpectUnit(kFarad, 2e-20, "fF", 1e-15);  // smallest prefix below that
  ExpectUnit(kAmpere, 5e-11, "pA", 1e-12);
  ExpectUnit(kOhm, 1.5e8, "Mohm", 1e6);
  ExpectUnit(kOhm, 2e3, "kohm", 1e3);
  ExpectUnit(kOhm, 2e12, "Gohm", 1e9);  // largest prefix above that
  ExpectUnit(kSecond, 0.02, "ms", 1e-3);
  ExpectUnit(kMetre, 2e-5, "um", 1e-6);
  ExpectUnit(kMolar, 2, "mM", 1);  // 2 mol/m^3 = 2 mM
  ExpectUnit(kMolar, 2e3, "M", 1e3);
  ExpectUnit(kHertz, 40, "Hz", 1);
  ExpectUnit({0, 0, 1, 1}, 1e-12, "pC", 1e-12);
  ExpectUnit({2, 1, -2}, 1e-3, "mJ", 1e-3);
  ExpectUnit({2, 1, -3}, 5e3, "kW", 1e3);
  ExpectUnit({0, 0, 0, 0, 0, 1}, 1e-6, "umol", 1e-6);
}

TEST(UnitsTest, ChoosesSquaredAndCubedUnits) {
  ExpectUnit(Scaled(kVolt, 2), 3e-6, "mV^2", 1e-6);
  ExpectUnit(Scaled(kVolt, 2), 3e-2, "mV^2", 1e-6);
  ExpectUnit(Scaled(kVolt, 2), 3, "V^2", 1);
  ExpectUnit(Scaled(kMetre, 2), 1e-8, "um^2", 1e-12);
  ExpectUnit(Scaled(kMetre, 3), 1e-18, "um^3", 1e-18);
  ExpectUnit(Scaled(kAmpere, 2), 0, "A^2", 1);
}

TEST(UnitsTest, FallsBackToBaseUnits) {
  ExpectUnit(Plus(kSiemens, {-2}), 10, "m^-4 kg^-1 s^3 A^2", 1);
  ExpectUnit({0, 1}, 2, "kg", 1);
  ExpectUnit({0, 0, 0, 0, 1}, 300, "K", 1);
  ExpectUnit({1, 0, 0, 0, 0, 0, 1}, 2, "m cd", 1);
  ExpectUnit({0.5}, 2, "m^0.5", 1);
}

TEST(UnitsTest, NoPrefixForZeroOrNonFinite) {
  ExpectUnit(kVolt, 0, "V", 1);
  ExpectUnit(kVolt, std::numeric_limits<double>::quiet_NaN(), "V", 1);
  ExpectUnit(kVolt, std::numeric_limits<double>::infinity(), "V", 1);
  ExpectUnit(kNone, 1e-9, "", 1);
}

TEST(UnitsTest, FormatsQuantities) {
  EXPECT_EQ(FormatQuantity(1.02e-8, kSiemens), "10.2 nS");
  EXPECT_EQ(FormatQuantity(-0.065, kVolt), "-65 mV");
  EXPECT_EQ(FormatQuantity(0.5, kNone), "0.5");
  EXPECT_EQ(FormatQuantity(1.23456e-10, kFarad, 5), "123.46 pF");
  EXPECT_EQ(FormatQuantity(1.5e8, kOhm), "150 Mohm");
  EXPECT_EQ(FormatQuantity(3e-6, Scaled(kVolt, 2)), "3 mV^2");
  EXPECT_EQ(FormatQuantity(0, kVolt), "0 V");
  EXPECT_EQ(FormatQuantity(-0.0, kVolt), "0 V");
  // Rounding up to the next prefix: 999.96 nS shows as 1 uS.
  EXPECT_EQ(FormatQuantity(999.96e-9, kSiemens), "1 uS");
  EXPECT_EQ(FormatQuantity(2e-3, {0, 0, 1}, 1), "2 ms");
  EXPECT_EQ(FormatQuantity(std::numeric_limits<double>::quiet_NaN(), kVolt),
            "nan V");
}

}  // namespace
}  // namespace cellfit::client::cli
