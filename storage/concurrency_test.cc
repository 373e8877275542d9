// Readers on several threads (and a second Database on the same file, as
// another process would have) while a writer records rounds: no SQLITE_BUSY,
// and every read sees whole rounds only.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
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

constexpr int kRounds = 300;
constexpr int kSamples = 20;

TEST(ConcurrencyTest, ReadersRunBesideTheWriter) {
  TempDir dir;
  const std::string path = dir.File("cellfit.db");
  STORAGE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db,
                               Database::Open(path));
  // As a CLI or second server process would open it.
  STORAGE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> other,
                               Database::Open(path));
  ASSERT_TRUE(IsOk(db->CreateFitter(MakeFitter("f"))));
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord run, db->StartRun("f", MakeRun()));

  std::atomic<bool> writing{true};
  absl::Mutex mu;
  std::vector<std::string> failures;  // guarded by mu
  std::atomic<int64_t> reads{0};
  auto fail = [&](const std::string& what) {
    absl::MutexLock lock(&mu);
    if (failures.size() < 20) failures.push_back(what);
  };

  auto reader = [&](Database* database, int id) {
    int64_t last_rows = 0;
    int64_t last_rounds = 0;
    while (writing.load()) {
      absl::StatusOr<FitterRecord> fitter = database->GetFitter("f");
      if (!fitter.ok()) {
        fail(absl::StrCat("reader ", id,
                          " GetFitter: ", fitter.status().ToString()));
        continue;
      }
      const RunRecord& current = *fitter->current_run;
      if (current.evaluations != kSamples * current.rounds_done) {
        fail(absl::StrCat("reader ", id, ": run shows ", current.rounds_done,
                          " rounds but ", current.evaluations, " evaluations"));
      }
      if (current.rounds_done < last_rounds) fail("rounds went backwards");
      last_rounds = current.rounds_done;

      absl::StatusOr<EvaluationColumns> rows =
          database->ReadEvaluations({.fitter_id = "f", .run_id = run.id});
      if (!rows.ok()) {
        fail(absl::StrCat("reader ", id,
                          " ReadEvaluations: ", rows.status().ToString()));
        continue;
      }
      const auto n = static_cast<int64_t>(rows->size());
      if (n % kSamples != 0) {
        fail(absl::StrCat("reader ", id, " saw a partial round: ", n, " rows"));
      }
      if (n < last_rows) fail("rows went backwards");
      last_rows = n;

      absl::StatusOr<std::vector<RoundRecord>> replay = database->ListRounds(
          run.id, std::max<int64_t>(0, current.rounds_done - 3),
          RoundDetail::kWithEvaluations);
      if (!replay.ok()) {
        fail(absl::StrCat("reader ", id,
                          " ListRounds: ", replay.status().ToString()));
        continue;
      }
      for (const RoundRecord& round : *replay) {
        if (round.evaluations.size() != kSamples) {
          fail(absl::StrCat("reader ", id, " round ", round.round, " has ",
                            round.evaluations.size(), " evaluations"));
        }
      }
      if (current.rounds_done > 0) {
        absl::StatusOr<Checkpoint> checkpoint =
            database->LatestCheckpoint(run.id);
        if (!checkpoint.ok() || checkpoint->round < current.rounds_done - 1) {
          fail(absl::StrCat("reader ", id,
                            " checkpoint: ", checkpoint.status().ToString()));
        }
      }
      absl::StatusOr<int64_t> count = database->CountEvaluations("f");
      if (!count.ok()) {
        fail(
            absl::StrCat("reader ", id, " count: ", count.status().ToString()));
      }
      reads.fetch_add(1);
    }
  };

  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back(reader, db.get(), i);
  threads.emplace_back(reader, other.get(), 4);

  absl::Status write_status;
  for (int r = 0; r < kRounds && write_status.ok(); ++r) {
    write_status = db->RecordRound(run.id, MakeRound(r, kSamples)).status();
    // The other handle writes too (as a second process would), contending
    // for the write lock: the busy timeout makes it wait instead of failing.
    if (r % 50 == 0 && write_status.ok()) {
      write_status = other->SetFitterState(
          "f", r % 100 == 0 ? FitterState::kRunning : FitterState::kIdle);
    }
  }
  writing.store(false);
  for (std::thread& thread : threads) thread.join();

  EXPECT_TRUE(IsOk(write_status));
  {
    absl::MutexLock lock(&mu);
    for (const std::string& failure : failures) ADD_FAILURE() << failure;
  }
  EXPECT_EQ(*db->CountEvaluations("f"), kRounds * kSamples);
  EXPECT_GT(reads.load(), 0);
  std::printf(
      "[ figures  ] %d rounds x %d evaluations written while 5 reader "
      "threads did %lld consistent read cycles, 0 busy errors\n",
      kRounds, kSamples, static_cast<long long>(reads.load()));
}

}  // namespace
}  // namespace cellfit::storage
