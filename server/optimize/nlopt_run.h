// One lane of the NLopt multi-start adapter: an NLopt optimisation running on
// its own thread, turned inside out into ask/tell.
//
// NLopt drives the objective through a callback, while a fit proposes a batch
// of candidates and learns their errors a round later. So each run lives on a
// thread that is parked inside the objective callback until its value is
// known. Control passes strictly back and forth between the owner and the run
// thread (a baton, one atomic waited on with C++20 atomic wait), so at most one
// of them runs at a time and every member is touched by one side only while it
// holds the baton.
//
// The run is deterministic given its start (start point, search box, NLopt
// seed) and the sequence of errors it is told; NLopt's own state is opaque,
// so a checkpoint keeps just those and a restored run replays the recorded
// errors through a fresh NLopt from the same start, arriving at exactly the
// same next point. NLopt's random generator (used by CRS2, ISRES, ESCH and
// the randomised DIRECT) is thread-local, so each run owns its stream;
// optimize_nlopt_test checks that property of the installed NLopt. No
// time-based stopping criterion is ever set, as it would break the replay.
//
// When NLopt stops (converged, or its per-run evaluation budget spent), the
// run restarts from the start its `next_start` callback gives.
#ifndef CELLFIT_SERVER_OPTIMIZE_NLOPT_RUN_H_
#define CELLFIT_SERVER_OPTIMIZE_NLOPT_RUN_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "Eigen/Core"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cellfit::optimize {

// NLopt settings shared by every run of an adapter; 0 leaves NLopt's default.
struct NloptSettings {
  int algorithm = 0;  // nlopt_algorithm
  int dimension = 0;
  double xtol_abs = 0.0;
  double xtol_rel = 0.0;
  double ftol_abs = 0.0;
  double ftol_rel = 0.0;
  int64_t maxeval = 0;
  int population = 0;
  double initial_step = 0.0;
};

// Where one restart of a run begins. All in the unit box.
struct RunStart {
  int64_t restart = 0;
  uint64_t seed = 0;  // passed to nlopt_srand
  Eigen::VectorXd x0;
  Eigen::VectorXd lower;  // the box this restart searches
  Eigen::VectorXd upper;
};

class NloptRun {
 public:
  // Starts (lazily, at the first Next) with `start`, first replaying
  // `history`, the errors already told in that restart; `last_point` is the
  // point of the last of them (empty if none), checked during the replay.
  // `next_start(k)` gives the start of restart k; it is called on the run's
  // thread and must be a pure function.
  NloptRun(const NloptSettings& settings, int index,
           std::function<RunStart(int64_t)> next_start, RunStart start,
           std::vector<double> history = {},
           Eigen::VectorXd last_point = Eigen::VectorXd());
  ~NloptRun();
  NloptRun(const NloptRun&) = delete;
  NloptRun& operator=(const NloptRun&) = delete;

  // The next point this run wants evaluated (unit box), advancing NLopt as
  // needed; the same point until Answer. Errors if NLopt fails to start or
  // the replay of a restored run diverges; the run is then dead.
  absl::StatusOr<Eigen::VectorXd> Next();
  // The error of the point Next returned (finite or +inf).
  void Answer(double error);

  // For checkpoints; valid between calls.
  const RunStart& start() const { return start_; }
  const std::vector<double>& history() const { return history_; }
  const Eigen::VectorXd& last_point() const { return last_point_; }

 private:
  enum class Turn { kOwner, kRun };

  static double Objective(unsigned n, const double* x, double* gradient,
                          void* data);
  double Evaluate(const double* x);
  void Main();
  // Run-thread side: one NLopt optimisation from start_, then the switch to
  // the next restart. Returns true when the owner is shutting the run down;
  // sets failure_ when the run cannot go on.
  bool OptimizeOnce();
  // Passes the baton to the owner and waits for it to come back; true when
  // it came back because the run is being destroyed.
  bool YieldToOwner();

  const NloptSettings settings_;
  const int index_;
  const std::function<RunStart(int64_t)> next_start_;

  // Passes the baton to `to` and waits until it comes back to `self`.
  void PassBaton(Turn to, Turn self);

  std::atomic<Turn> turn_{Turn::kOwner};
  bool shutdown_ = false;  // set by the owner before its last pass
  std::thread thread_;

  // Owned by whoever holds the baton.
  RunStart start_;
  std::vector<double> history_;  // errors told in the current restart
  Eigen::VectorXd last_point_;   // the point of history_.back()
  Eigen::VectorXd pending_;      // valid if has_pending_
  bool has_pending_ = false;
  size_t evaluations_ = 0;  // objective calls in the current restart
  absl::Status failure_;
  void* opt_ = nullptr;  // the nlopt_opt of the current restart
};

}  // namespace cellfit::optimize

#endif  // CELLFIT_SERVER_OPTIMIZE_NLOPT_RUN_H_
