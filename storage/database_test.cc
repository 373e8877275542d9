// Tests of Database: opening and migrating real files, fitters, runs, and
// deleting everything of a fitter.
#include "storage/database.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "storage/connection.h"
#include "storage/schema.h"
#include "storage/test_support.h"

namespace cellfit::storage {
namespace {

using ::cellfit::storage::testing::IsOk;
using ::cellfit::storage::testing::MakeFitter;
using ::cellfit::storage::testing::MakeRound;
using ::cellfit::storage::testing::MakeRun;
using ::cellfit::storage::testing::TempDir;

// A separate raw connection to look at the file as another process would.
std::unique_ptr<Connection> Peek(const std::string& path) {
  absl::StatusOr<std::unique_ptr<Connection>> db =
      Connection::Open(path, ConnectionOptions());
  EXPECT_TRUE(IsOk(db));
  return db.ok() ? std::move(*db) : nullptr;
}

TEST(DatabaseOpenTest, CreatesMigratesAndUsesWal) {
  TempDir dir;
  const std::string path = dir.File("cellfit.db");
  STORAGE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db,
                               Database::Open(path));
  EXPECT_EQ(db->schema_version(), LatestSchemaVersion());
  EXPECT_EQ(db->migrations_applied_at_open(), (std::vector<int>{1}));
  STORAGE_ASSERT_OK_AND_ASSIGN(std::string mode, db->JournalMode());
  EXPECT_EQ(mode, "wal");
  EXPECT_TRUE(std::filesystem::exists(path + "-wal"));
  // WAL is a property of the file: another connection sees it too.
  EXPECT_EQ(*Peek(path)->QueryText("PRAGMA journal_mode"), "wal");
}

TEST(DatabaseOpenTest, ReopeningDoesNotMigrateTwice) {
  TempDir dir;
  const std::string path = dir.File("cellfit.db");
  {
    STORAGE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db,
                                 Database::Open(path));
    ASSERT_TRUE(IsOk(db->CreateFitter(MakeFitter("f1"))));
  }
  for (int i = 0; i < 3; ++i) {
    STORAGE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db,
                                 Database::Open(path));
    EXPECT_TRUE(db->migrations_applied_at_open().empty());
    EXPECT_EQ(db->schema_version(), LatestSchemaVersion());
    STORAGE_ASSERT_OK_AND_ASSIGN(std::vector<AppliedMigration> log,
                                 db->MigrationLog());
    ASSERT_EQ(static_cast<int>(log.size()), LatestSchemaVersion());
    for (size_t v = 0; v < log.size(); ++v) {
      EXPECT_EQ(log[v].version, static_cast<int>(v) + 1);
    }
    EXPECT_TRUE(IsOk(db->GetFitter("f1")));  // data survives
  }
}

TEST(DatabaseOpenTest, RefusesAFileFromANewerCellfit) {
  TempDir dir;
  const std::string path = dir.File("cellfit.db");
  { ASSERT_TRUE(IsOk(Database::Open(path))); }
  // What a future cellfit with one more migration would leave behind.
  ASSERT_TRUE(IsOk(Peek(path)->Exec(
      "PRAGMA user_version = " + std::to_string(LatestSchemaVersion() + 1))));
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(db.status().message().find("newer"), std::string::npos)
      << db.status();
  EXPECT_NE(db.status().message().find(path), std::string::npos);
}

TEST(DatabaseOpenTest, RefusesFilesThatAreNotCellfitDatabases) {
  TempDir dir;
  {
    const std::string path = dir.File("other.db");
    ASSERT_TRUE(IsOk(Connection::Open(path, {.create = true})
                         .value()
                         ->Exec("CREATE TABLE notes (t TEXT); "
                                "PRAGMA application_id = 1234")));
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path);
    EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition)
        << db.status();
    // Untouched: still in its rollback journal mode.
    EXPECT_EQ(*Peek(path)->QueryText("PRAGMA journal_mode"), "delete");
  }
  {
    const std::string path = dir.File("notes.txt");
    std::ofstream(path) << std::string(200, 'x');
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path);
    EXPECT_EQ(db.status().code(), absl::StatusCode::kDataLoss) << db.status();
  }
  {
    absl::StatusOr<std::unique_ptr<Database>> db =
        Database::Open(dir.File("no/such/dir/cellfit.db"));
    EXPECT_FALSE(db.ok());
    EXPECT_NE(db.status().message().find("no/such/dir"), std::string::npos)
        << db.status();
  }
}

