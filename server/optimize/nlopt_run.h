// One lane of the NLopt multi-start adapter: an NLopt optimisation turned
// inside out into ask/tell.
//
// NLopt drives the objective through a callback and waits for the value,
// while a fit proposes a batch of candidates and learns their errors a round
// later. So each run lives in a Fiber (fiber.h) that pauses inside the
// objective callback until its value is known; Next() resumes it up to its
// next request. Everything runs on the caller's thread.
//
// The run is deterministic given its start (start point, search box, seed)
// and the sequence of errors it is told. NLopt's own state is opaque, so a
// checkpoint keeps just those, and a restored run replays the recorded errors
// through a fresh NLopt from the same start, arriving at exactly the same
// next point (the last recorded point is compared on the way as a check).
// NLopt's random generator (used by CRS2, ISRES, ESCH, PRAXIS and randomised
// DIRECT) is one per thread and all runs share the caller's, so the run
// reseeds it from (seed, evaluation index) before NLopt starts and whenever
// NLopt continues after an evaluation: its random stream then depends on
// nothing but its own history, whatever other runs or optimizers do on the
// thread in between. No time-based stopping criterion is ever set, as it
// would break the replay.
//
// When NLopt stops (converged, or its per-run evaluation budget spent), the
// run restarts from the start its `next_start` callback gives.
//
// NLopt must never see an infinite or NaN error (a failed simulation):
// model-based methods break on them (NEWUOA_BOUND loops forever in its
// subproblem). The owner answers with a finite stand-in instead, or with NaN
// meaning "end this restart" (see NloptMultiStart); the history records what
// NLopt was given, so a replay gives it the same.
#ifndef CELLFIT_SERVER_OPTIMIZE_NLOPT_RUN_H_
#define CELLFIT_SERVER_OPTIMIZE_NLOPT_RUN_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "Eigen/Core"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/optimize/fiber.h"

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
  uint64_t seed = 0;  // of NLopt's random generator, see above
  Eigen::VectorXd x0;
  Eigen::VectorXd lower;  // the box this restart searches
  Eigen::VectorXd upper;
};

class NloptRun {
 public:
  // Starts (lazily, at the first Next) with `start`, first replaying
  // `history`, the errors already told in that restart; `last_point` is the
  // point of the last of them (empty if none), checked during the replay.
  // `next_start(k)` gives the start of restart k; it must be a pure function.
  NloptRun(const NloptSettings& settings, int index,
           std::function<RunStart(int64_t)> next_start, RunStart start,
           std::vector<double> history = {},
           Eigen::VectorXd last_point = Eigen::VectorXd());
  // Unwinds a paused NLopt (force-stopped) so that it frees what it holds.
  ~NloptRun();
  NloptRun(const NloptRun&) = delete;
  NloptRun& operator=(const NloptRun&) = delete;

  // The next point this run wants evaluated (unit box), advancing NLopt as
  // needed; the same point until Answer. Errors if NLopt fails to start or
  // the replay of a restored run diverges; the run is then dead.
  absl::StatusOr<Eigen::VectorXd> Next();
  // The value NLopt gets for the point Next returned: finite, or NaN to end
  // the current restart (the next Next then starts the following one).
  void Answer(double value);

  // For checkpoints.
  const RunStart& start() const { return start_; }
  const std::vector<double>& history() const { return history_; }
  const Eigen::VectorXd& last_point() const { return last_point_; }

 private:
  static double Objective(unsigned n, const double* x, double* gradient,
                          void* data);
  double Evaluate(const double* x);
  // The fiber's body: optimise, restart, until shut down.
  void Main();
  // One NLopt optimisation from start_, then the switch to the next restart.
  // Returns true when the run is being shut down; sets failure_ when it
  // cannot go on.
  bool OptimizeOnce();
  // Seeds NLopt's generator for what follows evaluation `evaluation`.
  void Reseed(size_t evaluation) const;
  // Hands NLopt a recorded value, or Stop() for NaN.
  double Feed(double value);
  // Ends the current restart (force-stops NLopt); returns a value to give it.
  double Stop();

  const NloptSettings settings_;
  const int index_;
  const std::function<RunStart(int64_t)> next_start_;

  RunStart start_;
  std::vector<double> history_;  // values given in the current restart
  Eigen::VectorXd last_point_;   // the point of history_.back()
  Eigen::VectorXd pending_;      // valid if has_pending_
  bool has_pending_ = false;
  size_t evaluations_ = 0;  // objective values given in the current restart
  bool shutdown_ = false;
  bool stopping_ = false;  // this restart was force-stopped; NLopt winds down
  absl::Status failure_;
  void* opt_ = nullptr;  // the nlopt_opt of the current restart

  Fiber fiber_;  // last: destroyed first, after the destructor unwinds it
};

}  // namespace cellfit::optimize

#endif  // CELLFIT_SERVER_OPTIMIZE_NLOPT_RUN_H_
