// Sizes the service meets: 1000 rounds of 20 evaluations, and a fitter with
// 10^6 evaluation rows read back as columns. Prints the figures; asserts only
// correctness (timing belongs to benchmarks).
#include <cstdio>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "storage/database.h"
#include "storage/test_support.h"

namespace cellfit::storage {
namespace {

using ::cellfit::storage::testing::IsOk;
using ::cellfit::storage::testing::MakeFitter;
using ::cellfit::storage::testing::MakeRound;
using ::cellfit::storage::testing::MakeRun;
using ::cellfit::storage::testing::TempDir;

double Seconds(absl::Time start) {
  return absl::ToDoubleSeconds(absl::Now() - start);
}

void RecordRounds(bool durable) {
  TempDir dir;
  DatabaseOptions options;
  options.durable = durable;
  STORAGE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db,
                               Database::Open(dir.File("cellfit.db"), options));
  ASSERT_TRUE(IsOk(db->CreateFitter(MakeFitter("f"))));
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord run, db->StartRun("f", MakeRun()));
  constexpr int kRounds = 1000;
  constexpr int kSamples = 20;
  std::vector<RoundInput> rounds;
  for (int r = 0; r < kRounds; ++r) rounds.push_back(MakeRound(r, kSamples));

  const absl::Time start = absl::Now();
  for (const RoundInput& round : rounds) {
    absl::StatusOr<RunRecord> recorded = db->RecordRound(run.id, round);
    ASSERT_TRUE(IsOk(recorded));
  }
  const double seconds = Seconds(start);
  std::printf(
      "[ figures  ] %d rounds x %d evaluations (synchronous=%s): "
      "%.3f s, %.3f ms per round, %.0f rows/s\n",
      kRounds, kSamples, durable ? "FULL" : "NORMAL", seconds,
      1e3 * seconds / kRounds, kRounds * kSamples / seconds);

  const absl::Time read_start = absl::Now();
  STORAGE_ASSERT_OK_AND_ASSIGN(EvaluationColumns columns,
                               db->ReadEvaluations({.fitter_id = "f"}));
  std::printf("[ figures  ] read back %zu rows as columns in %.3f s\n",
              columns.size(), Seconds(read_start));
  EXPECT_EQ(columns.size(), static_cast<size_t>(kRounds * kSamples));
  EXPECT_EQ(db->GetRun(run.id)->rounds_done, kRounds);
}

TEST(ScaleTest, ThousandRoundsOfTwenty) {
  RecordRounds(/*durable=*/true);
  RecordRounds(/*durable=*/false);
}

TEST(ScaleTest, AMillionEvaluations) {
  TempDir dir;
  DatabaseOptions options;
  options.durable = false;
  STORAGE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db,
                               Database::Open(dir.File("cellfit.db"), options));
  ASSERT_TRUE(IsOk(db->CreateFitter(MakeFitter("f"))));
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord run, db->StartRun("f", MakeRun()));
  constexpr int kRounds = 1000;
  constexpr int kSamples = 1000;
  absl::Duration writing;
  for (int r = 0; r < kRounds; ++r) {
    const RoundInput round = MakeRound(r, kSamples);  // not timed
    const absl::Time start = absl::Now();
    ASSERT_TRUE(IsOk(db->RecordRound(run.id, round)));
    writing += absl::Now() - start;
  }
  const double write_seconds = absl::ToDoubleSeconds(writing);
  std::printf(
      "[ figures  ] wrote 10^6 evaluations (4 parameters, 1 output) in "
      "%.2f s: %.0f rows/s\n",
      write_seconds, 1e6 / write_seconds);

  const absl::Time read_start = absl::Now();
  STORAGE_ASSERT_OK_AND_ASSIGN(EvaluationColumns columns,
                               db->ReadEvaluations({.fitter_id = "f"}));
  const double read_seconds = Seconds(read_start);
  std::printf(
      "[ figures  ] read 10^6 evaluations as columns in %.2f s: %.0f "
      "rows/s\n",
      read_seconds, 1e6 / read_seconds);
  ASSERT_EQ(columns.size(), 1000000u);
  for (int r : {0, 517, 999}) {
    const RoundInput expected = MakeRound(r, kSamples);
    for (int s : {0, 333, 999}) {
      const size_t row = static_cast<size_t>(r) * kSamples + s;
      EXPECT_EQ(columns.round[row], r);
      EXPECT_EQ(columns.sample[row], s);
      EXPECT_EQ(columns.error[row], expected.evaluations[s].error);
      for (size_t p = 0; p < 4; ++p) {
        EXPECT_EQ(columns.params[p][row], expected.evaluations[s].params[p]);
      }
    }
  }

  const absl::Time page_start = absl::Now();
  EvaluationQuery query{.fitter_id = "f", .limit = 100000};
  size_t rows = 0;
  int pages = 0;
  while (true) {
    STORAGE_ASSERT_OK_AND_ASSIGN(EvaluationColumns page,
                                 db->ReadEvaluations(query));
    rows += page.size();
    ++pages;
    if (!page.next.has_value()) break;
    query.after = page.next;
  }
  std::printf("[ figures  ] the same in %d pages of 10^5 rows: %.2f s\n", pages,
              Seconds(page_start));
  EXPECT_EQ(rows, 1000000u);

  const absl::Time count_start = absl::Now();
  EXPECT_EQ(*db->CountEvaluations("f"), 1000000);
  std::printf("[ figures  ] counted 10^6 rows in %.3f s\n",
              Seconds(count_start));

  const absl::Time delete_start = absl::Now();
  ASSERT_TRUE(IsOk(db->DeleteFitter("f")));
  std::printf("[ figures  ] deleted the fitter with its 10^6 rows in %.2f s\n",
              Seconds(delete_start));
}

}  // namespace
}  // namespace cellfit::storage
