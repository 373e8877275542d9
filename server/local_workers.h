// The worker processes a server starts on its own machine. They run as child
// processes in a process group of their own (a Ctrl-C on the terminal reaches
// only the server, which then stops them in order), get their token through
// the environment (never on a command line that `ps` shows), and die with the
// server even when it is SIGKILLed (PR_SET_PDEATHSIG). A worker that dies is
// logged and not restarted: a crash loop should be seen, not hidden.
#ifndef CELLFIT_SERVER_LOCAL_WORKERS_H_
#define CELLFIT_SERVER_LOCAL_WORKERS_H_

#include <sched.h>
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
  // Binds each worker to a core of its own when there is one worker per
  // core this process may use, two or more (see LocalWorkerCores).
  bool pin_to_cores = true;
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

// The core each of `count` local workers is bound to, in the order they are
// started: the cores of this process's affinity mask, one each, when the
// workers are exactly as many as those cores (one per core, as the server
// starts them by default) and at least two. Otherwise empty: no binding.
//
// Why bind: a fit round is two or more short batches that must all end
// before the next round starts. Left to themselves, the scheduler's wake-up
// placement often puts two just-woken workers on one core while the other
// core runs the server's threads, and one batch then waits for the other (HH
// rounds on two cores: 13% faster bound, 9 of 10 alternating pairs).
// Why only then: with cores to spare the scheduler has idle ones to choose
// from, while bound workers could not leave theirs; and several servers on
// one machine, each with fewer workers than cores, would all bind theirs to
// the first cores of the mask.
std::vector<int> LocalWorkerCores(int count);
// The same for a given mask.
std::vector<int> LocalWorkerCores(int count, const cpu_set_t& mask);

// The one core process `pid` may run on, or -1 if it may run on several (or
// cannot be asked).
int BoundCore(pid_t pid);

}  // namespace cellfit::server

#endif  // CELLFIT_SERVER_LOCAL_WORKERS_H_
