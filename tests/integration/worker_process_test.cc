// cellfit-worker as a process: it survives its server going away and joins
// the next one on the same address, and stops cleanly on SIGTERM.
#include <signal.h>
#include <sys/wait.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_harness.h"

namespace cellfit::testing {
namespace {

constexpr absl::Duration kDeadline = absl::Seconds(60);

TEST(WorkerProcessTest, ReconnectsToARestartedServerAndStopsOnSigterm) {
  const std::string dir = TestDirectory();
  absl::StatusOr<ServerHandle> first = StartServer(dir, dir + "/w.db", 0);
  ASSERT_TRUE(first.ok()) << first.status();

  ProcessOptions options;
  options.argv = {kWorkerBinary, "--server=" + first->address,
                  "--max_backoff=500ms", "--threads=1"};
  options.stderr_path = dir + "/worker.log";
  auto worker = Process::Start(options);
  ASSERT_TRUE(worker.ok());
  ASSERT_TRUE(
      PollUntil([&] { return StatusWorkers(first->address) == 1; }, kDeadline));

  // The server goes away; a remote worker is not told to exit, it waits.
  first->process->Signal(SIGTERM);
  ASSERT_TRUE(first->process->Wait(kDeadline).has_value());
  EXPECT_TRUE(PollUntil(
      [&] {
        return ReadFile(dir + "/worker.log").find("retrying in") !=
               std::string::npos;
      },
      kDeadline));
  EXPECT_TRUE(Alive((*worker)->pid()));

  // A new server on the same address: the worker joins it, keeping its id.
  absl::StatusOr<ServerHandle> second =
      StartServer(dir, dir + "/w.db", 0, {}, first->address);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(
      PollUntil([&] { return StatusWorkers(second->address) == 1; }, kDeadline))
      << ReadFile(dir + "/worker.log");
  RunResult status = Cli({"status", "--server", second->address});
  EXPECT_THAT(status.out, ::testing::HasSubstr("w1  "));
  EXPECT_THAT(status.out, ::testing::HasSubstr("remote"));

  (*worker)->Signal(SIGTERM);
  std::optional<int> exit_status = (*worker)->Wait(kDeadline);
  ASSERT_TRUE(exit_status.has_value());
  EXPECT_TRUE(WIFEXITED(*exit_status) && WEXITSTATUS(*exit_status) == 0);
  // It left politely: the server saw it go, no broken stream.
  EXPECT_TRUE(PollUntil([&] { return StatusWorkers(second->address) == 0; },
                        kDeadline));
  second->process->Signal(SIGTERM);
  EXPECT_TRUE(second->process->Wait(kDeadline).has_value());
}

RunResult RunWorker(std::vector<std::string> args) {
  ProcessOptions options;
  options.argv = {kWorkerBinary};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  return Run(options, kDeadline);
}

TEST(WorkerProcessTest, BadPortsAndBackoffsAreRefused) {
  for (std::string server :
       {"127.0.0.1:99999", "127.0.0.1:65536", "127.0.0.1:0", "127.0.0.1:x"}) {
    RunResult result = RunWorker({"--server=" + server});
    EXPECT_EQ(result.exit_code, 1) << server;
    EXPECT_THAT(result.err,
                ::testing::HasSubstr("--server: '" + server +
                                     "' is not HOST:PORT with a PORT of "
                                     "1..65535"))
        << server;
  }
  for (std::string backoff : {"0s", "-3s", "100ms"}) {
    RunResult result =
        RunWorker({"--server=127.0.0.1:1", "--max_backoff=" + backoff});
    EXPECT_EQ(result.exit_code, 1) << backoff;
    EXPECT_THAT(result.err,
                ::testing::HasSubstr("--max_backoff must be at least 250ms "
                                     "(the first retry's wait), not " +
                                     (backoff == "0s" ? "0" : backoff)))
        << backoff;
  }
  for (std::string memory : {"-1", "16777217"}) {
    RunResult result =
        RunWorker({"--server=127.0.0.1:1", "--compile_memory_mb=" + memory});
    EXPECT_EQ(result.exit_code, 1) << memory;
    EXPECT_THAT(result.err, ::testing::HasSubstr(
                                "--compile_memory_mb must be 0 (no limit) to "
                                "16777216, not " +
                                memory))
        << memory;
  }
}

TEST(WorkerProcessTest, HelpListsTheWorkerFlagsAndVersionNamesIt) {
  RunResult help = RunWorker({"--help"});
  EXPECT_THAT(help.out, ::testing::HasSubstr("--max_backoff"));
  EXPECT_THAT(help.out, ::testing::HasSubstr("--compile_memory_mb"));
  EXPECT_THAT(help.out,
              ::testing::Not(::testing::HasSubstr("No flags matched")));
  RunResult version = RunWorker({"--version"});
  EXPECT_EQ(version.out, "cellfit-worker 0.1.0\n");
}

}  // namespace
}  // namespace cellfit::testing
