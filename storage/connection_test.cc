// Tests of the SQLite wrappers: statements, the statement cache, transactions
// and error reporting.
#include "storage/connection.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"
#include "storage/name_list.h"
#include "storage/sqlite_status.h"
#include "storage/statement.h"
#include "storage/test_support.h"

namespace cellfit::storage {
namespace {

using ::cellfit::storage::testing::IsOk;
using ::cellfit::storage::testing::TempDir;

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ConnectionOptions options;
    options.create = true;
    absl::StatusOr<std::unique_ptr<Connection>> db =
        Connection::Open(dir_.File("test.db"), options);
    ASSERT_TRUE(IsOk(db));
    db_ = std::move(*db);
    ASSERT_TRUE(
        IsOk(db_->Exec("CREATE TABLE t (k INTEGER PRIMARY KEY, s TEXT, b BLOB, "
                       "d ANY) STRICT")));
  }

  TempDir dir_;
  std::unique_ptr<Connection> db_;
};

TEST_F(ConnectionTest, BindsAndReadsBack) {
  const std::string text("with\0nul 'quote'", 16);
  const std::string blob("\x00\x01\xff", 3);
  {
    absl::StatusOr<ScopedStatement> insert =
        db_->Prepare("INSERT INTO t (k, s, b, d) VALUES (?1, ?2, ?3, ?4)");
    ASSERT_TRUE(IsOk(insert));
    (*insert)->BindInt64(1, 1).BindText(2, text).BindBlob(3, blob).BindDouble(
        4, -0.0);
    ASSERT_TRUE(IsOk((*insert)->Run()));
  }
  {
    absl::StatusOr<ScopedStatement> insert =
        db_->Prepare("INSERT INTO t (k, s, b, d) VALUES (?1, ?2, ?3, ?4)");
    ASSERT_TRUE(IsOk(insert));
    (*insert)->BindInt64(1, 2).BindText(2, "").BindBlob(3, "").BindNull(4);
    ASSERT_TRUE(IsOk((*insert)->Run()));
  }
  absl::StatusOr<ScopedStatement> select =
      db_->Prepare("SELECT s, b, d, typeof(b) FROM t ORDER BY k");
  ASSERT_TRUE(IsOk(select));
  absl::StatusOr<bool> row = (*select)->Step();
  ASSERT_TRUE(IsOk(row));
  ASSERT_TRUE(*row);
  EXPECT_EQ((*select)->ColumnText(0), text);
  EXPECT_EQ((*select)->ColumnBlob(1), blob);
  EXPECT_TRUE(std::signbit((*select)->ColumnDouble(2)));  // ANY keeps -0.0
  row = (*select)->Step();
  ASSERT_TRUE(IsOk(row));
  ASSERT_TRUE(*row);
  EXPECT_EQ((*select)->ColumnBlob(1), "");
  EXPECT_EQ((*select)->ColumnText(3), "blob");  // an empty blob is not NULL
  EXPECT_TRUE((*select)->IsNull(2));
  row = (*select)->Step();
  ASSERT_TRUE(IsOk(row));
  EXPECT_FALSE(*row);
}

TEST_F(ConnectionTest, BindErrorIsReportedByStep) {
  absl::StatusOr<ScopedStatement> insert =
      db_->Prepare("INSERT INTO t (k) VALUES (?1)");
  ASSERT_TRUE(IsOk(insert));
  (*insert)->BindInt64(5, 1);  // no parameter 5
  absl::Status status = (*insert)->Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("binding parameter 5"), std::string::npos)
      << status;
}

TEST_F(ConnectionTest, PrepareErrors) {
  absl::StatusOr<ScopedStatement> bad = db_->Prepare("SELEC 1");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("syntax error"), std::string::npos)
      << bad.status();
  absl::StatusOr<Statement> two =
      Statement::Prepare(db_->handle(), "SELECT 1; SELECT 2");
  EXPECT_EQ(two.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ConnectionTest, CachedStatementCannotBeLeasedTwice) {
  absl::StatusOr<ScopedStatement> first = db_->Prepare("SELECT k FROM t");
  ASSERT_TRUE(IsOk(first));
  absl::StatusOr<ScopedStatement> second = db_->Prepare("SELECT k FROM t");
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  { ScopedStatement released = std::move(*first); }
  EXPECT_TRUE(IsOk(db_->Prepare("SELECT k FROM t")));
}

