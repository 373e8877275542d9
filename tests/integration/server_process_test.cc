// cellfit-server as a process: local workers, a worker that dies, a clean
// shutdown, and a restart on the same database.
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/database.h"
#include "tests/integration/server_harness.h"

namespace cellfit::testing {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kDeadline = absl::Seconds(60);

bool ExitedCleanly(const std::optional<int>& status) {
  return status.has_value() && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

TEST(ServerProcessTest, TwoLocalWorkersOneKilledThenACleanShutdown) {
  const std::string dir = TestDirectory();
  absl::StatusOr<ServerHandle> server =
      StartServer(dir, dir + "/cellfit.db", 2);
  ASSERT_TRUE(server.ok()) << server.status();
  // The bound address is printed for whoever started the server.
  EXPECT_TRUE(PollUntil(
      [&] {
        return ReadFile(server->stdout_path) ==
               "listening on " + server->address + "\n";
      },
      kDeadline))
      << ReadFile(server->stdout_path);

  // `cellfit status` (the real CLI) sees both local workers.
  ASSERT_TRUE(
      PollUntil([&] { return StatusWorkers(server->address) == 2; }, kDeadline))
      << ReadFile(server->log);
  RunResult status = Cli({"status", "--server", server->address});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("version: 0.1.0"));
  EXPECT_THAT(status.out, HasSubstr("uptime: "));
  EXPECT_THAT(status.out, HasSubstr("database: " + dir + "/cellfit.db"));
  EXPECT_THAT(status.out, HasSubstr("ID  HOST"));
  EXPECT_THAT(status.out, HasSubstr("w1  "));
  EXPECT_THAT(status.out, HasSubstr("idle   local"));

  // The workers are the server's children; SIGKILL one.
  std::vector<pid_t> workers = ChildrenOf(server->process->pid());
  ASSERT_EQ(workers.size(), 2u);
  kill(workers[0], SIGKILL);
  EXPECT_TRUE(
      PollUntil([&] { return StatusWorkers(server->address) == 1; }, kDeadline))
      << ReadFile(server->log);
  EXPECT_THAT(ReadFile(server->log),
              HasSubstr(absl::StrCat("local worker pid ", workers[0],
                                     " killed by signal 9")));
  EXPECT_THAT(ReadFile(server->log), HasSubstr("not restarted"));

  // SIGTERM: a clean exit, and no child left behind.
  server->process->Signal(SIGTERM);
  EXPECT_TRUE(ExitedCleanly(server->process->Wait(kDeadline)))
      << ReadFile(server->log);
  for (pid_t worker : workers) {
    EXPECT_TRUE(PollUntil([&] { return !Alive(worker); }, absl::Seconds(10)))
        << "worker " << worker << " outlived its server";
  }
  std::string log = ReadFile(server->log);
  EXPECT_THAT(log, HasSubstr("shutting down"));
  EXPECT_THAT(log, HasSubstr("database closed; cellfit-server stopped"));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("had to be killed")));
}

// The cores `pid` may run on.
std::vector<int> CoresOf(pid_t pid) {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cores;
  if (sched_getaffinity(pid, sizeof(set), &set) != 0) return cores;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cores.push_back(cpu);
  }
  return cores;
}

// Runs the calling thread, and the processes it starts, on the first `n`
// cores of its mask until destroyed.
class OnTheFirstCores {
 public:
  explicit OnTheFirstCores(size_t n) {
    sched_getaffinity(0, sizeof(before_), &before_);
    cpu_set_t fewer;
    CPU_ZERO(&fewer);
    const std::vector<int> ours = CoresOf(0);
    for (size_t k = 0; k < n && k < ours.size(); ++k) CPU_SET(ours[k], &fewer);
    sched_setaffinity(0, sizeof(fewer), &fewer);
  }
  ~OnTheFirstCores() { sched_setaffinity(0, sizeof(before_), &before_); }

 private:
  cpu_set_t before_;
};

// Starts a server with `workers` local workers, once they are connected
// returns `look` applied to each worker process (and the server's log), and
// stops the server.
template <typename Seen>
std::vector<Seen> LookAtLocalWorkers(const std::string& dir,
                                     const std::string& db, int workers,
                                     std::vector<std::string> flags,
                                     std::string* log,
                                     const std::function<Seen(pid_t)>& look) {
  std::vector<Seen> seen;
  absl::StatusOr<ServerHandle> server =
      StartServer(dir, db, workers, std::move(flags));
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return seen;
  EXPECT_TRUE(PollUntil(
      [&] { return StatusWorkers(server->address) == workers; }, kDeadline))
      << ReadFile(server->log);
  for (pid_t worker : ChildrenOf(server->process->pid())) {
    seen.push_back(look(worker));
  }
  *log = ReadFile(server->log);
  server->process->Signal(SIGTERM);
  EXPECT_TRUE(ExitedCleanly(server->process->Wait(kDeadline)));
  return seen;
}

