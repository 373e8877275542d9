#include "server/optimize/random.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include "gtest/gtest.h"

namespace cellfit::optimize {
namespace {

TEST(RandomTest, DrawsArePinned) {
  // Golden values: every distribution here is our own code, so these hold
  // on every standard library. A change means checkpoints and seeded runs
  // no longer reproduce; bump the state version if it is intended.
  Random rng(42);
  EXPECT_EQ(rng.Uniform(), 0x1.1e0c5b02ab5dp-3);
  // Box-Muller goes through log, sin and cos: pinned for glibc's libm, whose
  // double versions are correctly rounded.
  EXPECT_EQ(rng.Normal(), 0x1.4bfb5bcba0a73p+1);
  EXPECT_EQ(rng.Normal(), -0x1.f73e6224388b8p-2);
  EXPECT_EQ(rng.UniformInt(1000003), 752116u);
  EXPECT_EQ(MixSeed(1, 2, 3), 15020427595393229491ULL);
}

TEST(RandomTest, SameSeedSameStream) {
  Random a(7), b(7), c(8);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const double x = a.Normal();
    EXPECT_EQ(x, b.Normal());
    differs |= x != c.Normal();
    EXPECT_EQ(a.UniformInt(17), b.UniformInt(17));
  }
  EXPECT_TRUE(differs);
}

TEST(RandomTest, DistributionMoments) {
  Random rng(1);
  const int n = 200000;
  double sum = 0, sum2 = 0, usum = 0;
  std::vector<int> counts(7, 0);
  for (int i = 0; i < n; ++i) {
    const double z = rng.Normal();
    sum += z;
    sum2 += z * z;
    const double u = rng.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    usum += u;
    ++counts[rng.UniformInt(7)];
  }
  // Standard errors: mean 1/sqrt(n) = 0.0022, variance ~0.0032.
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sum2 / n, 1.0, 0.015);
  EXPECT_NEAR(usum / n, 0.5, 0.003);
  for (int c : counts) EXPECT_NEAR(c, n / 7.0, 5 * std::sqrt(n / 7.0));
}

TEST(RandomTest, PermutationIsAPermutation) {
  Random rng(3);
  std::vector<int> p = rng.Permutation(50);
  std::vector<int> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(sorted[i], i);
}

void ExpectSameDraws(Random& a, Random& b) {
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(a.Normal(), b.Normal()) << "draw " << i;
    ASSERT_EQ(a.Uniform(), b.Uniform()) << "draw " << i;
  }
}

TEST(RandomTest, SaveRestoreContinuesExactly) {
  Random rng(99);
  for (int i = 0; i < 1001; ++i) rng.Normal();  // leaves a spare normal
  StateWriter writer;
  rng.Save(writer);
  Random restored(0);
  StateReader reader(writer.bytes());
  ASSERT_TRUE(restored.Restore(reader).ok());
  EXPECT_TRUE(reader.AtEnd());
  ExpectSameDraws(rng, restored);
}

// A checkpoint written before the binary form: the standard engine's text
// where the marker now stands. It must continue as it would have.
TEST(RandomTest, RestoresAnOlderCheckpoint) {
  Random reference(99);
  for (int i = 0; i < 301; ++i) reference.Normal();  // leaves a spare normal
  StateWriter current;
  reference.Save(current);
  // Rebuild the same state in the older layout: the engine's words as the
  // standard engine's text, then the spare normal.
  StateReader fields(current.bytes());
  ASSERT_TRUE(fields.GetString("marker").ok());
  std::ostringstream text;
  for (int i = 0; i < MersenneTwister64::kStateWords; ++i) {
    text << *fields.GetU64("word") << ' ';
  }
  text << *fields.GetU32("position");
  StateWriter older;
  older.PutString(text.str());
  older.PutBool(*fields.GetBool("spare flag"));
  older.PutDouble(*fields.GetDouble("spare"));
  ASSERT_TRUE(fields.AtEnd());

  Random restored(0);
  StateReader reader(older.bytes());
  ASSERT_TRUE(restored.Restore(reader).ok());
  EXPECT_TRUE(reader.AtEnd());
  ExpectSameDraws(reference, restored);
}

TEST(RandomTest, MixSeedSeparatesStreams) {
  EXPECT_NE(MixSeed(1, 0, 0), MixSeed(1, 1, 0));
  EXPECT_NE(MixSeed(1, 0, 1), MixSeed(1, 1, 0));
  EXPECT_NE(MixSeed(1, 2, 3), MixSeed(2, 2, 3));
  EXPECT_EQ(MixSeed(5, 6, 7), MixSeed(5, 6, 7));
}

}  // namespace
}  // namespace cellfit::optimize
