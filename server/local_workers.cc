#include "server/local_workers.h"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "glog/logging.h"

extern char** environ;

namespace cellfit::server {

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) {
    return absl::StrCat("exited with status ", WEXITSTATUS(wait_status));
  }
  if (WIFSIGNALED(wait_status)) {
    int signal_number = WTERMSIG(wait_status);
    return absl::StrCat("killed by signal ", signal_number, " (",
                        strsignal(signal_number), ")");
  }
  return absl::StrCat("ended with wait status ", wait_status);
}

int AvailableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) {
    return CPU_COUNT(&set);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

namespace {

// The cores of a mask, in increasing order.
std::vector<int> CoresIn(const cpu_set_t& mask) {
  std::vector<int> cores;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &mask)) cores.push_back(cpu);
  }
  return cores;
}

}  // namespace

std::vector<int> LocalWorkerCores(int count) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof(mask), &mask) != 0) return {};
  return LocalWorkerCores(count, mask);
}

std::vector<int> LocalWorkerCores(int count, const cpu_set_t& mask) {
  if (count < 2 || CPU_COUNT(&mask) != count) return {};
  return CoresIn(mask);
}

int BoundCore(pid_t pid) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(pid, sizeof(mask), &mask) != 0) return -1;
  const std::vector<int> cores = CoresIn(mask);
  return cores.size() == 1 ? cores[0] : -1;
}

LocalWorkers::LocalWorkers(LocalWorkerOptions options)
    : options_(std::move(options)) {}

LocalWorkers::~LocalWorkers() {
  stopping_ = true;
  for (pid_t pid : pids_) kill(pid, SIGKILL);
  for (pid_t pid : pids_) waitpid(pid, nullptr, 0);
}

absl::Status LocalWorkers::Spawn(int count) {
  if (count <= 0) return absl::OkStatus();
  if (access(options_.binary.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(
        "cannot run the worker program '", options_.binary, "': ",
        strerror(errno), " (set --worker_binary, or --local_workers=0)"));
  }
  // Everything the child needs is built here: between fork and exec a child
  // of a multi-threaded process may only make async-signal-safe calls.
  std::vector<std::string> args = {
      options_.binary, "--server=" + options_.server_address, "--threads=1"};
  args.insert(args.end(), options_.extra_args.begin(),
              options_.extra_args.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!absl::StartsWith(*e, "CELLFIT_TOKEN=")) env_strings.push_back(*e);
  }
  env_strings.push_back("CELLFIT_TOKEN=" + options_.token);
  std::vector<char*> envp;
  for (std::string& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);
  const pid_t parent = getpid();
  const std::vector<int> cores =
      options_.pin_to_cores ? LocalWorkerCores(count) : std::vector<int>{};
  std::vector<cpu_set_t> affinities(cores.size());
  for (size_t i = 0; i < cores.size(); ++i) {
    CPU_ZERO(&affinities[i]);
    CPU_SET(cores[i], &affinities[i]);
  }

  for (int i = 0; i < count; ++i) {
    pid_t pid = fork();
    if (pid < 0) {
      return absl::InternalError(
          absl::StrCat("cannot start a local worker: fork: ", strerror(errno)));
    }
    if (pid == 0) {
      // The child: die with the server; a parent that died before this line
      // has been replaced by init (or a subreaper), so check for that too.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(127);
      setpgid(0, 0);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      struct sigaction default_action;
      std::memset(&default_action, 0, sizeof(default_action));
      default_action.sa_handler = SIG_DFL;
      sigaction(SIGPIPE, &default_action, nullptr);
      // The server's stdout carries its `listening on` line; a worker's
      // output belongs with the logs on stderr.
      dup2(STDERR_FILENO, STDOUT_FILENO);
      // A failed binding leaves the worker free to run anywhere, which is
      // slower but correct.
      if (!affinities.empty()) {
        sched_setaffinity(0, sizeof(cpu_set_t), &affinities[i]);
      }
      execve(argv[0], argv.data(), envp.data());
      static constexpr char kMessage[] =
          "cellfit-server: cannot exec the worker\n";
      ssize_t ignored = write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
      (void)ignored;
      _exit(127);
    }
    pids_.push_back(pid);
    ++spawned_;
    VLOG(1) << "started local worker pid " << pid;
  }
  LOG(INFO) << "started " << count << " local worker" << (count == 1 ? "" : "s")
            << " (" << options_.binary << ")"
            << (cores.empty() ? ""
                              : absl::StrCat(", each bound to a core of "
                                             "its own: ",
                                             absl::StrJoin(cores, ",")));
  return absl::OkStatus();
}

void LocalWorkers::Forget(pid_t pid, int wait_status) {
  pids_.erase(std::remove(pids_.begin(), pids_.end(), pid), pids_.end());
  bool clean = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
  if (stopping_ && clean) {
    VLOG(1) << "local worker pid " << pid << " stopped";
  } else if (stopping_) {
    LOG(INFO) << "local worker pid " << pid << " "
              << DescribeWaitStatus(wait_status);
  } else {
    LOG(WARNING) << "local worker pid " << pid << " "
                 << DescribeWaitStatus(wait_status) << "; not restarted ("
                 << pids_.size() << " of " << spawned_
                 << " local workers left)";
  }
}

std::vector<pid_t> LocalWorkers::Reap() {
  std::vector<pid_t> ended;
  for (pid_t pid : std::vector<pid_t>(pids_)) {
    int wait_status = 0;
    if (waitpid(pid, &wait_status, WNOHANG) == pid) {
      Forget(pid, wait_status);
      ended.push_back(pid);
    }
  }
  return ended;
}

int LocalWorkers::WaitAll(absl::Time deadline) {
  stopping_ = true;
  while (!pids_.empty() && absl::Now() < deadline) {
    Reap();
    if (!pids_.empty()) absl::SleepFor(absl::Milliseconds(20));
  }
  int killed = 0;
  for (pid_t pid : std::vector<pid_t>(pids_)) {
    LOG(WARNING) << "local worker pid " << pid
                 << " did not stop in time; killing it";
    kill(pid, SIGKILL);
    int wait_status = 0;
    if (waitpid(pid, &wait_status, 0) == pid) Forget(pid, wait_status);
    ++killed;
  }
  return killed;
}

}  // namespace cellfit::server
