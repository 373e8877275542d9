#include "server/fitting/batch_plan.h"

#include <algorithm>
#include <numeric>

#include "gtest/gtest.h"

namespace cellfit::fitting {
namespace {

std::vector<int> Sizes(const std::vector<BatchPlan>& plan) {
  std::vector<int> sizes;
  for (const BatchPlan& batch : plan) sizes.push_back(batch.n_samples);
  return sizes;
}

// Every sample in exactly one batch, batches consecutive and in order.
void ExpectCovers(const std::vector<BatchPlan>& plan, int n_samples) {
  int next = 0;
  for (const BatchPlan& batch : plan) {
    EXPECT_EQ(batch.first_sample, next);
    EXPECT_GT(batch.n_samples, 0);
    next += batch.n_samples;
  }
  EXPECT_EQ(next, n_samples);
}

TEST(PlanBatches, ASmallRoundIsOneEvenBatchPerCore) {
  // The HH example's round: 20 samples x 5 traces on two one-core workers.
  const auto plan = PlanBatches(20, 5, 1497, {.workers = 2, .cores = 2});
  ExpectCovers(plan, 20);
  EXPECT_EQ(Sizes(plan), (std::vector<int>{10, 10}));
  EXPECT_EQ(Sizes(PlanBatches(20, 5, 1497, {.workers = 3, .cores = 3})),
            (std::vector<int>{7, 7, 6}));
  // An 8-core worker beside a one-core one: nine batches, so that the big
  // worker, running eight at once, takes eight of them.
  const auto mixed = PlanBatches(20, 5, 1497, {.workers = 2, .cores = 9});
  ExpectCovers(mixed, 20);
  EXPECT_EQ(Sizes(mixed), (std::vector<int>{3, 3, 2, 2, 2, 2, 2, 2, 2}));
}

TEST(PlanBatches, NeverMoreBatchesThanSamplesOrFewerThanOne) {
  EXPECT_EQ(Sizes(PlanBatches(2, 1, 1497, {.workers = 4, .cores = 4})),
            (std::vector<int>{1, 1}));
  EXPECT_EQ(Sizes(PlanBatches(5, 1, 1497, {.workers = 0, .cores = 0})),
            (std::vector<int>{5}));
  EXPECT_TRUE(PlanBatches(0, 5, 1497, {.workers = 2, .cores = 2}).empty());
}

TEST(PlanBatches, ALargeRoundShrinksItsBatchesTowardsTheEnd) {
  // 400 samples x 5 traces on two one-core workers: each batch a quarter of
  // what is left, down to 13 samples (65 neurons >= kMinNeuronsPerBatch).
  const auto plan = PlanBatches(400, 5, 1497, {.workers = 2, .cores = 2});
  ExpectCovers(plan, 400);
  EXPECT_EQ(Sizes(plan),
            (std::vector<int>{100, 75, 57, 42, 32, 24, 18, 13, 13, 13, 13}));
}

// Only a small round, one batch per core, may have smaller batches: those
// are the cores' shares of a round too small for more.
TEST(PlanBatches, NoBatchOfALargeRoundIsBelowTheMinimumSize) {
  for (int n_traces : {1, 3, 5, 64, 100}) {
    for (int n_samples : {1, 7, 60, 333, 1000, 4096}) {
      for (int cores : {1, 2, 8, 64}) {
        SCOPED_TRACE(testing::Message()
                     << n_samples << " samples x " << n_traces << " traces, "
                     << cores << " cores");
        const auto plan = PlanBatches(n_samples, n_traces, 1497,
                                      {.workers = 2, .cores = cores});
        ExpectCovers(plan, n_samples);
        EXPECT_GE(static_cast<int>(plan.size()),
                  std::min(n_samples, std::max(cores, 2)));
        if (static_cast<int>(plan.size()) > std::max(cores, 2)) {
          for (const BatchPlan& batch : plan) {
            EXPECT_GE(batch.n_samples * n_traces, kMinNeuronsPerBatch);
          }
        }
      }
    }
  }
}

TEST(PlanBatches, MoreCoresGiveSmallerFirstBatches) {
  // A pool with an 8-core worker needs more, smaller batches to keep every
  // core busy and still finish together.
  const auto two = PlanBatches(1000, 5, 1497, {.workers = 2, .cores = 2});
  const auto nine = PlanBatches(1000, 5, 1497, {.workers = 2, .cores = 9});
  ExpectCovers(nine, 1000);
  EXPECT_EQ(two.front().n_samples, 250);
  EXPECT_EQ(nine.front().n_samples, 56);
  EXPECT_GT(nine.size(), two.size());
}

// A batch of 34 million neurons had an answer over the 256 MiB message
// limit: its worker's stream broke and the batch was sent again and again.
TEST(PlanBatches, NoBatchExceedsTheNeuronOrTraceValueLimit) {
  struct Case {
    int n_samples, n_traces;
    int64_t n_steps;
  };
  for (const Case& c :
       {Case{6800, 10000, 1}, Case{100, 10, 1000000}, Case{20, 5, 1497},
        Case{100000, 1, 1}, Case{3, 10000, 5000}}) {
    for (int cores : {1, 2, 64}) {
      SCOPED_TRACE(testing::Message()
                   << c.n_samples << " samples x " << c.n_traces << " traces x "
                   << c.n_steps << " steps, " << cores << " cores");
      const auto plan = PlanBatches(c.n_samples, c.n_traces, c.n_steps,
                                    {.workers = 2, .cores = cores});
      ExpectCovers(plan, c.n_samples);
      for (const BatchPlan& batch : plan) {
        const int64_t neurons = int64_t{batch.n_samples} * c.n_traces;
        if (batch.n_samples == 1) continue;  // one sample cannot be split
        EXPECT_LE(neurons, kMaxNeuronsPerBatch);
        EXPECT_LE(neurons * c.n_steps, kMaxTraceValuesPerBatch);
      }
    }
  }
  // Neurons that keep no traces (an online or spike fitter) are not held to
  // the trace value limit, however long their traces.
  EXPECT_EQ(
      PlanBatches(40, 10, 0, {.workers = 2, .cores = 2}).front().n_samples, 10);
  EXPECT_EQ(PlanBatches(40, 10, 1000000, {.workers = 2, .cores = 2})
                .front()
                .n_samples,
            1);
  // One sample alone over the value limit: a batch per sample.
  EXPECT_EQ(Sizes(PlanBatches(3, 10000, 5000, {.workers = 2, .cores = 2})),
            (std::vector<int>{1, 1, 1}));
}

}  // namespace
}  // namespace cellfit::fitting
