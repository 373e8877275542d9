// The `cellfit` CLI as users run it: exit codes, errors, the embedded
// default, and the job file.
#include <sys/wait.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_harness.h"

namespace cellfit::testing {
namespace {

using ::testing::HasSubstr;

TEST(CliProcessTest, AnUnreachableServerExitsTwo) {
  // Port 1 on loopback: nothing listens there.
  RunResult result = Cli({"status", "--server", "127.0.0.1:1"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err,
              HasSubstr("cellfit: error: cannot reach the cellfit server at "
                        "127.0.0.1:1"));
  ProcessOptions env;
  env.env["CELLFIT_SERVER"] = "127.0.0.1:1";
  EXPECT_EQ(Cli({"ls"}, env).exit_code, 2);
}

TEST(CliProcessTest, UserErrorsExitOne) {
  RunResult unknown = Cli({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("cellfit: error: unknown verb"));
  RunResult option = Cli({"status", "--bogus"});
  EXPECT_EQ(option.exit_code, 1);
  EXPECT_THAT(option.err, HasSubstr("unknown option '--bogus'"));
  RunResult missing = Cli({"rm"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("missing ID"));
  EXPECT_EQ(Cli({}).exit_code, 1);
  RunResult help = Cli({"help", "status"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("--server HOST:PORT"));
}

TEST(CliProcessTest, TheEmbeddedDefaultRunsAPrivateServerForOneCommand) {
  const std::string dir = TestDirectory();
  ProcessOptions options;
  options.cwd = dir;
  RunResult result = Cli({"status", "--workers", "2"}, options);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("(embedded: started for this command"));
  EXPECT_EQ(WorkersLine(result.out), 2);
  EXPECT_THAT(result.out, HasSubstr("database: " + dir + "/cellfit.db"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/cellfit.db"));
  // The server and its workers ran in this directory and are gone.
  EXPECT_TRUE(
      PollUntil([&] { return ProcessesIn(dir).empty(); }, absl::Seconds(10)));
  // A second command reuses the same database.
  RunResult list = Cli({"ls", "--workers", "1"}, options);
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("no fitters"));
}

TEST(CliProcessTest, ParseReadsTheExampleAndPointsAtMistakes) {
  const std::string source = std::getenv("CELLFIT_SOURCE_DIR");
  RunResult good = Cli({"parse", source + "/examples/hh/job.toml"});
  ASSERT_EQ(good.exit_code, 0) << good.err;
  EXPECT_THAT(good.out, HasSubstr("input I: 5 traces x 1497 steps, amp"));
  EXPECT_THAT(good.out, HasSubstr("output v: 5 traces x 1497 steps, mV"));

  const std::string dir = TestDirectory();
  std::ofstream(dir + "/bad.toml") << "dt = \"0.01*ms\"\nn_samples = -3\n";
  RunResult bad = Cli({"parse", dir + "/bad.toml"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("bad.toml:2:13: error: key 'n_samples': -3 "
                                 "is out of range 1..100000"));
}

TEST(CliProcessTest, SimulateWithoutAWorkerSaysSoAndGoesOnWhenOneJoins) {
  const std::string dir = TestDirectory();
  auto server = StartServer(dir, dir + "/x.db", 0);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string source = std::getenv("CELLFIT_SOURCE_DIR");
  auto simulate = StartCli(dir, {"simulate", source + "/examples/hh/job.toml",
                                 "--server", server->address, "--params",
                                 "gl=10*nS,g_na=20*uS,g_kd=6*uS,Cm=200*pF",
                                 "--out", dir + "/sim.csv"});
  ASSERT_TRUE(simulate.ok()) << simulate.status();
  ASSERT_TRUE(PollUntil(
      [&] {
        return ReadFile(dir + "/cli.err").find("waiting for a worker") !=
               std::string::npos;
      },
      absl::Seconds(60)))
      << ReadFile(dir + "/cli.err");
  EXPECT_THAT(ReadFile(dir + "/cli.err"),
              HasSubstr("cellfit: waiting for a worker: none is connected to "
                        "the server at " +
                        server->address + " (start cellfit-worker"));
  EXPECT_TRUE(Alive((*simulate)->pid()));

  // The call was waiting, not over: a worker joining completes it.
  auto joined = StartWorker(dir, server->address, "worker.log");
  ASSERT_TRUE(joined.ok()) << joined.status();
  std::optional<int> status = (*simulate)->Wait(absl::Seconds(120));
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFEXITED(*status)) << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 0) << ReadFile(dir + "/cli.err");
  EXPECT_TRUE(std::filesystem::exists(dir + "/sim.csv"));
  const std::string err = ReadFile(dir + "/cli.err");
  EXPECT_EQ(err.find("waiting for a worker"), err.rfind("waiting for a worker"))
      << err;
}

// A fit whose only worker dies between rounds waits for another, and says so
// once; a worker joining lets it finish every round.
TEST(CliProcessTest, AFitThatLosesItsWorkerSaysSoAndGoesOnWhenOneJoins) {
  const std::string dir = TestDirectory();
  auto server = StartServer(dir, dir + "/x.db", 0);
  ASSERT_TRUE(server.ok()) << server.status();
  auto first = StartWorker(dir, server->address, "worker1.log");
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string source = std::getenv("CELLFIT_SOURCE_DIR");
  auto fit = StartCli(
      dir, {"fit", source + "/examples/hh/job.toml", "--server",
            server->address, "--rounds", "1000", "--callback", "text"});
  ASSERT_TRUE(fit.ok()) << fit.status();
  // Some rounds done, then the worker goes.
  ASSERT_TRUE(PollUntil(
      [&] {
        return ReadFile(dir + "/cli.out").find("round 3") != std::string::npos;
      },
      absl::Seconds(60)))
      << ReadFile(dir + "/cli.out") << ReadFile(dir + "/cli.err");
  (*first)->Signal(SIGKILL);
  ASSERT_TRUE(PollUntil(
      [&] {
        return ReadFile(dir + "/cli.err").find("waiting for a worker") !=
               std::string::npos;
      },
      absl::Seconds(60)))
      << ReadFile(dir + "/cli.out") << ReadFile(dir + "/cli.err");
  EXPECT_TRUE(Alive((*fit)->pid()));

  auto second = StartWorker(dir, server->address, "worker2.log");
  ASSERT_TRUE(second.ok()) << second.status();
  std::optional<int> status = (*fit)->Wait(absl::Seconds(300));
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFEXITED(*status)) << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 0) << ReadFile(dir + "/cli.err");
  EXPECT_THAT(ReadFile(dir + "/cli.out"), HasSubstr("1000 rounds"));
  const std::string err = ReadFile(dir + "/cli.err");
  EXPECT_EQ(err.find("waiting for a worker"), err.rfind("waiting for a worker"))
      << err;
}

}  // namespace
}  // namespace cellfit::testing
