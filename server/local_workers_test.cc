#include "server/local_workers.h"

#include <initializer_list>

#include "gtest/gtest.h"

namespace cellfit::server {
namespace {

cpu_set_t Mask(std::initializer_list<int> cores) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  for (int core : cores) CPU_SET(core, &mask);
  return mask;
}

TEST(LocalWorkerCores, OneWorkerPerCoreOfTheMaskIsBoundInOrder) {
  EXPECT_EQ(LocalWorkerCores(2, Mask({0, 1})), (std::vector<int>{0, 1}));
  EXPECT_EQ(LocalWorkerCores(3, Mask({1, 3, 6})), (std::vector<int>{1, 3, 6}));
}

TEST(LocalWorkerCores, OneWorkerOrAnyOtherCountIsLeftUnbound) {
  EXPECT_TRUE(LocalWorkerCores(1, Mask({0})).empty());
  EXPECT_TRUE(LocalWorkerCores(0, Mask({0, 1})).empty());
  EXPECT_TRUE(LocalWorkerCores(3, Mask({0, 1})).empty());     // more
  EXPECT_TRUE(LocalWorkerCores(2, Mask({0, 1, 2})).empty());  // fewer
}

TEST(BoundCore, IsTheOneCoreOfAProcessOrMinusOne) {
  cpu_set_t before;
  ASSERT_EQ(sched_getaffinity(0, sizeof(before), &before), 0);
  const int here = sched_getcpu();
  ASSERT_GE(here, 0);
  cpu_set_t one = Mask({here});
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  EXPECT_EQ(BoundCore(0), here);
  ASSERT_EQ(sched_setaffinity(0, sizeof(before), &before), 0);
  if (CPU_COUNT(&before) > 1) {
    EXPECT_EQ(BoundCore(0), -1);
  }
  EXPECT_EQ(BoundCore(-1), -1);  // no such process
}

}  // namespace
}  // namespace cellfit::server