TEST_F(ConnectionTest, ConstraintErrorsSayWhat) {
  ASSERT_TRUE(IsOk(db_->Exec("INSERT INTO t (k) VALUES (1)")));
  absl::StatusOr<ScopedStatement> insert =
      db_->Prepare("INSERT INTO t (k) VALUES (?1)");
  ASSERT_TRUE(IsOk(insert));
  (*insert)->BindInt64(1, 1);
  absl::Status status = (*insert)->Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(status.message().find("UNIQUE constraint failed: t.k"),
            std::string::npos)
      << status;
  EXPECT_NE(status.message().find("INSERT INTO t"), std::string::npos);
}

TEST_F(ConnectionTest, TransactionRollsBackUnlessCommitted) {
  {
    absl::StatusOr<Transaction> transaction =
        Transaction::Begin(*db_, Transaction::Mode::kWrite);
    ASSERT_TRUE(IsOk(transaction));
    ASSERT_TRUE(IsOk(db_->Exec("INSERT INTO t (k) VALUES (1)")));
    EXPECT_TRUE(db_->in_transaction());
  }
  EXPECT_FALSE(db_->in_transaction());
  EXPECT_EQ(*db_->QueryInt64("SELECT count(*) FROM t"), 0);
  {
    absl::StatusOr<Transaction> transaction =
        Transaction::Begin(*db_, Transaction::Mode::kWrite);
    ASSERT_TRUE(IsOk(transaction));
    ASSERT_TRUE(IsOk(db_->Exec("INSERT INTO t (k) VALUES (1)")));
    ASSERT_TRUE(IsOk(transaction->Commit()));
  }
  EXPECT_EQ(*db_->QueryInt64("SELECT count(*) FROM t"), 1);
}

TEST_F(ConnectionTest, ForeignKeysAreEnforced) {
  EXPECT_EQ(*db_->QueryInt64("PRAGMA foreign_keys"), 1);
}

TEST_F(ConnectionTest, QueryOnlyConnectionRefusesWrites) {
  ConnectionOptions options;
  options.query_only = true;
  absl::StatusOr<std::unique_ptr<Connection>> reader =
      Connection::Open(dir_.File("test.db"), options);
  ASSERT_TRUE(IsOk(reader));
  EXPECT_EQ(*(*reader)->QueryInt64("SELECT count(*) FROM t"), 0);
  EXPECT_FALSE((*reader)->Exec("INSERT INTO t (k) VALUES (9)").ok());
}

TEST_F(ConnectionTest, MissingFileIsNotCreatedUnlessAsked) {
  absl::StatusOr<std::unique_ptr<Connection>> missing =
      Connection::Open(dir_.File("missing.db"), ConnectionOptions());
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing.db"), std::string::npos)
      << missing.status();
}

TEST_F(ConnectionTest, EncodedNameListsAreValidSqliteJson) {
  const std::string json =
      EncodeNameList({"a\"b", "c\\d", "e\nf", "\x02", "µS"});
  absl::StatusOr<ScopedStatement> select =
      db_->Prepare("SELECT json_valid(?1), json_extract(?1, '$[2]')");
  ASSERT_TRUE(IsOk(select));
  (*select)->BindText(1, json);
  ASSERT_TRUE(*(*select)->Step());
  EXPECT_EQ((*select)->ColumnInt64(0), 1);
  EXPECT_EQ((*select)->ColumnText(1), "e\nf");
}

TEST(SqliteStatusTest, CodesMapToMeanings) {
  EXPECT_EQ(StatusCodeForSqlite(SQLITE_CONSTRAINT_UNIQUE),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(StatusCodeForSqlite(SQLITE_CONSTRAINT_FOREIGNKEY),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForSqlite(SQLITE_CONSTRAINT_CHECK),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForSqlite(SQLITE_BUSY), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqlite(SQLITE_BUSY_SNAPSHOT),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqlite(SQLITE_NOTADB), absl::StatusCode::kDataLoss);
  EXPECT_EQ(StatusCodeForSqlite(SQLITE_FULL),
            absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace cellfit::storage
