// A server with a token file: unknown tokens are turned away, users see only
// their own fitters, and workers need a worker token.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>

#include "client/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/database.h"
#include "tests/integration/server_harness.h"

namespace cellfit::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kAlice[] = "alice-0123456789abcdef";
constexpr char kBob[] = "bob-0123456789abcdef00";
constexpr char kWorker[] = "worker-0123456789abcdef";
constexpr absl::Duration kDeadline = absl::Seconds(60);

class AuthProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TestDirectory();
    token_file_ = dir_ + "/tokens";
    {
      std::ofstream out(token_file_);
      out << "# cellfit tokens\n"
          << kAlice << " alice\n"
          << kBob << " bob\n"
          << kWorker << " @worker\n";
    }
    chmod(token_file_.c_str(), 0600);
    // A fitter each for alice and bob, straight into the database.
    auto database = storage::Database::Open(dir_ + "/cellfit.db");
    ASSERT_TRUE(database.ok()) << database.status();
    for (const char* owner : {"alice", "bob"}) {
      auto fitter = ExampleFitter(std::string(owner) + "-fitter", owner);
      ASSERT_TRUE(fitter.ok()) << fitter.status();
      absl::StatusOr<storage::FitterRecord> created =
          (*database)->CreateFitter(*fitter);
      ASSERT_TRUE(created.ok()) << created.status();
    }
    database->reset();
    absl::StatusOr<ServerHandle> server = StartServer(
        dir_, dir_ + "/cellfit.db", 1, {"--token_file=" + token_file_});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  std::unique_ptr<client::Client> As(const std::string& token) {
    auto client =
        client::Client::Connect({.address = server_.address, .token = token});
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  std::string TokenFile(const std::string& name, const std::string& token) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << token << "\n";
    return path;
  }

  std::string dir_;
  std::string token_file_;
  ServerHandle server_;
};

