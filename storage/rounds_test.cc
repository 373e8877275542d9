// Tests of recording rounds: atomicity, ordering, the run's progress and best,
// checkpoints, and reading rounds and evaluations back exactly.
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <random>
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

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

uint64_t Bits(double value) { return std::bit_cast<uint64_t>(value); }

class RoundsTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(DatabaseOptions()); }

  void Open(const DatabaseOptions& options) {
    db_.reset();
    path_ = dir_.File("cellfit.db");
    absl::StatusOr<std::unique_ptr<Database>> db =
        Database::Open(path_, options);
    ASSERT_TRUE(IsOk(db));
    db_ = std::move(*db);
    if (!db_->GetFitter("f").ok()) {
      ASSERT_TRUE(IsOk(db_->CreateFitter(MakeFitter("f"))));
    }
    absl::StatusOr<RunRecord> run = db_->StartRun("f", MakeRun());
    ASSERT_TRUE(IsOk(run));
    run_ = *run;
  }

  int64_t Count(const std::string& sql) {
    absl::StatusOr<std::unique_ptr<Connection>> peek =
        Connection::Open(path_, ConnectionOptions());
    EXPECT_TRUE(IsOk(peek));
    absl::StatusOr<int64_t> count = (*peek)->QueryInt64(sql);
    EXPECT_TRUE(IsOk(count));
    return count.value_or(-1);
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<Database> db_;
  RunRecord run_;
};

TEST_F(RoundsTest, RecordsARoundAndTheRunsProgress) {
  RoundInput round = MakeRound(0, 20);
  round.iteration = 5;
  round.seconds = 1.5;
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord run, db_->RecordRound(run_.id, round));
  EXPECT_EQ(run.rounds_done, 1);
  EXPECT_EQ(run.evaluations, 20);
  // The lowest error of MakeRound(0, 20) is that of the last sample.
  ASSERT_TRUE(run.best_error.has_value());
  EXPECT_EQ(*run.best_error, round.evaluations[19].error);
  EXPECT_EQ(run.best_round, 0);
  EXPECT_EQ(run.best_params, round.evaluations[19].params);

  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord stored, db_->GetRun(run_.id));
  EXPECT_EQ(stored.rounds_done, 1);
  EXPECT_EQ(stored.evaluations, 20);
  EXPECT_EQ(stored.best_error, run.best_error);
  EXPECT_EQ(stored.best_params, run.best_params);

  STORAGE_ASSERT_OK_AND_ASSIGN(std::vector<RoundRecord> rounds,
                               db_->ListRounds(run_.id, 0));
  ASSERT_EQ(rounds.size(), 1u);
  EXPECT_EQ(rounds[0].round, 0);
  EXPECT_EQ(rounds[0].iteration, 5);
  EXPECT_EQ(rounds[0].seconds, 1.5);
  EXPECT_EQ(rounds[0].best_error, run.best_error);
  EXPECT_TRUE(rounds[0].evaluations.empty());  // summary only
  EXPECT_EQ(*db_->CountEvaluations("f", run_.id), 20);
}

TEST_F(RoundsTest, BestIgnoresNanAndKeepsTheEarlierOnATie) {
  RoundInput round0 = MakeRound(0, 3);
  round0.evaluations[0].error = kNaN;
  round0.evaluations[1].error = 5.0;
  round0.evaluations[2].error = 5.0;
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord run,
                               db_->RecordRound(run_.id, round0));
  EXPECT_EQ(*run.best_error, 5.0);
  EXPECT_EQ(run.best_params, round0.evaluations[1].params);

  RoundInput round1 = MakeRound(1, 2);
  round1.evaluations[0].error = 5.0;  // a tie with round 0: round 0 stays
  round1.evaluations[1].error = kInf;
  STORAGE_ASSERT_OK_AND_ASSIGN(run, db_->RecordRound(run_.id, round1));
  EXPECT_EQ(*run.best_error, 5.0);
  EXPECT_EQ(run.best_round, 0);

  RoundInput round2 = MakeRound(2, 1);
  round2.evaluations[0].error = -0.0;
  STORAGE_ASSERT_OK_AND_ASSIGN(run, db_->RecordRound(run_.id, round2));
  EXPECT_EQ(Bits(*run.best_error), Bits(-0.0));
  EXPECT_EQ(run.best_round, 2);
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord stored, db_->GetRun(run_.id));
  EXPECT_EQ(Bits(*stored.best_error), Bits(-0.0));  // sign kept in the file

  STORAGE_ASSERT_OK_AND_ASSIGN(std::vector<RoundRecord> rounds,
                               db_->ListRounds(run_.id, 0));
  ASSERT_EQ(rounds.size(), 3u);
  EXPECT_EQ(*rounds[0].best_error, 5.0);
  EXPECT_EQ(*rounds[1].best_error, 5.0);
  EXPECT_EQ(Bits(*rounds[2].best_error), Bits(-0.0));
  EXPECT_EQ(rounds[2].best_params, round2.evaluations[0].params);
}

