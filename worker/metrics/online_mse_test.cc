#include "worker/metrics/online_mse.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cellfit::metrics {
namespace {

using ::testing::HasSubstr;

const std::vector<double> kAfterStep = {1, 2, 3, 4};
const std::vector<double> kTarget = {0, 0, 0, 0};

TEST(OnlineMseTest, AccumulatesStepsFromTStart) {
  // dt = 0.5 (exact): steps at t = 0, 0.5, 1, 1.5.
  EXPECT_EQ(*OnlineMse(kAfterStep, kTarget, 0.5, 0.0), 7.5);   // 30 / 4
  EXPECT_EQ(*OnlineMse(kAfterStep, kTarget, 0.5, 1.0), 12.5);  // 25 / 2
  // t >= t_start: t_start between steps keeps the later ones.
  EXPECT_EQ(*OnlineMse(kAfterStep, kTarget, 0.5, 0.75), 12.5);
  EXPECT_EQ(*OnlineMse(kAfterStep, kTarget, 0.5, 1.5), 16.0);
}

TEST(OnlineMseTest, FromAStateMonitorRecording) {
  // Recorded at the start of each step: 0, 1, 2, 3; after the last step: 4.
  // Step i is compared with the value one step later (Brian2's schedule,
  // checked by testdata/online_error_schedule.py).
  const std::vector<double> recorded = {0, 1, 2, 3};
  EXPECT_EQ(*OnlineMseFromRecording(recorded, 4.0, kTarget, 0.5, 0.0), 7.5);
  EXPECT_FALSE(OnlineMseFromRecording({}, 4.0, kTarget, 0.5, 0.0).ok());
}

TEST(OnlineMseTest, RejectsBadInput) {
  EXPECT_THAT(OnlineMse(kAfterStep, kTarget, 0.5, 2.0).status().message(),
              HasSubstr("after the last step"));
  EXPECT_FALSE(OnlineMse(kAfterStep, std::vector<double>{0}, 0.5, 0).ok());
  EXPECT_FALSE(OnlineMse(kAfterStep, kTarget, 0.0, 0).ok());
  EXPECT_FALSE(OnlineMse(kAfterStep, kTarget, 0.5, -1).ok());
}

}  // namespace
}  // namespace cellfit::metrics
