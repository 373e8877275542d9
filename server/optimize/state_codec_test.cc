#include "server/optimize/state_codec.h"

#include <bit>
#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cellfit::optimize {
namespace {

using ::testing::HasSubstr;

TEST(StateCodecTest, RoundTripsEveryFieldBitForBit) {
  const double specials[] = {0.0,
                             -0.0,
                             1.0 / 3.0,
                             std::numeric_limits<double>::denorm_min(),
                             std::numeric_limits<double>::max(),
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             std::bit_cast<double>(0x7ff8dead0000beefULL)};
  Eigen::MatrixXd m(2, 3);
  m << 1, 2, 3, 4, 5, 6;
  Eigen::VectorXd v(3);
  v << 0.1, -0.2, 1e-300;

  StateWriter w;
  w.PutU8(200);
  w.PutU32(0xdeadbeef);
  w.PutU64(0x0123456789abcdefULL);
  w.PutI64(-5);
  w.PutBool(true);
  for (double d : specials) w.PutDouble(d);
  w.PutString(std::string("a\0b", 3));
  w.PutVector(v);
  w.PutMatrix(m);
  w.PutDoubles({1.5, -2.5});

  StateReader r(w.bytes());
  EXPECT_EQ(r.GetU8("u8").value(), 200);
  EXPECT_EQ(r.GetU32("u32").value(), 0xdeadbeef);
  EXPECT_EQ(r.GetU64("u64").value(), 0x0123456789abcdefULL);
  EXPECT_EQ(r.GetI64("i64").value(), -5);
  EXPECT_TRUE(r.GetBool("bool").value());
  for (double d : specials) {
    EXPECT_EQ(std::bit_cast<uint64_t>(r.GetDouble("d").value()),
              std::bit_cast<uint64_t>(d));
  }
  EXPECT_EQ(r.GetString("s").value(), std::string("a\0b", 3));
  EXPECT_EQ(r.GetVectorOfSize("v", 3).value(), v);
  EXPECT_EQ(r.GetMatrixOfShape("m", 2, 3).value(), m);
  EXPECT_THAT(r.GetDoubles("ds").value(), ::testing::ElementsAre(1.5, -2.5));
  EXPECT_TRUE(r.ExpectEnd().ok());
}

TEST(StateCodecTest, LittleEndianWhateverTheHost) {
  StateWriter w;
  w.PutU32(0x04030201);
  EXPECT_EQ(w.bytes(), std::string("\x01\x02\x03\x04", 4));
}

TEST(StateCodecTest, TruncationAndCorruptionNameTheField) {
  StateWriter w;
  w.PutU64(7);
  const std::string bytes = w.bytes().substr(0, 5);
  StateReader r(bytes);
  const absl::Status status = r.GetU64("generation").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("'generation'"));

  // A huge element count fails before allocating.
  StateWriter huge;
  huge.PutU64(uint64_t{1} << 40);
  StateReader hr(huge.bytes());
  EXPECT_EQ(hr.GetVector("population").status().code(),
            absl::StatusCode::kDataLoss);

  StateWriter shape;
  shape.PutVector(Eigen::VectorXd::Zero(2));
  StateReader sr(shape.bytes());
  EXPECT_THAT(std::string(sr.GetVectorOfSize("mean", 3).status().message()),
              HasSubstr("'mean' has 2 entries, expected 3"));

  StateWriter flag;
  flag.PutU8(7);
  StateReader fr(flag.bytes());
  EXPECT_EQ(fr.GetBool("flag").status().code(), absl::StatusCode::kDataLoss);

  StateWriter extra;
  extra.PutU8(1);
  extra.PutU8(2);
  StateReader er(extra.bytes());
  ASSERT_TRUE(er.GetU8("x").ok());
  EXPECT_EQ(er.ExpectEnd().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace cellfit::optimize
