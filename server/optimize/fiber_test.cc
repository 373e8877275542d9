#include "server/optimize/fiber.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace cellfit::optimize {
namespace {

TEST(FiberTest, ResumeAndYieldInterleave) {
  std::vector<int> trace;
  Fiber* self = nullptr;
  Fiber fiber([&] {
    for (int i = 0; i < 3; ++i) {
      trace.push_back(10 + i);
      self->Yield();
    }
    trace.push_back(99);
  });
  self = &fiber;
  EXPECT_FALSE(fiber.started());
  for (int i = 0; i < 3; ++i) {
    trace.push_back(i);
    fiber.Resume();
    EXPECT_TRUE(fiber.started());
    EXPECT_FALSE(fiber.finished());
  }
  fiber.Resume();
  EXPECT_TRUE(fiber.finished());
  EXPECT_EQ(trace, (std::vector<int>{0, 10, 1, 11, 2, 12, 99}));
}

TEST(FiberTest, NeverStartedIsFine) {
  Fiber fiber([] {});
  EXPECT_FALSE(fiber.started());
}

TEST(FiberTest, ResumesFromAnotherThread) {
  // A server calls Ask and Tell from whichever thread serves the request.
  int counter = 0;
  Fiber* self = nullptr;
  Fiber fiber([&] {
    int local = 100;  // lives on the fiber's stack across threads
    for (int i = 0; i < 4; ++i) {
      counter += ++local;
      self->Yield();
    }
  });
  self = &fiber;
  fiber.Resume();
  std::thread([&] { fiber.Resume(); }).join();
  fiber.Resume();
  std::thread([&] { fiber.Resume(); }).join();
  fiber.Resume();
  EXPECT_TRUE(fiber.finished());
  EXPECT_EQ(counter, 101 + 102 + 103 + 104);
}

int Recurse(int depth) {
  volatile char pad[512];
  pad[0] = static_cast<char>(depth);
  return depth == 0 ? pad[0] : Recurse(depth - 1) + 1;
}

TEST(FiberTest, ManyFibersWithRealStackUse) {
  constexpr int kFibers = 200;
  std::vector<std::unique_ptr<Fiber>> fibers;
  std::vector<int> sums(kFibers, 0);
  for (int f = 0; f < kFibers; ++f) {
    fibers.push_back(std::make_unique<Fiber>([&, f] {
      for (int i = 0; i < 5; ++i) {
        // ~100 KiB of frames, well within the 256 KiB stack.
        sums[f] += Recurse(200) + f;
        fibers[f]->Yield();
      }
    }));
  }
  for (int round = 0; round <= 5; ++round) {
    for (auto& fiber : fibers) fiber->Resume();
  }
  for (int f = 0; f < kFibers; ++f) {
    EXPECT_TRUE(fibers[f]->finished());
    EXPECT_EQ(sums[f], 5 * (200 + f));
  }
}

}  // namespace
}  // namespace cellfit::optimize
