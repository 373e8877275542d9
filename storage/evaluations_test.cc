// Tests of reading evaluations as columns: several runs, paging, counting,
// and the query plan of the scan.
#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/connection.h"
#include "storage/database.h"
#include "storage/test_support.h"

namespace cellfit::storage {
namespace {

using ::cellfit::storage::testing::IsOk;
using ::cellfit::storage::testing::MakeFitter;
using ::cellfit::storage::testing::MakeRound;
using ::cellfit::storage::testing::MakeRun;
using ::cellfit::storage::testing::TempDir;

class EvaluationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("cellfit.db");
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path_);
    ASSERT_TRUE(IsOk(db));
    db_ = std::move(*db);
    ASSERT_TRUE(IsOk(db_->CreateFitter(MakeFitter("f"))));
    ASSERT_TRUE(IsOk(db_->CreateFitter(MakeFitter("other"))));
    // Run 0: 4 parameters, output v; 3 rounds of 5.
    absl::StatusOr<RunRecord> run0 = db_->StartRun("f", MakeRun());
    ASSERT_TRUE(IsOk(run0));
    run0_ = *run0;
    for (int r = 0; r < 3; ++r) {
      ASSERT_TRUE(IsOk(db_->RecordRound(run0_.id, MakeRound(r, 5))));
    }
    // Another fitter's rows in between must never show up.
    absl::StatusOr<RunRecord> foreign = db_->StartRun("other", MakeRun());
    ASSERT_TRUE(IsOk(foreign));
    foreign_ = *foreign;
    ASSERT_TRUE(IsOk(db_->RecordRound(foreign_.id, MakeRound(0, 7))));
    // Run 1 (a restart): parameters Cm and a new one, outputs v and spikes;
    // 2 rounds of 4, iterations from 10.
    NewRun second = MakeRun({"Cm", "tau"}, {"spikes", "v"});
    second.start_iteration = 10;
    absl::StatusOr<RunRecord> run1 = db_->StartRun("f", second);
    ASSERT_TRUE(IsOk(run1));
    run1_ = *run1;
    for (int r = 0; r < 2; ++r) {
      RoundInput round = MakeRound(r, 4, 2, 2);
      round.iteration = 10 + r;
      ASSERT_TRUE(IsOk(db_->RecordRound(run1_.id, round)));
    }
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<Database> db_;
  RunRecord run0_, run1_, foreign_;
};

TEST_F(EvaluationsTest, OneRun) {
  STORAGE_ASSERT_OK_AND_ASSIGN(
      EvaluationColumns columns,
      db_->ReadEvaluations({.fitter_id = "f", .run_id = run1_.id}));
  ASSERT_EQ(columns.size(), 8u);
  EXPECT_EQ(columns.parameter_names, (std::vector<std::string>{"Cm", "tau"}));
  EXPECT_EQ(columns.output_names, (std::vector<std::string>{"spikes", "v"}));
  const RoundInput expected = MakeRound(1, 4, 2, 2);
  EXPECT_EQ(columns.round[4], 1);
  EXPECT_EQ(columns.iteration[4], 11);
  EXPECT_EQ(columns.run_index[4], 1);
  EXPECT_EQ(columns.sample[5], 1);
  EXPECT_EQ(columns.params[1][5], expected.evaluations[1].params[1]);
  EXPECT_EQ(columns.objectives[1][5], expected.evaluations[1].objectives[1]);
  EXPECT_EQ(columns.error[5], expected.evaluations[1].error);
}

TEST_F(EvaluationsTest, AllRunsShareTheUnionOfColumns) {
  STORAGE_ASSERT_OK_AND_ASSIGN(EvaluationColumns columns,
                               db_->ReadEvaluations({.fitter_id = "f"}));
  ASSERT_EQ(columns.size(), 15u + 8u);
  EXPECT_EQ(columns.parameter_names,
            (std::vector<std::string>{"gl", "g_na", "g_kd", "Cm", "tau"}));
  EXPECT_EQ(columns.output_names, (std::vector<std::string>{"v", "spikes"}));
  for (const auto& column : columns.params) EXPECT_EQ(column.size(), 23u);
  for (const auto& column : columns.objectives) EXPECT_EQ(column.size(), 23u);
  // Row 0 is run 0: no tau, no spikes.
  EXPECT_EQ(columns.run_id[0], run0_.id);
  EXPECT_EQ(columns.params[3][0], MakeRound(0, 5).evaluations[0].params[3]);
  EXPECT_TRUE(std::isnan(columns.params[4][0]));
  EXPECT_TRUE(std::isnan(columns.objectives[1][0]));
  // Row 15 is run 1, round 0, sample 0: Cm is its parameter 0, v its output 1.
  const RoundInput run1_round0 = MakeRound(0, 4, 2, 2);
  EXPECT_EQ(columns.run_id[15], run1_.id);
  EXPECT_EQ(columns.run_index[15], 1);
  EXPECT_EQ(columns.iteration[15], 10);
  EXPECT_EQ(columns.params[3][15], run1_round0.evaluations[0].params[0]);
  EXPECT_EQ(columns.params[4][15], run1_round0.evaluations[0].params[1]);
  EXPECT_TRUE(std::isnan(columns.params[0][15]));
  EXPECT_EQ(columns.objectives[0][15],
            run1_round0.evaluations[0].objectives[1]);
  EXPECT_EQ(columns.objectives[1][15],
            run1_round0.evaluations[0].objectives[0]);
}