// The cores each local worker may run on.
std::vector<std::vector<int>> CoresOfLocalWorkers(
    const std::string& dir, const std::string& db, int workers,
    std::vector<std::string> flags, std::string* log) {
  return LookAtLocalWorkers<std::vector<int>>(dir, db, workers,
                                              std::move(flags), log, CoresOf);
}

TEST(ServerProcessTest, OneLocalWorkerPerCoreIsBoundToACoreEachUnlessTold) {
  if (CoresOf(0).size() < 2) GTEST_SKIP() << "needs two cores";
  OnTheFirstCores two(2);
  const std::vector<int> mask = CoresOf(0);
  ASSERT_EQ(mask.size(), 2u);
  const std::string dir = TestDirectory();
  std::string log;
  std::vector<std::vector<int>> bound =
      CoresOfLocalWorkers(dir, dir + "/bound.db", 2, {}, &log);
  ASSERT_EQ(bound.size(), 2u);
  // One core each, different ones, both of the server's.
  ASSERT_EQ(bound[0].size(), 1u);
  ASSERT_EQ(bound[1].size(), 1u);
  EXPECT_NE(bound[0][0], bound[1][0]);
  EXPECT_THAT(mask, ::testing::Contains(bound[0][0]));
  EXPECT_THAT(mask, ::testing::Contains(bound[1][0]));
  EXPECT_THAT(log, HasSubstr("each bound to a core of its own"));

  std::vector<std::vector<int>> free = CoresOfLocalWorkers(
      dir, dir + "/free.db", 2, {"--nopin_local_workers"}, &log);
  ASSERT_EQ(free.size(), 2u);
  EXPECT_EQ(free[0], mask);
  EXPECT_EQ(free[1], mask);
  EXPECT_THAT(log, ::testing::Not(HasSubstr("bound to a core")));
}

// Starts `workers` local workers with this thread's mask cut to `cores`
// cores, and expects none of them bound.
void ExpectLocalWorkersUnbound(size_t cores, int workers,
                               const std::string& name) {
  OnTheFirstCores only(cores);
  const std::vector<int> mask = CoresOf(0);
  const std::string dir = TestDirectory();
  std::string log;
  std::vector<std::vector<int>> found =
      CoresOfLocalWorkers(dir, dir + "/" + name + ".db", workers, {}, &log);
  ASSERT_EQ(found.size(), static_cast<size_t>(workers));
  for (const std::vector<int>& worker : found) EXPECT_EQ(worker, mask);
  EXPECT_THAT(log, ::testing::Not(HasSubstr("bound to a core")));
}

TEST(ServerProcessTest, MoreLocalWorkersThanCoresAreLeftUnbound) {
  ExpectLocalWorkersUnbound(2, 3, "more");  // on two cores, or on one
}

TEST(ServerProcessTest, FewerLocalWorkersThanCoresAreLeftUnbound) {
  if (CoresOf(0).size() < 3) {
    GTEST_SKIP() << "needs three cores for two workers";
  }
  ExpectLocalWorkersUnbound(3, 2, "fewer");
}

TEST(ServerProcessTest, AnswersHealthChecksAsServing) {
  const std::string dir = TestDirectory();
  absl::StatusOr<ServerHandle> server = StartServer(dir, dir + "/h.db", 0);
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<std::unique_ptr<client::Client>> client =
      client::Client::Connect({.address = server->address});
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<bool> serving = (*client)->IsServing();
  ASSERT_TRUE(serving.ok()) << serving.status();
  EXPECT_TRUE(*serving);
  server->process->Signal(SIGINT);  // SIGINT stops it as cleanly as SIGTERM
  EXPECT_TRUE(ExitedCleanly(server->process->Wait(kDeadline)));
}