TEST(DatabaseOpenTest, InMemoryDatabaseWorks) {
  STORAGE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db,
                               Database::Open(":memory:"));
  ASSERT_TRUE(IsOk(db->CreateFitter(MakeFitter("f"))));
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord run, db->StartRun("f", MakeRun()));
  ASSERT_TRUE(IsOk(db->RecordRound(run.id, MakeRound(0, 3))));
  EXPECT_EQ(*db->CountEvaluations("f"), 3);
}

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("cellfit.db");
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path_);
    ASSERT_TRUE(IsOk(db));
    db_ = std::move(*db);
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<Database> db_;
};

TEST_F(DatabaseTest, CreatesAndGetsAFitter) {
  const absl::Time before = absl::Now();
  NewFitter fitter = MakeFitter("f1");
  fitter.kind = FitterKind::kSpike;
  fitter.name = "it's \"quoted\"";
  STORAGE_ASSERT_OK_AND_ASSIGN(FitterRecord created, db_->CreateFitter(fitter));
  STORAGE_ASSERT_OK_AND_ASSIGN(FitterRecord got, db_->GetFitter("f1"));
  for (const FitterRecord& record : {created, got}) {
    EXPECT_EQ(record.id, "f1");
    EXPECT_EQ(record.owner, "alice");
    EXPECT_EQ(record.name, fitter.name);
    EXPECT_EQ(record.kind, FitterKind::kSpike);
    EXPECT_EQ(record.state, FitterState::kIdle);
    EXPECT_EQ(record.n_samples, 20);
    EXPECT_EQ(record.n_traces, 5);
    EXPECT_EQ(record.n_steps, 2000);
    EXPECT_EQ(record.method, "exponential_euler");
    EXPECT_EQ(record.parameter_names, fitter.parameter_names);
    EXPECT_EQ(record.error, "");
    EXPECT_FALSE(record.current_run.has_value());
    EXPECT_GE(record.created, absl::FromUnixMicros(absl::ToUnixMicros(before)));
    EXPECT_LE(record.created, absl::Now());
  }
  STORAGE_ASSERT_OK_AND_ASSIGN(std::string spec, db_->LoadFitterSpec("f1"));
  EXPECT_EQ(spec, fitter.spec);  // bytes, NUL included
}

