#include "tests/integration/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

extern char** environ;

namespace cellfit::testing {
namespace fs = std::filesystem;

absl::StatusOr<std::unique_ptr<Process>> Process::Start(
    const ProcessOptions& options) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    size_t equals = entry.find('=');
    if (equals != std::string::npos) {
      env[entry.substr(0, equals)] = entry.substr(equals + 1);
    }
  }
  for (const auto& [name, value] : options.env) {
    if (value.has_value()) {
      env[name] = *value;
    } else {
      env.erase(name);
    }
  }
  std::vector<std::string> env_strings;
  for (const auto& [name, value] : env)
    env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (std::string& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = options.argv;
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(
      &actions, STDOUT_FILENO,
      options.stdout_path.empty() ? "/dev/null" : options.stdout_path.c_str(),
      O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!options.stderr_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO,
                                     options.stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
  }
  if (!options.cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
  }
  // Children start with no blocked signals whatever this thread blocks.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  int error = posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(),
                          envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    return absl::InternalError(
        absl::StrCat("cannot start ", args[0], ": ", std::strerror(error)));
  }
  return std::unique_ptr<Process>(new Process(pid));
}

Process::~Process() {
  if (!status_.has_value()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void Process::Signal(int signal_number) const {
  if (!status_.has_value()) kill(pid_, signal_number);
}

std::optional<int> Process::Wait(absl::Duration timeout) {
  if (status_.has_value()) return status_;
  PollUntil(
      [this] {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) status_ = status;
        return status_.has_value();
      },
      timeout);
  return status_;
}

RunResult Run(ProcessOptions options, absl::Duration timeout) {
  static int counter = 0;
  std::string dir = TestDirectory();
  std::string out = absl::StrCat(dir, "/run", ++counter, ".out");
  std::string err = absl::StrCat(dir, "/run", counter, ".err");
  options.stdout_path = out;
  options.stderr_path = err;
  RunResult result;
  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(options);
  if (!process.ok()) {
    result.err = std::string(process.status().message());
    return result;
  }
  std::optional<int> status = (*process)->Wait(timeout);
  if (status.has_value() && WIFEXITED(*status)) {
    result.exit_code = WEXITSTATUS(*status);
  }
  process->reset();
  result.out = ReadFile(out);
  result.err = ReadFile(err);
  return result;
}

bool PollUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

namespace {

// Fields of /proc/PID/stat after the command: state, ppid, ...
std::vector<std::string> StatFields(pid_t pid) {
  std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return {};
  return absl::StrSplit(stat.substr(close + 2), ' ');
}

std::vector<pid_t> AllPids() {
  std::vector<pid_t> pids;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/proc", error)) {
    int pid = 0;
    if (absl::SimpleAtoi(entry.path().filename().string(), &pid)) {
      pids.push_back(pid);
    }
  }
  return pids;
}

}  // namespace

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  for (pid_t pid : AllPids()) {
    std::vector<std::string> fields = StatFields(pid);
    int ppid = 0;
    if (fields.size() > 1 && absl::SimpleAtoi(fields[1], &ppid) &&
        ppid == parent && fields[0] != "Z") {
      children.push_back(pid);
    }
  }
  return children;
}

std::vector<pid_t> ProcessesIn(const std::string& dir) {
  std::vector<pid_t> found;
  fs::path wanted = fs::weakly_canonical(dir);
  for (pid_t pid : AllPids()) {
    std::error_code error;
    fs::path cwd = fs::read_symlink(absl::StrCat("/proc/", pid, "/cwd"), error);
    if (!error && cwd == wanted && Alive(pid)) found.push_back(pid);
  }
  return found;
}

bool Alive(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  std::vector<std::string> fields = StatFields(pid);
  return !fields.empty() && fields[0] != "Z";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string TestDirectory() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(::testing::TempDir()) / "cellfit-it" /
                 absl::StrCat(info ? info->test_suite_name() : "suite", ".",
                              info ? info->name() : "test", ".", getpid());
  static std::string last;
  if (last != dir.string()) {
    fs::remove_all(dir);
    last = dir.string();
  }
  fs::create_directories(dir);
  return fs::canonical(dir).string();
}

}  // namespace cellfit::testing