TEST(ServerProcessTest, ARestartOnTheSameDatabaseFindsItIntactAndUnmigrated) {
  const std::string dir = TestDirectory();
  const std::string db = dir + "/cellfit.db";

  absl::StatusOr<ServerHandle> first = StartServer(dir, db, 1);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(
      PollUntil([&] { return StatusWorkers(first->address) == 1; }, kDeadline));
  first->process->Signal(SIGTERM);
  ASSERT_TRUE(ExitedCleanly(first->process->Wait(kDeadline)));
  EXPECT_THAT(ReadFile(first->log), HasSubstr("applied migrations"));

  // The schema the first server made, and a fitter kept in it.
  std::vector<storage::AppliedMigration> migrations;
  int schema_version = 0;
  {
    absl::StatusOr<std::unique_ptr<storage::Database>> database =
        storage::Database::Open(db);
    ASSERT_TRUE(database.ok()) << database.status();
    EXPECT_TRUE((*database)->migrations_applied_at_open().empty());
    EXPECT_EQ(*(*database)->JournalMode(), "wal");
    schema_version = (*database)->schema_version();
    migrations = *(*database)->MigrationLog();
    ASSERT_EQ(static_cast<int>(migrations.size()), schema_version);
    absl::StatusOr<storage::NewFitter> fitter = ExampleFitter(
        "kept-across-restarts", "local");  // an open server's user
    ASSERT_TRUE(fitter.ok()) << fitter.status();
    ASSERT_TRUE((*database)->CreateFitter(*fitter).ok());
  }

  absl::StatusOr<ServerHandle> second = StartServer(dir, db, 1);
  ASSERT_TRUE(second.ok()) << second.status();
  RunResult list = Cli({"ls", "--server", second->address});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("kept-across-restarts"));
  second->process->Signal(SIGTERM);
  ASSERT_TRUE(ExitedCleanly(second->process->Wait(kDeadline)));
  EXPECT_THAT(ReadFile(second->log), HasSubstr("(up to date)"));

  // Every migration is still recorded once, when the first server ran it.
  absl::StatusOr<std::unique_ptr<storage::Database>> database =
      storage::Database::Open(db);
  ASSERT_TRUE(database.ok()) << database.status();
  EXPECT_EQ((*database)->schema_version(), schema_version);
  std::vector<storage::AppliedMigration> after = *(*database)->MigrationLog();
  ASSERT_EQ(after.size(), migrations.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].version, migrations[i].version);
    EXPECT_EQ(after[i].applied, migrations[i].applied);
  }
  EXPECT_TRUE((*database)->GetFitter("kept-across-restarts").ok());
}

// A server started on its own (no local workers) that is expected to fail
// at start-up: its exit code and output.
RunResult RunFailingServer(std::vector<std::string> args) {
  ProcessOptions options;
  options.argv = {kServerBinary, "--local_workers=0"};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  return Run(options, kDeadline);
}

TEST(ServerProcessTest, ASecondServerOnTheSameDatabaseIsRefused) {
  const std::string dir = TestDirectory();
  const std::string db = dir + "/shared.db";
  absl::StatusOr<ServerHandle> first = StartServer(dir, db, 0);
  ASSERT_TRUE(first.ok()) << first.status();

  RunResult second = RunFailingServer({"--listen=127.0.0.1:0", "--db=" + db});
  EXPECT_EQ(second.exit_code, 1) << second.err;
  EXPECT_THAT(second.err,
              HasSubstr(absl::StrCat("the database ", db,
                                     " is in use by another cellfit-server "
                                     "(pid ",
                                     first->process->pid(), ")")));
  EXPECT_THAT(second.out, ::testing::Not(HasSubstr("listening on")));
  // The first server keeps serving.
  EXPECT_EQ(StatusWorkers(first->address), 0) << ReadFile(first->log);

  // The kernel drops the lock of a SIGKILLed server: the next one starts.
  first->process->Signal(SIGKILL);
  first->process->Wait(kDeadline);
  absl::StatusOr<ServerHandle> third = StartServer(dir, db, 0);
  ASSERT_TRUE(third.ok()) << third.status();
  third->process->Signal(SIGTERM);
  EXPECT_TRUE(ExitedCleanly(third->process->Wait(kDeadline)));
}

TEST(ServerProcessTest, ANewDatabaseIsPrivateAndAReadableOneWarns) {
  const std::string dir = TestDirectory();
  const mode_t old_umask = umask(022);  // the usual one, inherited
  absl::StatusOr<ServerHandle> server = StartServer(dir, dir + "/new.db", 0);
  umask(old_umask);
  ASSERT_TRUE(server.ok()) << server.status();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string path = dir + "/new.db" + suffix;
    struct stat info;
    if (stat(path.c_str(), &info) != 0) continue;  // -wal, -shm may be gone
    EXPECT_EQ(info.st_mode & 0777, 0600u) << path;
  }
  EXPECT_THAT(ReadFile(server->log),
              ::testing::Not(HasSubstr("readable by other users")));
  server->process->Signal(SIGTERM);
  EXPECT_TRUE(ExitedCleanly(server->process->Wait(kDeadline)));

  const std::string readable = dir + "/readable.db";
  std::ofstream(readable).close();
  chmod(readable.c_str(), 0644);
  absl::StatusOr<ServerHandle> warned = StartServer(dir, readable, 0);
  ASSERT_TRUE(warned.ok()) << warned.status();
  EXPECT_THAT(ReadFile(warned->log),
              HasSubstr("the database " + readable +
                        " is readable by other users; chmod 600 it"));
  warned->process->Signal(SIGTERM);
  EXPECT_TRUE(ExitedCleanly(warned->process->Wait(kDeadline)));
}