TEST_F(DatabaseTest, FitterErrors) {
  ASSERT_TRUE(IsOk(db_->CreateFitter(MakeFitter("f1"))));
  absl::StatusOr<FitterRecord> duplicate = db_->CreateFitter(MakeFitter("f1"));
  EXPECT_EQ(duplicate.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(duplicate.status().message().find("creating fitter 'f1'"),
            std::string::npos)
      << duplicate.status();

  EXPECT_EQ(db_->CreateFitter(MakeFitter("")).status().code(),
            absl::StatusCode::kInvalidArgument);
  NewFitter no_samples = MakeFitter("f2");
  no_samples.n_samples = 0;
  EXPECT_EQ(db_->CreateFitter(no_samples).status().code(),
            absl::StatusCode::kInvalidArgument);
  NewFitter twice = MakeFitter("f3");
  twice.parameter_names = {"gl", "gl"};
  absl::StatusOr<FitterRecord> repeated = db_->CreateFitter(twice);
  EXPECT_EQ(repeated.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(repeated.status().message().find("'gl' appears twice"),
            std::string::npos);

  EXPECT_EQ(db_->GetFitter("nope").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(db_->LoadFitterSpec("nope").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(db_->SetFitterState("nope", FitterState::kRunning).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(db_->DeleteFitter("nope").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(db_->StartRun("nope", MakeRun()).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(DatabaseTest, UserTextIsDataNotSql) {
  const std::string evil = "x'); DROP TABLE fitters; --";
  NewFitter fitter = MakeFitter(evil, evil);
  fitter.name = evil;
  ASSERT_TRUE(IsOk(db_->CreateFitter(fitter)));
  STORAGE_ASSERT_OK_AND_ASSIGN(std::vector<FitterRecord> listed,
                               db_->ListFitters(evil));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, evil);
  EXPECT_EQ(listed[0].name, evil);
  EXPECT_TRUE(IsOk(db_->DeleteFitter(evil)));
}

TEST_F(DatabaseTest, StatesAndRunningFitters) {
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_TRUE(IsOk(db_->CreateFitter(MakeFitter(id, id))));
  }
  ASSERT_TRUE(IsOk(db_->SetFitterState("a", FitterState::kRunning)));
  ASSERT_TRUE(IsOk(db_->SetFitterState("c", FitterState::kRunning)));
  ASSERT_TRUE(IsOk(db_->SetFitterState("b", FitterState::kFailed, "boom")));
  STORAGE_ASSERT_OK_AND_ASSIGN(std::vector<FitterRecord> running,
                               db_->ListRunningFitters());
  ASSERT_EQ(running.size(), 2u);
  EXPECT_EQ(running[0].id, "a");
  EXPECT_EQ(running[1].id, "c");
  STORAGE_ASSERT_OK_AND_ASSIGN(FitterRecord b, db_->GetFitter("b"));
  EXPECT_EQ(b.state, FitterState::kFailed);
  EXPECT_EQ(b.error, "boom");
  EXPECT_GE(b.updated, b.created);
  ASSERT_TRUE(IsOk(db_->SetFitterState("b", FitterState::kIdle)));
  EXPECT_EQ(db_->GetFitter("b")->error, "");  // cleared

  // Survives a restart: what a resuming server reads.
  db_.reset();
  STORAGE_ASSERT_OK_AND_ASSIGN(db_, Database::Open(path_));
  STORAGE_ASSERT_OK_AND_ASSIGN(running, db_->ListRunningFitters());
  EXPECT_EQ(running.size(), 2u);
}

TEST_F(DatabaseTest, ListingShowsOnlyTheOwnersFitters) {
  ASSERT_TRUE(IsOk(db_->CreateFitter(MakeFitter("a1", "alice"))));
  ASSERT_TRUE(IsOk(db_->CreateFitter(MakeFitter("b1", "bob"))));
  ASSERT_TRUE(IsOk(db_->CreateFitter(MakeFitter("a2", "alice"))));
  ASSERT_TRUE(IsOk(db_->CreateFitter(MakeFitter("x", ""))));
  STORAGE_ASSERT_OK_AND_ASSIGN(std::vector<FitterRecord> alice,
                               db_->ListFitters("alice"));
  ASSERT_EQ(alice.size(), 2u);
  EXPECT_EQ(alice[0].id, "a1");  // oldest first
  EXPECT_EQ(alice[1].id, "a2");
  STORAGE_ASSERT_OK_AND_ASSIGN(std::vector<FitterRecord> bob,
                               db_->ListFitters("bob"));
  ASSERT_EQ(bob.size(), 1u);
  EXPECT_EQ(bob[0].id, "b1");
  EXPECT_EQ(db_->ListFitters("")->size(), 1u);
  EXPECT_TRUE(db_->ListFitters("mallory")->empty());
  EXPECT_TRUE(db_->ListFitters("Alice")->empty());  // exact match only
}

TEST_F(DatabaseTest, RunsAreNumberedAndTheLatestIsCurrent) {
  ASSERT_TRUE(IsOk(db_->CreateFitter(MakeFitter("f"))));
  NewRun first = MakeRun();
  first.start_iteration = 0;
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord run0, db_->StartRun("f", first));
  EXPECT_EQ(run0.index, 0);
  EXPECT_EQ(run0.fitter_id, "f");
  EXPECT_EQ(run0.optimizer, "DE");
  EXPECT_EQ(run0.config, "optimizer config");
  EXPECT_EQ(run0.rounds_done, 0);
  EXPECT_FALSE(run0.best_error.has_value());
  ASSERT_TRUE(IsOk(db_->RecordRound(run0.id, MakeRound(0, 4))));

  NewRun second = MakeRun({"gl", "Cm"}, {"v", "spikes"});
  second.optimizer = "CMAES";
  second.start_iteration = 10;
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord run1, db_->StartRun("f", second));
  EXPECT_EQ(run1.index, 1);
  EXPECT_GT(run1.id, run0.id);
  EXPECT_EQ(run1.parameter_names, (std::vector<std::string>{"gl", "Cm"}));
  EXPECT_EQ(run1.output_names, (std::vector<std::string>{"v", "spikes"}));
  EXPECT_EQ(run1.start_iteration, 10);

  STORAGE_ASSERT_OK_AND_ASSIGN(FitterRecord fitter, db_->GetFitter("f"));
  ASSERT_TRUE(fitter.current_run.has_value());
  EXPECT_EQ(fitter.current_run->id, run1.id);
  EXPECT_EQ(fitter.current_run->optimizer, "CMAES");

  STORAGE_ASSERT_OK_AND_ASSIGN(std::vector<RunRecord> runs, db_->ListRuns("f"));
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].id, run0.id);
  EXPECT_EQ(runs[0].rounds_done, 1);
  EXPECT_EQ(runs[0].evaluations, 4);
  EXPECT_EQ(runs[1].id, run1.id);

  EXPECT_EQ(db_->StartRun("f", MakeRun({"a", ""})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(db_->GetRun(987654).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(DatabaseTest, DeletingAFitterDeletesEverythingOfIt) {
  // "doomed" last, so that its runs have the highest ids.
  for (const char* id : {"kept", "doomed"}) {
    ASSERT_TRUE(IsOk(db_->CreateFitter(MakeFitter(id))));
    for (int r = 0; r < 2; ++r) {
      STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord run, db_->StartRun(id, MakeRun()));
      for (int round = 0; round < 3; ++round) {
        ASSERT_TRUE(IsOk(db_->RecordRound(run.id, MakeRound(round, 5))));
      }
    }
  }
  STORAGE_ASSERT_OK_AND_ASSIGN(std::vector<RunRecord> doomed_runs,
                               db_->ListRuns("doomed"));
  ASSERT_TRUE(IsOk(db_->DeleteFitter("doomed")));

  EXPECT_EQ(db_->GetFitter("doomed").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(db_->GetRun(doomed_runs[0].id).status().code(),
            absl::StatusCode::kNotFound);
  auto peek = Peek(path_);
  const std::vector<std::pair<std::string, int64_t>> remaining = {
      {"SELECT count(*) FROM fitters", 1},
      {"SELECT count(*) FROM fitter_specs", 1},
      {"SELECT count(*) FROM runs", 2},
      {"SELECT count(*) FROM rounds", 6},
      {"SELECT count(*) FROM evaluations", 30},
      {"SELECT count(*) FROM checkpoints", 2},  // the latest of each run
      {"SELECT count(*) FROM runs WHERE fitter_id <> 'kept'", 0},
  };
  for (const auto& [sql, expected] : remaining) {
    EXPECT_EQ(*peek->QueryInt64(sql), expected) << sql;
  }
  EXPECT_EQ(*db_->CountEvaluations("kept"), 30);
  EXPECT_EQ(*peek->QueryInt64("SELECT count(*) FROM pragma_foreign_key_check"),
            0);
  // A new fitter's run never takes a deleted run's id.
  ASSERT_TRUE(IsOk(db_->CreateFitter(MakeFitter("new"))));
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord fresh,
                               db_->StartRun("new", MakeRun()));
  for (const RunRecord& old : doomed_runs) EXPECT_NE(fresh.id, old.id);
}

}  // namespace
}  // namespace cellfit::storage

namespace cellfit::storage {
namespace {

class RunConfigTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(RunConfigTest, SetRunConfigReplacesTheConfigOfThatRunOnly) {
  STORAGE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db,
                               Database::Open(dir_.File("cellfit.db")));
  ASSERT_TRUE(db->CreateFitter(MakeFitter("f")).ok());
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord first, db->StartRun("f", MakeRun()));
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord second, db->StartRun("f", MakeRun()));
  const std::string config("target 30\0bytes", 15);
  ASSERT_TRUE(db->SetRunConfig(second.id, config).ok());
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord reread, db->GetRun(second.id));
  EXPECT_EQ(reread.config, config);
  STORAGE_ASSERT_OK_AND_ASSIGN(RunRecord untouched, db->GetRun(first.id));
  EXPECT_EQ(untouched.config, "optimizer config");
  EXPECT_EQ(db->SetRunConfig(second.id + 100, "x").code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace cellfit::storage
