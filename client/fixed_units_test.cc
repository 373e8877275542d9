#include "client/fixed_units.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cellfit::client {
namespace {

TEST(FixedUnitsTest, ConvertsTheAcceptedUnits) {
  EXPECT_DOUBLE_EQ(*ParseFixedQuantity("100*ms", FixedDimension::kTime), 0.1);
  EXPECT_DOUBLE_EQ(*ParseFixedQuantity(" 100 ms ", FixedDimension::kTime), 0.1);
  EXPECT_DOUBLE_EQ(*ParseFixedQuantity("250us", FixedDimension::kTime), 250e-6);
  EXPECT_DOUBLE_EQ(*ParseFixedQuantity("0.2", FixedDimension::kTime), 0.2);
  EXPECT_DOUBLE_EQ(*ParseFixedQuantity("-20*mV", FixedDimension::kVoltage),
                   -0.02);
  EXPECT_DOUBLE_EQ(*SiPerUnit("second", FixedDimension::kTime), 1);
}

TEST(FixedUnitsTest, RefusesOtherUnitsAndSaysWhichItTakes) {
  absl::StatusOr<double> minutes =
      ParseFixedQuantity("1*minute", FixedDimension::kTime);
  ASSERT_FALSE(minutes.ok());
  EXPECT_THAT(minutes.status().message(),
              ::testing::HasSubstr("'minute' is not a time unit"));
  EXPECT_FALSE(ParseFixedQuantity("5*ms", FixedDimension::kVoltage).ok());
  EXPECT_FALSE(ParseFixedQuantity("ms", FixedDimension::kTime).ok());
}

}  // namespace
}  // namespace cellfit::client
