// Tests of the migration runner, on real files, with made-up migration lists
// and with cellfit's schema.
#include "storage/migrations.h"

#include <array>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/connection.h"
#include "storage/schema.h"
#include "storage/test_support.h"

namespace cellfit::storage {
namespace {

using ::cellfit::storage::testing::IsOk;
using ::cellfit::storage::testing::TempDir;

constexpr std::array kThree = {
    Migration{1, "create a", "CREATE TABLE a (x INTEGER)"},
    Migration{2, "create b",
              "CREATE TABLE b (y INTEGER); INSERT INTO b VALUES (7)"},
    Migration{3, "add a column", "ALTER TABLE a ADD COLUMN z TEXT"},
};

std::unique_ptr<Connection> OpenFile(const std::string& path) {
  ConnectionOptions options;
  options.create = true;
  absl::StatusOr<std::unique_ptr<Connection>> db =
      Connection::Open(path, options);
  EXPECT_TRUE(IsOk(db));
  return db.ok() ? std::move(*db) : nullptr;
}

std::vector<int> LogVersions(Connection& db) {
  absl::StatusOr<std::vector<AppliedMigration>> log = ReadMigrationLog(db);
  EXPECT_TRUE(IsOk(log));
  std::vector<int> versions;
  if (log.ok()) {
    for (const AppliedMigration& entry : *log)
      versions.push_back(entry.version);
  }
  return versions;
}

TEST(MigrationsTest, MigratesAnEmptyFileOnce) {
  TempDir dir;
  const std::string path = dir.File("m.db");
  {
    auto db = OpenFile(path);
    absl::StatusOr<MigrationResult> result =
        Migrate(*db, absl::MakeConstSpan(kThree).subspan(0, 2));
    ASSERT_TRUE(IsOk(result));
    EXPECT_EQ(result->from_version, 0);
    EXPECT_EQ(result->to_version, 2);
    EXPECT_EQ(result->applied, (std::vector<int>{1, 2}));
    EXPECT_EQ(*db->QueryInt64("PRAGMA application_id"), kApplicationId);
    EXPECT_EQ(*db->QueryInt64("SELECT y FROM b"), 7);
  }
  {
    // Reopening migrates nothing: b still has its one row.
    auto db = OpenFile(path);
    absl::StatusOr<MigrationResult> result =
        Migrate(*db, absl::MakeConstSpan(kThree).subspan(0, 2));
    ASSERT_TRUE(IsOk(result));
    EXPECT_TRUE(result->applied.empty());
    EXPECT_EQ(result->from_version, 2);
    EXPECT_EQ(*db->QueryInt64("SELECT count(*) FROM b"), 1);
    EXPECT_EQ(LogVersions(*db), (std::vector<int>{1, 2}));
  }
  {
    // A newer build applies only what is new.
    auto db = OpenFile(path);
    absl::StatusOr<MigrationResult> result = Migrate(*db, kThree);
    ASSERT_TRUE(IsOk(result));
    EXPECT_EQ(result->applied, (std::vector<int>{3}));
    EXPECT_EQ(LogVersions(*db), (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(*db->QueryInt64("SELECT count(*) FROM b"), 1);
    absl::StatusOr<std::vector<AppliedMigration>> log = ReadMigrationLog(*db);
    ASSERT_TRUE(IsOk(log));
    EXPECT_EQ((*log)[2].name, "add a column");
  }
}

TEST(MigrationsTest, FailedMigrationLeavesThePreviousVersion) {
  TempDir dir;
  auto db = OpenFile(dir.File("m.db"));
  const std::array broken = {
      kThree[0],
      Migration{2, "half done",
                "CREATE TABLE c (x INTEGER); INSERT INTO missing VALUES (1)"},
  };
  absl::StatusOr<MigrationResult> result = Migrate(*db, broken);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("schema version 2 (half done)"),
            std::string::npos)
      << result.status();
  EXPECT_NE(result.status().message().find("no such table: missing"),
            std::string::npos)
      << result.status();
  EXPECT_EQ(*ReadSchemaVersion(*db), 1);
  EXPECT_EQ(LogVersions(*db), (std::vector<int>{1}));
  // The table the failed migration created first is gone with it.
  EXPECT_EQ(
      *db->QueryInt64("SELECT count(*) FROM sqlite_schema WHERE name = 'c'"),
      0);
  EXPECT_FALSE(db->in_transaction());
}

TEST(MigrationsTest, RefusesANewerSchema) {
  TempDir dir;
  auto db = OpenFile(dir.File("m.db"));
  ASSERT_TRUE(IsOk(Migrate(*db, kThree)));
  absl::StatusOr<MigrationResult> result =
      Migrate(*db, absl::MakeConstSpan(kThree).subspan(0, 2));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(result.status().message().find("schema version 3, newer than"),
            std::string::npos)
      << result.status();
  EXPECT_EQ(*ReadSchemaVersion(*db), 3);
}

TEST(MigrationsTest, RefusesAnotherApplicationsFile) {
  TempDir dir;
  {
    auto db = OpenFile(dir.File("other.db"));
    ASSERT_TRUE(IsOk(db->Exec("PRAGMA application_id = 42")));
    absl::StatusOr<MigrationResult> result = Migrate(*db, kThree);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(result.status().message().find("not a cellfit database"),
              std::string::npos)
        << result.status();
  }
  {
    auto db = OpenFile(dir.File("versioned.db"));
    ASSERT_TRUE(IsOk(db->Exec("PRAGMA user_version = 5")));
    EXPECT_EQ(Migrate(*db, kThree).status().code(),
              absl::StatusCode::kFailedPrecondition);
  }
  {
    const std::string path = dir.File("text.db");
    std::ofstream(path) << "this is not an SQLite database, just some text "
                           "long enough to be read as a header.....\n";
    auto db = OpenFile(path);
    absl::StatusOr<MigrationResult> result = Migrate(*db, kThree);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss)
        << result.status();
  }
}

TEST(MigrationsTest, RejectsABrokenList) {
  TempDir dir;
  auto db = OpenFile(dir.File("m.db"));
  const std::array gap = {kThree[0], kThree[2]};
  EXPECT_EQ(Migrate(*db, gap).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(*ReadSchemaVersion(*db), 0);
}

TEST(MigrationsTest, DetectsALogThatDisagreesWithTheVersion) {
  TempDir dir;
  auto db = OpenFile(dir.File("m.db"));
  ASSERT_TRUE(IsOk(Migrate(*db, kThree)));
  ASSERT_TRUE(
      IsOk(db->Exec("DELETE FROM schema_migrations WHERE version = 2")));
  absl::StatusOr<MigrationResult> result = Migrate(*db, kThree);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(result.status().message().find("lists versions [1, 3]"),
            std::string::npos)
      << result.status();
}

TEST(MigrationsTest, CellfitSchemaBuildsCleanly) {
  TempDir dir;
  auto db = OpenFile(dir.File("cellfit.db"));
  absl::StatusOr<MigrationResult> result = Migrate(*db, SchemaMigrations());
  ASSERT_TRUE(IsOk(result));
  EXPECT_EQ(result->to_version, LatestSchemaVersion());
  EXPECT_EQ(*db->QueryText("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(*db->QueryInt64("SELECT count(*) FROM pragma_foreign_key_check"),
            0);
  for (const char* table :
       {"fitters", "fitter_specs", "runs", "rounds", "evaluations",
        "checkpoints", "schema_migrations"}) {
    EXPECT_EQ(*db->QueryInt64(std::string("SELECT count(*) FROM sqlite_schema "
                                          "WHERE type = 'table' AND name = '") +
                              table + "'"),
              1)
        << table;
  }
}

}  // namespace
}  // namespace cellfit::storage
