// A writer process killed with SIGKILL while it records rounds: the file must
// hold whole rounds only (each with all its evaluations, the run's progress
// and the checkpoint), and recording continues from there.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
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

// Large rounds, so that a kill often lands inside a transaction.
constexpr int kSamples = 2000;

// Runs in the forked child: records rounds until killed. Writes one byte to
// `ready` after the first few rounds. Never returns.
[[noreturn]] void RecordForever(const std::string& path, int64_t run_id,
                                int ready) {
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path);
  if (!db.ok()) _exit(2);
  for (int64_t r = 0;; ++r) {
    if (!(*db)->RecordRound(run_id, MakeRound(r, kSamples)).ok()) _exit(3);
    if (r == 3 && write(ready, "x", 1) != 1) _exit(4);
  }
}

TEST(CrashTest, AKilledWriterLeavesWholeRoundsOnly) {
  std::mt19937 rng(1);
  for (int attempt = 0; attempt < 4; ++attempt) {
    TempDir dir;
    const std::string path = dir.File("cellfit.db");
    int64_t run_id = 0;
    {
      STORAGE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db,
                                   Database::Open(path));
      ASSERT_TRUE(IsOk(db->CreateFitter(MakeFitter("f"))));
      STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord run, db->StartRun("f", MakeRun()));
      ASSERT_TRUE(IsOk(db->SetFitterState("f", FitterState::kRunning)));
      run_id = run.id;
    }
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    fflush(nullptr);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(pipe_fds[0]);
      RecordForever(path, run_id, pipe_fds[1]);
    }
    close(pipe_fds[1]);
    char byte = 0;
    ASSERT_EQ(read(pipe_fds[0], &byte, 1), 1) << "the writer died early";
    close(pipe_fds[0]);
    usleep(std::uniform_int_distribution<useconds_t>(0, 40000)(rng));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int wait_status = 0;
    ASSERT_EQ(waitpid(child, &wait_status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL)
        << "the writer exited by itself with " << wait_status;

    // As a restarted server sees it.
    STORAGE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db,
                                 Database::Open(path));
    {
      absl::StatusOr<std::unique_ptr<Connection>> peek =
          Connection::Open(path, ConnectionOptions());
      ASSERT_TRUE(IsOk(peek));
      EXPECT_EQ(*(*peek)->QueryText("PRAGMA integrity_check"), "ok");
      EXPECT_EQ(
          *(*peek)->QueryInt64("SELECT count(*) FROM pragma_foreign_key_check"),
          0);
    }
    STORAGE_ASSERT_OK_AND_ASSIGN(std::vector<FitterRecord> running,
                                 db->ListRunningFitters());
    ASSERT_EQ(running.size(), 1u);
    ASSERT_TRUE(running[0].current_run.has_value());
    const RunRecord& run = *running[0].current_run;
    ASSERT_GE(run.rounds_done, 4);
    STORAGE_ASSERT_OK_AND_ASSIGN(
        std::vector<RoundRecord> rounds,
        db->ListRounds(run.id, 0, RoundDetail::kWithEvaluations));
    ASSERT_EQ(static_cast<int64_t>(rounds.size()), run.rounds_done);
    for (size_t r = 0; r < rounds.size(); ++r) {
      EXPECT_EQ(rounds[r].round, static_cast<int64_t>(r));
      EXPECT_EQ(rounds[r].evaluations.size(), static_cast<size_t>(kSamples))
          << "round " << r;
    }
    EXPECT_EQ(run.evaluations, run.rounds_done * kSamples);
    EXPECT_EQ(*db->CountEvaluations("f"), run.rounds_done * kSamples);
    const RoundInput last = MakeRound(run.rounds_done - 1, kSamples);
    EXPECT_EQ(rounds.back().evaluations.back().params,
              last.evaluations.back().params);
    STORAGE_ASSERT_OK_AND_ASSIGN(Checkpoint checkpoint,
                                 db->LatestCheckpoint(run.id));
    EXPECT_EQ(checkpoint.round, run.rounds_done - 1);
    EXPECT_EQ(checkpoint.state, *last.checkpoint);

    // Resuming: the next round records.
    EXPECT_TRUE(
        IsOk(db->RecordRound(run.id, MakeRound(run.rounds_done, kSamples))));
    std::printf(
        "[ figures  ] attempt %d: killed after %lld whole rounds of %d\n",
        attempt, static_cast<long long>(run.rounds_done), kSamples);
  }
}

}  // namespace
}  // namespace cellfit::storage
