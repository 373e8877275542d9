// Real processes for the integration tests: start a program with its output
// in files, signal it, wait for it with a deadline, and find its children.
#ifndef CELLFIT_TESTS_INTEGRATION_PROCESS_H_
#define CELLFIT_TESTS_INTEGRATION_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cellfit::testing {

// The programs under test (set by tests/integration/CMakeLists.txt).
inline constexpr char kServerBinary[] = CELLFIT_SERVER_BINARY;
inline constexpr char kWorkerBinary[] = CELLFIT_WORKER_BINARY;
inline constexpr char kCliBinary[] = CELLFIT_CLI_BINARY;

struct ProcessOptions {
  std::vector<std::string> argv;
  // Environment changes: a value sets the variable, nullopt removes it.
  std::map<std::string, std::optional<std::string>> env;
  std::string cwd;          // empty: the test's
  std::string stdout_path;  // empty: /dev/null
  std::string stderr_path;  // empty: the test's stderr
};

class Process {
 public:
  static absl::StatusOr<std::unique_ptr<Process>> Start(
      const ProcessOptions& options);
  // SIGKILLs the process if it still runs, and reaps it.
  ~Process();

  pid_t pid() const { return pid_; }
  void Signal(int signal_number) const;
  // The wait status once the process has ended within `timeout`.
  std::optional<int> Wait(absl::Duration timeout);
  bool exited() const { return status_.has_value(); }

 private:
  explicit Process(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  std::optional<int> status_;
};

struct RunResult {
  int exit_code = -1;  // -1: killed by a signal or timed out
  std::string out;
  std::string err;
};

// Runs a program to its end (killed after `timeout`), capturing its output.
RunResult Run(ProcessOptions options, absl::Duration timeout);

// Polls `condition` until it holds or `timeout` passes.
bool PollUntil(const std::function<bool()>& condition, absl::Duration timeout);

// Processes whose parent is `pid` (from /proc).
std::vector<pid_t> ChildrenOf(pid_t pid);
// Processes whose working directory is `dir` (from /proc).
std::vector<pid_t> ProcessesIn(const std::string& dir);
// The process exists and is not a zombie.
bool Alive(pid_t pid);

std::string ReadFile(const std::string& path);
// A fresh empty directory for this test.
std::string TestDirectory();

}  // namespace cellfit::testing

#endif  // CELLFIT_TESTS_INTEGRATION_PROCESS_H_
