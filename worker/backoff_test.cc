#include "worker/backoff.h"

#include "gtest/gtest.h"

namespace cellfit::worker {
namespace {

TEST(BackoffTest, GrowsGeometricallyUpToTheCapWithinTheJitter) {
  Backoff backoff(absl::Milliseconds(100), absl::Seconds(1), 2.0, 0.2, 7);
  const double expected_ms[] = {100, 200, 400, 800, 1000, 1000};
  for (double base : expected_ms) {
    double delay = absl::ToDoubleMilliseconds(backoff.Next());
    EXPECT_GE(delay, base * 0.8);
    EXPECT_LE(delay, base * 1.2);
  }
}

TEST(BackoffTest, ResetStartsOver) {
  Backoff backoff(absl::Milliseconds(100), absl::Seconds(10), 2.0, 0.0, 7);
  backoff.Next();
  backoff.Next();
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(100));
}

TEST(BackoffTest, JitterSpreadsWorkersApart) {
  Backoff a(absl::Seconds(1), absl::Seconds(10), 2.0, 0.2, 1);
  Backoff b(absl::Seconds(1), absl::Seconds(10), 2.0, 0.2, 2);
  EXPECT_NE(a.Next(), b.Next());
}

}  // namespace
}  // namespace cellfit::worker
