// The worker processes a server starts on its own machine. They run as child
// processes in a process group of their own (a Ctrl-C on the terminal reaches
// only the server, which then stops them in order), get their token through
// the environment (never on a command line that `ps` shows), and die with the
// server even when it is SIGKILLed (PR_SET_PDEATHSIG). A worker that dies is
// logged and not restarted: a crash loop should be seen, not hidden.
#ifndef CELLFIT_SERVER_LOCAL_WORKERS_H_
#define CELLFIT_SERVER_LOCAL_WORKERS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace cellfit::server {

struct LocalWorkerOptions {
  std::string binary;                   // the cellfit-worker executable
  std::string server_address;           // where the workers connect
  std::string token;                    // handed over as CELLFIT_TOKEN
  std::vector<std::string> extra_args;  // e.g. --log_level=warning
};

class LocalWorkers {
 public:
  explicit LocalWorkers(LocalWorkerOptions options);
  // Kills (SIGKILL) and reaps any child still running.
  ~LocalWorkers();
  LocalWorkers(const LocalWorkers&) = delete;
  LocalWorkers& operator=(const LocalWorkers&) = delete;

  // Starts `count` workers with one thread each. Call it from the thread that
  // outlives them (the main thread): Linux delivers the parent-death signal
  // when the thread that forked a child exits, not the process.
  absl::Status Spawn(int count);

  // Collects children that have exited, logging how each ended; returns
  // their pids. Call it on SIGCHLD.
  std::vector<pid_t> Reap();

  // Waits until every child has exited, at most until `deadline`, then
  // SIGKILLs and reaps the rest. Returns how many had to be killed.
  int WaitAll(absl::Time deadline);

  std::vector<pid_t> pids() const { return pids_; }
  size_t running() const { return pids_.size(); }

 private:
  // Takes pid out of pids_ and logs its end.
  void Forget(pid_t pid, int wait_status);

  const LocalWorkerOptions options_;
  std::vector<pid_t> pids_;
  size_t spawned_ = 0;
  bool stopping_ = false;
};

// "exited with status 3", "killed by signal 9 (Killed)".
std::string DescribeWaitStatus(int wait_status);

// The number of cores this process may run on (its affinity mask), >= 1.
int AvailableCores();

}  // namespace cellfit::server

#endif  // CELLFIT_SERVER_LOCAL_WORKERS_H_