TEST_F(RoundsTest, AllNanRoundHasNoBest) {
  RoundInput round = MakeRound(0, 2);
  for (Evaluation& evaluation : round.evaluations) evaluation.error = kNaN;
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord run, db_->RecordRound(run_.id, round));
  EXPECT_FALSE(run.best_error.has_value());
  EXPECT_FALSE(run.best_round.has_value());
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord stored, db_->GetRun(run_.id));
  EXPECT_FALSE(stored.best_error.has_value());
  EXPECT_TRUE(stored.best_params.empty());
}

TEST_F(RoundsTest, RoundsAreRecordedInOrderAndOnce) {
  absl::StatusOr<RunRecord> skipped =
      db_->RecordRound(run_.id, MakeRound(1, 2));
  EXPECT_EQ(skipped.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(skipped.status().message().find("the next is round 0"),
            std::string::npos)
      << skipped.status();
  ASSERT_TRUE(IsOk(db_->RecordRound(run_.id, MakeRound(0, 2))));
  absl::StatusOr<RunRecord> again = db_->RecordRound(run_.id, MakeRound(0, 2));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(again.status().message().find("recording round 0 of run"),
            std::string::npos)
      << again.status();
  EXPECT_EQ(db_->RecordRound(424242, MakeRound(0, 2)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(*db_->CountEvaluations("f"), 2);
}

TEST_F(RoundsTest, MalformedEvaluationsAreRefusedWhole) {
  RoundInput round = MakeRound(0, 5);
  round.evaluations[3].params.pop_back();
  absl::StatusOr<RunRecord> result = db_->RecordRound(run_.id, round);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find(
                "sample 3 has 3 parameter values; the run has 4 parameters "
                "(gl, g_na, g_kd, Cm)"),
            std::string::npos)
      << result.status();
  round = MakeRound(0, 5);
  round.evaluations[4].objectives.push_back(1.0);
  EXPECT_EQ(db_->RecordRound(run_.id, round).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Count("SELECT count(*) FROM rounds"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM evaluations"), 0);
}

// The heart of crash safety: a failure after part of a round was written (here
// the database refuses the last evaluation row) leaves nothing of the round.
TEST_F(RoundsTest, AFailureMidRoundWritesNothingOfIt) {
  ASSERT_TRUE(IsOk(db_->RecordRound(run_.id, MakeRound(0, 20))));

  RoundInput round = MakeRound(1, 20);
  round.evaluations[19].sample = 7;  // a duplicate: the 20th insert fails
  absl::StatusOr<RunRecord> failed = db_->RecordRound(run_.id, round);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(failed.status().message().find(
                "UNIQUE constraint failed: evaluations.run_id, "
                "evaluations.round, evaluations.sample"),
            std::string::npos)
      << failed.status();
  EXPECT_NE(failed.status().message().find("evaluation of sample 7"),
            std::string::npos)
      << failed.status();

  // Nothing of round 1: no round row, none of its first 19 evaluations, no
  // progress, no checkpoint; round 0 is untouched.
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord run, db_->GetRun(run_.id));
  EXPECT_EQ(run.rounds_done, 1);
  EXPECT_EQ(run.evaluations, 20);
  EXPECT_EQ(run.best_round, 0);
  EXPECT_EQ(db_->ListRounds(run_.id, 0)->size(), 1u);
  EXPECT_EQ(*db_->CountEvaluations("f", run_.id), 20);
  EXPECT_EQ(Count("SELECT count(*) FROM evaluations WHERE round = 1"), 0);
  STORAGE_ASSERT_OK_AND_ASSIGN(Checkpoint checkpoint,
                               db_->LatestCheckpoint(run_.id));
  EXPECT_EQ(checkpoint.round, 0);
  EXPECT_EQ(checkpoint.state, "state after round 0");

  // The connection is clean: the corrected round records.
  STORAGE_ASSERT_OK_AND_ASSIGN(run,
                               db_->RecordRound(run_.id, MakeRound(1, 20)));
  EXPECT_EQ(run.rounds_done, 2);
  EXPECT_EQ(*db_->CountEvaluations("f", run_.id), 40);
  EXPECT_EQ(db_->LatestCheckpoint(run_.id)->round, 1);
}

// Rounds recorded together read back as rounds recorded one at a time: the
// same rows, progress and best after each, and the latest checkpoint.
TEST_F(RoundsTest, RoundsRecordedTogetherAreAsRoundsRecordedOneByOne) {
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord single_run,
                               db_->StartRun("f", MakeRun()));
  std::vector<RoundInput> inputs;
  for (int r = 0; r < 4; ++r) inputs.push_back(MakeRound(r, 7));
  inputs[2].evaluations[3].error = kNaN;
  inputs[3].checkpoint.reset();
  std::vector<RunRecord> singles;
  for (const RoundInput& input : inputs) {
    STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord run,
                                 db_->RecordRound(single_run.id, input));
    singles.push_back(run);
  }
  // Round 0 alone, then rounds 1 to 3 in one transaction.
  const RoundInput* const first[] = {&inputs[0]};
  STORAGE_ASSERT_OK_AND_ASSIGN(std::vector<RunRecord> together,
                               db_->RecordRounds(run_.id, first));
  const RoundInput* const rest[] = {&inputs[1], &inputs[2], &inputs[3]};
  STORAGE_ASSERT_OK_AND_ASSIGN(std::vector<RunRecord> more,
                               db_->RecordRounds(run_.id, rest));
  together.insert(together.end(), more.begin(), more.end());

  ASSERT_EQ(together.size(), singles.size());
  for (size_t r = 0; r < singles.size(); ++r) {
    EXPECT_EQ(together[r].rounds_done, singles[r].rounds_done) << r;
    EXPECT_EQ(together[r].evaluations, singles[r].evaluations) << r;
    EXPECT_EQ(together[r].best_error, singles[r].best_error) << r;
    EXPECT_EQ(together[r].best_round, singles[r].best_round) << r;
    EXPECT_EQ(together[r].best_params, singles[r].best_params) << r;
  }
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord stored, db_->GetRun(run_.id));
  EXPECT_EQ(stored.rounds_done, 4);
  EXPECT_EQ(stored.evaluations, 28);
  EXPECT_EQ(stored.best_error, singles.back().best_error);
  EXPECT_EQ(stored.best_params, singles.back().best_params);
  STORAGE_ASSERT_OK_AND_ASSIGN(
      std::vector<RoundRecord> grouped,
      db_->ListRounds(run_.id, 0, RoundDetail::kWithEvaluations));
  STORAGE_ASSERT_OK_AND_ASSIGN(
      std::vector<RoundRecord> alone,
      db_->ListRounds(single_run.id, 0, RoundDetail::kWithEvaluations));
  ASSERT_EQ(grouped.size(), 4u);
  ASSERT_EQ(alone.size(), 4u);
  for (size_t r = 0; r < 4; ++r) {
    EXPECT_EQ(grouped[r].best_error, alone[r].best_error) << r;
    EXPECT_EQ(grouped[r].best_params, alone[r].best_params) << r;
    ASSERT_EQ(grouped[r].evaluations.size(), 7u);
    for (size_t s = 0; s < 7; ++s) {
      EXPECT_EQ(Bits(grouped[r].evaluations[s].error),
                Bits(alone[r].evaluations[s].error));
      EXPECT_EQ(grouped[r].evaluations[s].params,
                alone[r].evaluations[s].params);
    }
  }
  // Round 3 has no checkpoint: the latest is round 2's, in both runs.
  EXPECT_EQ(db_->LatestCheckpoint(run_.id)->round, 2);
  EXPECT_EQ(db_->LatestCheckpoint(single_run.id)->round, 2);
}