TEST(ServerProcessTest, BadPortsAndDurationsAreRefused) {
  const std::string dir = TestDirectory();
  for (std::string listen : {"127.0.0.1:99999", "127.0.0.1:65536",
                             "127.0.0.1:-1", "127.0.0.1:x", "127.0.0.1"}) {
    RunResult result =
        RunFailingServer({"--listen=" + listen, "--db=" + dir + "/ports.db"});
    EXPECT_EQ(result.exit_code, 1) << listen;
    EXPECT_THAT(result.err,
                HasSubstr("--listen: '" + listen +
                          "' is not HOST:PORT with a PORT of 0..65535"))
        << listen;
    EXPECT_EQ(result.out, "") << listen;
  }
  RunResult grace = RunFailingServer({"--shutdown_grace=-5s"});
  EXPECT_EQ(grace.exit_code, 1);
  EXPECT_THAT(grace.err,
              HasSubstr("--shutdown_grace must be 0s or longer, not -5s"));
  // Nothing was opened, let alone created.
  EXPECT_FALSE(std::filesystem::exists(dir + "/ports.db"));
}

TEST(ServerProcessTest, LocalWorkersGetTheCompilersMemoryLimit) {
  const std::string dir = TestDirectory();
  std::string log;
  // /proc/PID/cmdline: the arguments, each ended by a NUL.
  std::vector<std::string> command_lines = LookAtLocalWorkers<std::string>(
      dir, dir + "/cellfit.db", 1, {"--compile_memory_mb=1234"}, &log,
      [](pid_t worker) {
        return ReadFile(absl::StrCat("/proc/", worker, "/cmdline"));
      });
  ASSERT_EQ(command_lines.size(), 1u) << log;
  EXPECT_THAT(command_lines[0],
              HasSubstr(std::string("--compile_memory_mb=1234\0", 25)))
      << command_lines[0];

  RunResult bad = RunFailingServer({"--compile_memory_mb=-2"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("--compile_memory_mb must be 0 (no limit) to "
                                 "16777216, not -2"));
}

TEST(ServerProcessTest, HelpListsTheServerFlagsAndVersionNamesIt) {
  RunResult help = RunFailingServer({"--help"});
  EXPECT_THAT(help.out, HasSubstr("--shutdown_grace"));
  EXPECT_THAT(help.out, HasSubstr("--token_file"));
  EXPECT_THAT(help.out, ::testing::Not(HasSubstr("No flags matched")));
  RunResult version = RunFailingServer({"--version"});
  EXPECT_EQ(version.out, "cellfit-server 0.1.0\n");
}

TEST(ServerProcessTest, AnOpenServerOnAllInterfacesWarns) {
  const std::string dir = TestDirectory();
  // The database cannot be opened, so the server stops before it listens.
  RunResult result = RunFailingServer(
      {"--listen=0.0.0.0:0", "--db=" + dir + "/no/such/dir/open.db"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err,
              HasSubstr("anyone who can reach this port can use the server "
                        "and connect workers; give --token_file FILE"));
  // A glog WARNING line, not an INFO one.
  EXPECT_THAT(result.err, ::testing::ContainsRegex(
                              "(^|\n)W[0-9]{8} [^\n]*anyone who can reach"));
}

TEST(ServerProcessTest, ListeningIsAnnouncedOnlyOnceStartUpCannotFail) {
  const std::string dir = TestDirectory();
  RunResult address = RunFailingServer(
      {"--db=" + dir + "/a.db", "--address_file=" + dir + "/no/dir/addr"});
  EXPECT_EQ(address.exit_code, 1);
  EXPECT_THAT(address.err, HasSubstr("cannot write the address file"));
  EXPECT_EQ(address.out, "");

  ProcessOptions options;
  options.argv = {kServerBinary, "--local_workers=1", "--db=" + dir + "/b.db",
                  "--address_file=" + dir + "/addr",
                  "--worker_binary=" + dir + "/no-such-worker"};
  RunResult worker = cellfit::testing::Run(options, kDeadline);
  EXPECT_EQ(worker.exit_code, 1);
  EXPECT_THAT(worker.err, HasSubstr("cannot run the worker program"));
  EXPECT_EQ(worker.out, "");
  EXPECT_FALSE(std::filesystem::exists(dir + "/addr"));
}

}  // namespace
}  // namespace cellfit::testing