TEST_F(AuthProcessTest, AWrongTokenIsUnauthenticated) {
  absl::StatusOr<cellfit::v1::ServerStatus> status =
      As("not-a-token-of-this-server")->GetStatus();
  EXPECT_EQ(status.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(As("")->GetStatus().status().code(),
            absl::StatusCode::kUnauthenticated);

  // The CLI says so and exits 1 (a user error, not an outage).
  RunResult cli = Cli({"status", "--server", server_.address, "--token_file",
                       TokenFile("wrong", "not-a-token-of-this-server")});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_THAT(cli.err, HasSubstr("cellfit: error: the token is not known"));

  // The right token, from a file or the environment.
  RunResult ok = Cli({"status", "--server", server_.address, "--token_file",
                      TokenFile("alice", kAlice)});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  ProcessOptions env;
  env.env["CELLFIT_TOKEN"] = kBob;
  env.env["CELLFIT_SERVER"] = server_.address;
  RunResult from_env = Cli({"status"}, env);
  EXPECT_EQ(from_env.exit_code, 0) << from_env.err;
}

TEST_F(AuthProcessTest, LocalWorkersRegisterWithTheirGeneratedToken) {
  EXPECT_TRUE(PollUntil(
      [&] {
        auto status = As(kAlice)->GetStatus();
        return status.ok() && status->workers_size() == 1;
      },
      kDeadline))
      << ReadFile(server_.log);
}

TEST_F(AuthProcessTest, UsersSeeOnlyTheirOwnFitters) {
  std::unique_ptr<client::Client> alice = As(kAlice);
  auto listed = alice->ListFitters();
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id(), "alice-fitter");
  EXPECT_TRUE(alice->GetFitter("alice-fitter").ok());
  EXPECT_EQ(alice->GetFitter("bob-fitter").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(alice->DeleteFitter("bob-fitter").code(),
            absl::StatusCode::kNotFound);
  std::unique_ptr<client::Client> bob = As(kBob);
  EXPECT_TRUE(bob->GetFitter("bob-fitter").ok());  // still there

  RunResult rm = Cli({"rm", "bob-fitter", "--server", server_.address,
                      "--token_file", TokenFile("alice", kAlice)});
  EXPECT_EQ(rm.exit_code, 1);
  EXPECT_THAT(rm.err, HasSubstr("no fitter 'bob-fitter'"));
  RunResult own = Cli({"rm", "bob-fitter", "--server", server_.address,
                       "--token_file", TokenFile("bob", kBob)});
  EXPECT_EQ(own.exit_code, 0) << own.err;
  EXPECT_THAT(own.out, HasSubstr("removed bob-fitter"));
}

TEST_F(AuthProcessTest, RemoteWorkersNeedAWorkerToken) {
  ASSERT_TRUE(PollUntil(
      [&] {
        return StatusWorkers(server_.address,
                             {"--token_file", TokenFile("a", kAlice)}) == 1;
      },
      kDeadline));
  // A user's token cannot connect a worker: the worker gives up (exit 1).
  ProcessOptions user_worker;
  user_worker.argv = {kWorkerBinary, "--server=" + server_.address,
                      "--token_file=" + TokenFile("bob", kBob)};
  user_worker.stderr_path = dir_ + "/user-worker.log";
  auto rejected = Process::Start(user_worker);
  ASSERT_TRUE(rejected.ok());
  std::optional<int> rejected_status = (*rejected)->Wait(kDeadline);
  ASSERT_TRUE(rejected_status.has_value());
  EXPECT_EQ(WEXITSTATUS(*rejected_status), 1);
  EXPECT_THAT(ReadFile(dir_ + "/user-worker.log"),
              HasSubstr("cannot connect a worker"));

  // The worker token joins the pool as a remote worker.
  ProcessOptions remote;
  remote.argv = {kWorkerBinary, "--server=" + server_.address, "--threads=3"};
  remote.env["CELLFIT_TOKEN"] = kWorker;
  remote.stderr_path = dir_ + "/remote-worker.log";
  auto worker = Process::Start(remote);
  ASSERT_TRUE(worker.ok());
  ASSERT_TRUE(PollUntil(
      [&] {
        auto status = As(kAlice)->GetStatus();
        return status.ok() && status->workers_size() == 2;
      },
      kDeadline));
  auto status = As(kAlice)->GetStatus();
  int remote_workers = 0;
  for (const auto& w : status->workers()) {
    if (!w.local()) {
      ++remote_workers;
      EXPECT_EQ(w.cores(), 3u);
    }
  }
  EXPECT_EQ(remote_workers, 1);
  (*worker)->Signal(SIGTERM);
  std::optional<int> worker_status = (*worker)->Wait(kDeadline);
  ASSERT_TRUE(worker_status.has_value());
  EXPECT_TRUE(WIFEXITED(*worker_status) && WEXITSTATUS(*worker_status) == 0);
}

// What an operator looks for after an incident is in the server's log: who
// was refused, and who asked for someone else's fitter (answered as if it did
// not exist).
TEST_F(AuthProcessTest, TheLogNamesRefusedClientsAndForeignFitters) {
  EXPECT_EQ(As("not-a-token-of-this-server")->GetStatus().status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(As(kBob)->GetFitter("alice-fitter").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(As(kBob)->CancelFit("alice-fitter").status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(PollUntil(
      [&] {
        return ReadFile(server_.log).find("of user 'alice'") !=
               std::string::npos;
      },
      kDeadline))
      << ReadFile(server_.log);
  const std::string log = ReadFile(server_.log);
  EXPECT_THAT(log, HasSubstr("refused a client at ipv4:127.0.0.1:"));
  EXPECT_THAT(log, HasSubstr("the token is not known to this server"));
  EXPECT_THAT(log, HasSubstr("user 'bob' asked for fitter alice-fitter of "
                             "user 'alice'; answered NOT_FOUND"));
  // The tokens themselves never reach the log.
  EXPECT_THAT(log, ::testing::Not(HasSubstr("not-a-token-of-this-server")));
  EXPECT_THAT(log, ::testing::Not(HasSubstr(kBob)));
}

}  // namespace
}  // namespace cellfit::testing