TEST_F(RoundsTest, ABadRoundInAGroupWritesNoneOfThem) {
  ASSERT_TRUE(IsOk(db_->RecordRound(run_.id, MakeRound(0, 5))));
  RoundInput one = MakeRound(1, 5);
  RoundInput two = MakeRound(2, 5);
  two.evaluations[2].params.pop_back();
  RoundInput three = MakeRound(3, 5);
  const RoundInput* const rounds[] = {&one, &two, &three};
  absl::StatusOr<std::vector<RunRecord>> failed =
      db_->RecordRounds(run_.id, rounds);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(failed.status().message().find("recording round 2 of run"),
            std::string::npos)
      << failed.status();
  EXPECT_NE(failed.status().message().find("sample 2 has 3 parameter values"),
            std::string::npos)
      << failed.status();
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord run, db_->GetRun(run_.id));
  EXPECT_EQ(run.rounds_done, 1);
  EXPECT_EQ(*db_->CountEvaluations("f", run_.id), 5);
  EXPECT_EQ(db_->LatestCheckpoint(run_.id)->round, 0);
  // Out of order within a group is refused too.
  const RoundInput* const gap[] = {&one, &three};
  EXPECT_EQ(db_->RecordRounds(run_.id, gap).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(db_->GetRun(run_.id)->rounds_done, 1);
  EXPECT_EQ(db_->RecordRounds(run_.id, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RoundsTest, CheckpointRoundTripsAndOnlyTheLatestIsKept) {
  std::string state;
  for (int i = 0; i < 256 * 40; ++i) state += static_cast<char>(i % 256);
  EXPECT_EQ(db_->LatestCheckpoint(run_.id).status().code(),
            absl::StatusCode::kNotFound);
  for (int r = 0; r < 5; ++r) {
    RoundInput round = MakeRound(r, 3);
    round.checkpoint = state + std::to_string(r);
    ASSERT_TRUE(IsOk(db_->RecordRound(run_.id, round)));
  }
  STORAGE_ASSERT_OK_AND_ASSIGN(Checkpoint checkpoint,
                               db_->LatestCheckpoint(run_.id));
  EXPECT_EQ(checkpoint.run_id, run_.id);
  EXPECT_EQ(checkpoint.round, 4);
  EXPECT_EQ(checkpoint.state, state + "4");
  EXPECT_EQ(Count("SELECT count(*) FROM checkpoints"), 1);

  // A round without optimizer state keeps the previous checkpoint.
  RoundInput bare = MakeRound(5, 3);
  bare.checkpoint.reset();
  ASSERT_TRUE(IsOk(db_->RecordRound(run_.id, bare)));
  EXPECT_EQ(db_->LatestCheckpoint(run_.id)->round, 4);

  // Reopened (as after a server restart), the checkpoint is still there.
  db_.reset();
  STORAGE_ASSERT_OK_AND_ASSIGN(db_, Database::Open(path_));
  EXPECT_EQ(db_->LatestCheckpoint(run_.id)->state, state + "4");
  EXPECT_EQ(db_->LatestCheckpoint(98765).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RoundsTest, CheckpointsKeptIsConfigurable) {
  DatabaseOptions options;
  options.checkpoints_kept = 3;
  Open(options);
  for (int r = 0; r < 6; ++r) {
    ASSERT_TRUE(IsOk(db_->RecordRound(run_.id, MakeRound(r, 1))));
  }
  EXPECT_EQ(Count("SELECT count(*) FROM checkpoints WHERE run_id = " +
                  std::to_string(run_.id)),
            3);
  EXPECT_EQ(Count("SELECT min(round) FROM checkpoints WHERE run_id = " +
                  std::to_string(run_.id)),
            3);
  options.checkpoints_kept = 0;  // keep all
  Open(options);
  for (int r = 0; r < 6; ++r) {
    ASSERT_TRUE(IsOk(db_->RecordRound(run_.id, MakeRound(r, 1))));
  }
  EXPECT_EQ(Count("SELECT count(*) FROM checkpoints WHERE run_id = " +
                  std::to_string(run_.id)),
            6);
}

TEST_F(RoundsTest, EvaluationsReadBackBitForBitInOrder) {
  std::mt19937_64 rng(42);
  auto random_double = [&rng]() {
    // Any bit pattern that is not a NaN (a NaN error is stored as NULL).
    while (true) {
      const double value = std::bit_cast<double>(rng());
      if (!std::isnan(value)) return value;
    }
  };
  const std::vector<double> specials = {
      0.0,
      -0.0,
      kInf,
      -kInf,
      std::numeric_limits<double>::denorm_min(),
      std::numeric_limits<double>::max(),
      1.0 / 3.0,
      1e-300};
  std::vector<RoundInput> rounds;
  for (int r = 0; r < 4; ++r) {
    RoundInput round;
    round.round = r;
    round.iteration = 100 + r;
    for (int s = 0; s < 25; ++s) {
      Evaluation evaluation;
      evaluation.sample = s;
      for (int p = 0; p < 4; ++p) {
        // Parameters are blobs: NaNs with payloads survive too.
        evaluation.params.push_back(std::bit_cast<double>(rng()));
      }
      evaluation.error = s < static_cast<int>(specials.size())
                             ? specials[static_cast<size_t>(s)]
                             : random_double();
      evaluation.objectives.push_back(std::bit_cast<double>(rng()));
      round.evaluations.push_back(std::move(evaluation));
    }
    // Written in a shuffled order, read back by sample.
    std::vector<Evaluation> shuffled = round.evaluations;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    RoundInput written = round;
    written.evaluations = shuffled;
    ASSERT_TRUE(IsOk(db_->RecordRound(run_.id, written)));
    rounds.push_back(std::move(round));
  }
  // One NaN error, read back as NaN.
  RoundInput nan_round = MakeRound(4, 1);
  nan_round.evaluations[0].error = kNaN;
  ASSERT_TRUE(IsOk(db_->RecordRound(run_.id, nan_round)));

  STORAGE_ASSERT_OK_AND_ASSIGN(EvaluationColumns columns,
                               db_->ReadEvaluations({.fitter_id = "f"}));
  ASSERT_EQ(columns.size(), 101u);
  ASSERT_EQ(columns.parameter_names,
            (std::vector<std::string>{"gl", "g_na", "g_kd", "Cm"}));
  ASSERT_EQ(columns.output_names, (std::vector<std::string>{"v"}));
  size_t row = 0;
  for (const RoundInput& round : rounds) {
    for (const Evaluation& evaluation : round.evaluations) {
      EXPECT_EQ(columns.run_id[row], run_.id);
      EXPECT_EQ(columns.run_index[row], 0);
      EXPECT_EQ(columns.round[row], round.round);
      EXPECT_EQ(columns.iteration[row], round.iteration);
      EXPECT_EQ(columns.sample[row], evaluation.sample);
      EXPECT_EQ(Bits(columns.error[row]), Bits(evaluation.error)) << row;
      for (size_t p = 0; p < 4; ++p) {
        EXPECT_EQ(Bits(columns.params[p][row]), Bits(evaluation.params[p]));
      }
      EXPECT_EQ(Bits(columns.objectives[0][row]),
                Bits(evaluation.objectives[0]));
      ++row;
    }
  }
  EXPECT_TRUE(std::isnan(columns.error[100]));
  EXPECT_FALSE(columns.next.has_value());

  // The same rows through ListRounds, for Watch replay from round 2.
  STORAGE_ASSERT_OK_AND_ASSIGN(
      std::vector<RoundRecord> replay,
      db_->ListRounds(run_.id, 2, RoundDetail::kWithEvaluations));
  ASSERT_EQ(replay.size(), 3u);
  EXPECT_EQ(replay[0].round, 2);
  EXPECT_EQ(replay[0].iteration, 102);
  ASSERT_EQ(replay[0].evaluations.size(), 25u);
  for (size_t s = 0; s < 25; ++s) {
    const Evaluation& expected = rounds[2].evaluations[s];
    const Evaluation& got = replay[0].evaluations[s];
    EXPECT_EQ(got.sample, expected.sample);
    EXPECT_EQ(Bits(got.error), Bits(expected.error));
    ASSERT_EQ(got.params.size(), 4u);
    for (size_t p = 0; p < 4; ++p) {
      EXPECT_EQ(Bits(got.params[p]), Bits(expected.params[p]));
    }
  }
  EXPECT_EQ(replay[2].evaluations.size(), 1u);
  EXPECT_TRUE(std::isnan(replay[2].evaluations[0].error));
  EXPECT_TRUE(db_->ListRounds(run_.id, 5)->empty());
  EXPECT_EQ(db_->ListRounds(55555, 0).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace cellfit::storage
