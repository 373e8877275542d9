#include "server/optimize/mersenne_twister.h"

#include <random>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace cellfit::optimize {
namespace {

TEST(MersenneTwister64Test, DrawsWhatTheStandardEngineDraws) {
  for (uint64_t seed : {0ULL, 5489ULL, 42ULL, 0xffffffffffffffffULL}) {
    std::mt19937_64 standard(seed);
    MersenneTwister64 ours(seed);
    // Past several twists of the 312-word state.
    for (int i = 0; i < 2000; ++i) {
      ASSERT_EQ(ours(), standard()) << "seed " << seed << ", draw " << i;
    }
  }
  // [rand.predef]: the 10000th output of a default-constructed mt19937_64.
  MersenneTwister64 default_seeded(5489);
  for (int i = 0; i < 9999; ++i) default_seeded();
  EXPECT_EQ(default_seeded(), 9981545732273789042ULL);
}

TEST(MersenneTwister64Test, SaveRestoreContinuesExactly) {
  MersenneTwister64 engine(7);
  for (int i = 0; i < 500; ++i) engine();  // mid-way through a twist
  StateWriter writer;
  engine.Save(writer);
  MersenneTwister64 restored(0);
  StateReader reader(writer.bytes());
  ASSERT_TRUE(restored.Restore(reader).ok());
  EXPECT_TRUE(reader.AtEnd());
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(restored(), engine());
}

TEST(MersenneTwister64Test, RestoresTheStandardEnginesTextualForm) {
  std::mt19937_64 standard(11);
  for (int i = 0; i < 700; ++i) standard();
  std::ostringstream text;
  text << standard;
  MersenneTwister64 restored(0);
  ASSERT_TRUE(restored.RestoreFromText(text.str()).ok());
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(restored(), standard());
}

TEST(MersenneTwister64Test, RejectsACorruptState) {
  MersenneTwister64 engine(3);
  EXPECT_EQ(engine.RestoreFromText("1 2 3").code(),
            absl::StatusCode::kDataLoss);
  std::string words;
  for (int i = 0; i < MersenneTwister64::kStateWords; ++i) words += "1 ";
  EXPECT_EQ(engine.RestoreFromText(words + "313").code(),
            absl::StatusCode::kDataLoss);  // position beyond the state
  EXPECT_TRUE(engine.RestoreFromText(words + "312").ok());

  StateWriter writer;
  for (int i = 0; i < MersenneTwister64::kStateWords; ++i) writer.PutU64(1);
  writer.PutU32(400);
  StateReader reader(writer.bytes());
  absl::Status status = engine.Restore(reader);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("position"), std::string::npos) << status;
}

}  // namespace
}  // namespace cellfit::optimize