TEST_F(EvaluationsTest, PagesConcatenateToTheWhole) {
  STORAGE_ASSERT_OK_AND_ASSIGN(EvaluationColumns whole,
                               db_->ReadEvaluations({.fitter_id = "f"}));
  for (int64_t limit : {1, 4, 5, 7, 15, 22, 23, 100}) {
    EvaluationQuery query{.fitter_id = "f", .limit = limit};
    std::vector<int64_t> samples, rounds, runs;
    std::vector<double> errors;
    int pages = 0;
    while (true) {
      STORAGE_ASSERT_OK_AND_ASSIGN(EvaluationColumns page,
                                   db_->ReadEvaluations(query));
      ++pages;
      ASSERT_LE(page.size(), static_cast<size_t>(limit));
      EXPECT_EQ(page.parameter_names, whole.parameter_names);
      runs.insert(runs.end(), page.run_id.begin(), page.run_id.end());
      rounds.insert(rounds.end(), page.round.begin(), page.round.end());
      samples.insert(samples.end(), page.sample.begin(), page.sample.end());
      errors.insert(errors.end(), page.error.begin(), page.error.end());
      if (!page.next.has_value()) break;
      EXPECT_EQ(page.size(), static_cast<size_t>(limit));
      query.after = page.next;
      ASSERT_LT(pages, 100);
    }
    EXPECT_EQ(runs, whole.run_id) << "limit " << limit;
    EXPECT_EQ(rounds, whole.round) << "limit " << limit;
    EXPECT_EQ(samples, whole.sample) << "limit " << limit;
    EXPECT_EQ(errors, whole.error) << "limit " << limit;
    // `next` is set only when rows remain: no empty last page.
    EXPECT_EQ(pages, (23 + limit - 1) / limit) << "limit " << limit;
  }
}

TEST_F(EvaluationsTest, CountsAndErrors) {
  EXPECT_EQ(*db_->CountEvaluations("f"), 23);
  EXPECT_EQ(*db_->CountEvaluations("f", run0_.id), 15);
  EXPECT_EQ(*db_->CountEvaluations("other"), 7);
  EXPECT_EQ(db_->CountEvaluations("nope").status().code(),
            absl::StatusCode::kNotFound);
  // A run of another fitter is not found through this one.
  absl::StatusOr<EvaluationColumns> foreign =
      db_->ReadEvaluations({.fitter_id = "f", .run_id = foreign_.id});
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(foreign.status().message().find("is not a run of fitter 'f'"),
            std::string::npos)
      << foreign.status();
  EXPECT_EQ(db_->ReadEvaluations({.fitter_id = "nope"}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(
      db_->ReadEvaluations({.fitter_id = "f", .limit = -1}).status().code(),
      absl::StatusCode::kInvalidArgument);
  // A fitter without runs has no rows and no columns.
  ASSERT_TRUE(IsOk(db_->CreateFitter(MakeFitter("empty"))));
  STORAGE_ASSERT_OK_AND_ASSIGN(EvaluationColumns none,
                               db_->ReadEvaluations({.fitter_id = "empty"}));
  EXPECT_EQ(none.size(), 0u);
  EXPECT_TRUE(none.parameter_names.empty());
}

TEST_F(EvaluationsTest, ScanIsARangeOfThePrimaryKeyWithoutSorting) {
  absl::StatusOr<std::unique_ptr<Connection>> peek =
      Connection::Open(path_, ConnectionOptions());
  ASSERT_TRUE(IsOk(peek));
  absl::StatusOr<Statement> plan = Statement::Prepare(
      (*peek)->handle(),
      "EXPLAIN QUERY PLAN SELECT round, sample, error, params, objectives FROM "
      "evaluations WHERE run_id = ?1 AND (round, sample) > (?2, ?3) "
      "ORDER BY round, sample LIMIT ?4");
  ASSERT_TRUE(IsOk(plan));
  std::string details;
  while (*plan->Step()) details += std::string(plan->ColumnText(3)) + "\n";
  EXPECT_NE(details.find("SEARCH evaluations USING PRIMARY KEY"),
            std::string::npos)
      << details;
  EXPECT_EQ(details.find("TEMP B-TREE"), std::string::npos) << details;
}

}  // namespace
}  // namespace cellfit::storage
