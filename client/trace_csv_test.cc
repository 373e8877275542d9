#include "client/trace_csv.h"

#include <cstdlib>
#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cellfit::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Error(const absl::StatusOr<TraceTable>& table) {
  EXPECT_FALSE(table.ok());
  return std::string(table.status().message());
}

TEST(TraceCsvTest, ReadsTheIndexedLayoutOfPandas) {
  absl::StatusOr<TraceTable> table =
      ParseTraceCsv(",0,1,2\n0,1.5,2,3\n1,4,5,-6e-3\n", "t.csv");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->layout, TraceLayout::kIndexed);
  EXPECT_EQ(table->n_traces, 2u);
  EXPECT_EQ(table->n_steps, 3u);
  EXPECT_THAT(table->values, ElementsAre(1.5, 2, 3, 4, 5, -6e-3));
}

TEST(TraceCsvTest, ReadsPlainRowsWithOrWithoutAStepHeader) {
  absl::StatusOr<TraceTable> plain = ParseTraceCsv("1,2,3\n4,5,6\n", "p.csv");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->layout, TraceLayout::kPlain);
  EXPECT_EQ(plain->n_traces, 2u);
  EXPECT_EQ(plain->n_steps, 3u);
  EXPECT_THAT(plain->values, ElementsAre(1, 2, 3, 4, 5, 6));

  // pandas with index=False: a header of step indices, no index column.
  absl::StatusOr<TraceTable> headed = ParseTraceCsv("0,1,2\n7,8,9\n", "h.csv");
  ASSERT_TRUE(headed.ok()) << headed.status();
  EXPECT_EQ(headed->n_traces, 1u);
  EXPECT_THAT(headed->values, ElementsAre(7, 8, 9));

  // A single row that happens to count up is data, not a header.
  absl::StatusOr<TraceTable> single = ParseTraceCsv("0,1,2\n", "s.csv");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->n_traces, 1u);
}

TEST(TraceCsvTest, ToleratesWindowsLineEndsBomSpacesAndBlankLines) {
  absl::StatusOr<TraceTable> table =
      ParseTraceCsv("\xEF\xBB\xBF,0,1\r\n0, 1 ,+2\r\n\r\n1,3,4\r\n\n", "w.csv");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->n_traces, 2u);
  EXPECT_THAT(table->values, ElementsAre(1, 2, 3, 4));
}

TEST(TraceCsvTest, ErrorsNameTheFileLineAndColumn) {
  EXPECT_THAT(Error(ParseTraceCsv("1,2,3\n4,x5,6\n", "v.csv")),
              HasSubstr("v.csv:2:3: 'x5' is not a number (field 2)"));
  EXPECT_THAT(Error(ParseTraceCsv(",0,1\n0,1,2\n1,3\n", "v.csv")),
              HasSubstr("v.csv:3: has 2 fields, expected 3"));
  EXPECT_THAT(Error(ParseTraceCsv("1,2\n3\n", "v.csv")),
              HasSubstr("v.csv:2: has 1 values, expected 2 like the first "
                        "trace on line 1"));
  EXPECT_THAT(Error(ParseTraceCsv(",0,1\n1,1,2\n", "v.csv")),
              HasSubstr("v.csv:2:1: trace index 1 where 0 was expected"));
  EXPECT_THAT(Error(ParseTraceCsv("1,nan\n", "v.csv")),
              HasSubstr("v.csv:1:3: 'nan' is not a finite number"));
  EXPECT_THAT(Error(ParseTraceCsv("1,,3\n", "v.csv")),
              HasSubstr("v.csv:1:3: empty value (field 2)"));
  EXPECT_THAT(Error(ParseTraceCsv("\n\n", "v.csv")),
              HasSubstr("v.csv: the file holds no traces"));
  EXPECT_THAT(Error(ParseTraceCsv(",0,1\n", "v.csv")), HasSubstr("no traces"));
}

TEST(TraceCsvTest, ReadsTheHhExampleData) {
  const char* source = std::getenv("CELLFIT_SOURCE_DIR");
  ASSERT_NE(source, nullptr);
  absl::StatusOr<TraceTable> table = ReadTraceCsv(
      std::filesystem::path(source) / "examples/hh/output_traces_hh.csv");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->layout, TraceLayout::kIndexed);
  EXPECT_EQ(table->n_traces, 5u);
  EXPECT_EQ(table->n_steps, 1497u);
  EXPECT_EQ(table->values.size(), 5u * 1497u);
}

TEST(TraceCsvTest, AMissingFileIsNamed) {
  absl::StatusOr<TraceTable> table = ReadTraceCsv("/nonexistent/x.csv");
  EXPECT_EQ(table.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(table.status().message(), HasSubstr("/nonexistent/x.csv"));
}

TEST(SpikeCsvTest, ReadsTraceTimeRowsWithOptionalHeader) {
  auto trains =
      ParseSpikeCsv("trace,time\n1,20\n0,5\n1,10\n", "s.csv", 3, 1e-3);
  ASSERT_TRUE(trains.ok()) << trains.status();
  ASSERT_EQ(trains->size(), 3u);
  EXPECT_THAT((*trains)[0], ElementsAre(0.005));
  EXPECT_THAT((*trains)[1], ElementsAre(0.01, 0.02));  // sorted
  EXPECT_TRUE((*trains)[2].empty());                   // a trace without spikes

  auto bare = ParseSpikeCsv("0,0.5\n", "s.csv", 1, 1);
  ASSERT_TRUE(bare.ok());
  EXPECT_THAT((*bare)[0], ElementsAre(0.5));
}

TEST(SpikeCsvTest, ErrorsNameTheFileLineAndColumn) {
  auto error = [](std::string_view text) {
    auto trains = ParseSpikeCsv(text, "s.csv", 2, 1);
    EXPECT_FALSE(trains.ok());
    return std::string(trains.status().message());
  };
  EXPECT_THAT(
      error("0,1\n2,1\n"),
      HasSubstr("s.csv:2:1: trace 2 does not exist: the inputs have 2"));
  EXPECT_THAT(error("0,1,2\n"), HasSubstr("s.csv:1: has 3 fields"));
  EXPECT_THAT(error("0,-1\n"), HasSubstr("s.csv:1:3: a spike time cannot be"));
  EXPECT_THAT(error("0,1\n0,abc\n"), HasSubstr("s.csv:2:3: 'abc' is not a"));
}

}  // namespace
}  // namespace cellfit::client
