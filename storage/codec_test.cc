// Tests of the value codecs: doubles as blobs, name lists as JSON.
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/double_blob.h"
#include "storage/name_list.h"
#include "storage/test_support.h"

namespace cellfit::storage {
namespace {

using ::cellfit::storage::testing::IsOk;

std::vector<uint64_t> Bits(const std::vector<double>& values) {
  std::vector<uint64_t> bits;
  for (double v : values) bits.push_back(std::bit_cast<uint64_t>(v));
  return bits;
}

TEST(DoubleBlobTest, RoundTripsEveryBitPattern) {
  std::vector<double> values = {
      0.0,
      -0.0,
      1.0,
      -1.5,
      std::numeric_limits<double>::infinity(),
      -std::numeric_limits<double>::infinity(),
      std::numeric_limits<double>::quiet_NaN(),
      std::bit_cast<double>(
          uint64_t{0x7ff4000000000123}),  // NaN with a payload
      std::numeric_limits<double>::denorm_min(),
      std::numeric_limits<double>::max(),
      std::numeric_limits<double>::lowest(),
      1e-300,
  };
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000; ++i) values.push_back(std::bit_cast<double>(rng()));

  const std::string blob = EncodeDoubles(values);
  ASSERT_EQ(blob.size(), 8 * values.size());
  absl::StatusOr<std::vector<double>> decoded = DecodeDoubles(blob);
  ASSERT_TRUE(IsOk(decoded));
  EXPECT_EQ(Bits(*decoded), Bits(values));
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint64_t>(DoubleAt(blob, i)),
              std::bit_cast<uint64_t>(values[i]));
  }
}

TEST(DoubleBlobTest, IsLittleEndianBinary64) {
  // 1.0 = 0x3FF0000000000000: lowest byte first.
  const std::string blob = EncodeDoubles(std::vector<double>{1.0});
  EXPECT_EQ(blob, std::string("\x00\x00\x00\x00\x00\x00\xf0\x3f", 8));
}

TEST(DoubleBlobTest, EmptyAndMalformed) {
  EXPECT_EQ(EncodeDoubles({}), "");
  absl::StatusOr<std::vector<double>> empty = DecodeDoubles("");
  ASSERT_TRUE(IsOk(empty));
  EXPECT_TRUE(empty->empty());
  absl::StatusOr<std::vector<double>> odd = DecodeDoubles("1234567");
  EXPECT_EQ(odd.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(odd.status().message().find("7 bytes"), std::string::npos);
}

TEST(NameListTest, RoundTrips) {
  const std::vector<std::vector<std::string>> lists = {
      {},
      {"gl"},
      {"gl", "g_na", "Cm"},
      {"quote\"d", "back\\slash", "new\nline", "tab\t", "\x01\x1f",
       "unicode µS ✓", "x'); DROP TABLE fitters; --"},
  };
  for (const auto& names : lists) {
    const std::string json = EncodeNameList(names);
    absl::StatusOr<std::vector<std::string>> decoded = DecodeNameList(json);
    ASSERT_TRUE(IsOk(decoded)) << json;
    EXPECT_EQ(*decoded, names) << json;
  }
  EXPECT_EQ(EncodeNameList({"a", "b"}), R"(["a","b"])");
  EXPECT_EQ(EncodeNameList({}), "[]");
}

TEST(NameListTest, ReadsJsonWrittenByOthers) {
  // As SQLite's json functions or a person might write it.
  absl::StatusOr<std::vector<std::string>> decoded = DecodeNameList(
      " [ \"a\" ,\n\"\\u00b5S\", \"\\ud83d\\ude00\", \"\\/\\b\\f\\r\" ] ");
  ASSERT_TRUE(IsOk(decoded));
  EXPECT_EQ(*decoded, (std::vector<std::string>{"a", "µS", "\xF0\x9F\x98\x80",
                                                "/\b\f\r"}));
}

TEST(NameListTest, RejectsMalformed) {
  for (const char* bad :
       {"", "[", "[\"a\"", "[\"a\",]", "[a]", "{\"a\":1}", "[\"a\"] x",
        "[\"\\x\"]", "[\"\\ud800\"]", "[1]", "[\"a\nb\"]", "[\"\\u12\"]"}) {
    absl::StatusOr<std::vector<std::string>> decoded = DecodeNameList(bad);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss) << bad;
  }
}

}  // namespace
}  // namespace cellfit::storage
