#include "server/optimize/parameter_space.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cellfit::optimize {
namespace {

using ::testing::HasSubstr;

absl::Status CreateStatus(std::vector<ParameterBounds> bounds) {
  return ParameterSpace::Create(std::move(bounds)).status();
}

TEST(ParameterSpaceTest, RejectsBadBoundsNamingTheParameter) {
  const double inf = INFINITY;
  struct Case {
    std::vector<ParameterBounds> bounds;
    const char* message;
  };
  const Case cases[] = {
      {{}, "at least one fitted parameter"},
      {{{"", 0, 1}}, "empty name"},
      {{{"gL", 0, 1}, {"gL", 0, 2}}, "parameter 'gL' has bounds given twice"},
      {{{"C", 1, 1}},
       "parameter 'C' has bounds [1, 1]; the lower bound must "
       "be below the upper bound"},
      {{{"C", 2, 1}}, "parameter 'C' has bounds [2, 1]"},
      {{{"tau", 0, inf}},
       "parameter 'tau' has bounds [0, inf]; both bounds "
       "must be finite"},
      {{{"tau", NAN, 1}}, "parameter 'tau'"},
      {{{"gNa", 0, 1e-3, true}},
       "parameter 'gNa' is searched on a log scale "
       "but its lower bound is 0"},
      {{{"gK", -1e-3, 1e-3, true}}, "parameter 'gK' is searched on a log"},
  };
  for (const Case& c : cases) {
    const absl::Status status = CreateStatus(c.bounds);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message));
  }
}

TEST(ParameterSpaceTest, LinearMapping) {
  auto space = ParameterSpace::Create({{"v", -80e-3, -40e-3}}).value();
  EXPECT_EQ(space.ToPhysical(0, 0.0), -80e-3);
  EXPECT_EQ(space.ToPhysical(0, 1.0), -40e-3);
  EXPECT_DOUBLE_EQ(space.ToPhysical(0, 0.25), -70e-3);
  EXPECT_DOUBLE_EQ(space.ToUnit(0, -50e-3), 0.75);
  EXPECT_EQ(space.ToUnit(0, -80e-3), 0.0);
  EXPECT_EQ(space.ToUnit(0, -40e-3), 1.0);
}

TEST(ParameterSpaceTest, LogMappingSpacesDecadesEvenly) {
  // 1e-9 .. 1e-3 S: six decades, each a sixth of the unit interval.
  auto space = ParameterSpace::Create({{"g", 1e-9, 1e-3, true}}).value();
  EXPECT_EQ(space.ToPhysical(0, 0.0), 1e-9);
  EXPECT_EQ(space.ToPhysical(0, 1.0), 1e-3);
  for (int decade = 0; decade <= 6; ++decade) {
    const double value = std::pow(10.0, -9 + decade);
    EXPECT_NEAR(space.ToPhysical(0, decade / 6.0), value, 1e-12 * value);
    EXPECT_NEAR(space.ToUnit(0, value), decade / 6.0, 1e-12);
  }
  // The geometric mean sits in the middle.
  EXPECT_NEAR(space.ToPhysical(0, 0.5), 1e-6, 1e-18);
  // Round trip over the whole interval.
  for (double u = 0.0; u <= 1.0; u += 1.0 / 64) {
    EXPECT_NEAR(space.ToUnit(0, space.ToPhysical(0, u)), u, 1e-12);
  }
}

TEST(ParameterSpaceTest, MixedScalesAndContainment) {
  auto space = ParameterSpace::Create({{"C", 100e-12, 300e-12},
                                       {"gNa", 1e-6, 1e-3, true},
                                       {"EL", -70e-3, -50e-3}})
                   .value();
  EXPECT_EQ(space.dimension(), 3);
  EXPECT_THAT(space.names(), ::testing::ElementsAre("C", "gNa", "EL"));
  Eigen::VectorXd unit(3);
  unit << 0.5, 0.5, 0.5;
  const Eigen::VectorXd physical = space.ToPhysical(unit);
  EXPECT_DOUBLE_EQ(physical[0], 200e-12);
  EXPECT_NEAR(physical[1], std::sqrt(1e-6 * 1e-3), 1e-18);
  EXPECT_DOUBLE_EQ(physical[2], -60e-3);
  EXPECT_TRUE(space.Contains(physical));
  EXPECT_TRUE((space.ToUnit(physical) - unit).cwiseAbs().maxCoeff() < 1e-12);

  Eigen::VectorXd outside = physical;
  outside[2] = -49e-3;
  EXPECT_FALSE(space.Contains(outside));
  EXPECT_FALSE(space.Contains(Eigen::VectorXd::Zero(2)));
}

TEST(ParameterSpaceTest, EveryUnitPointMapsInsideTheBounds) {
  // exp(log(lower) + u * width) can round outside the bounds; the map must
  // not. Dense sampling near both ends of awkward intervals.
  auto space =
      ParameterSpace::Create(
          {{"a", 3e-7, 7e-2, true}, {"b", 0.1, 0.3, true}, {"c", -0.3, 0.7}})
          .value();
  for (int i = 0; i <= 100000; ++i) {
    const double u = i / 100000.0;
    for (int k = 0; k < 3; ++k) {
      const double x = space.ToPhysical(k, u);
      ASSERT_GE(x, space.parameters()[k].lower) << k << " " << u;
      ASSERT_LE(x, space.parameters()[k].upper) << k << " " << u;
    }
  }
}

}  // namespace
}  // namespace cellfit::optimize
