// NLopt's derivative-free algorithms as a cellfit optimizer: n_samples
// independent NLopt runs, each contributing one candidate per round.
//
// Starts: run i first starts from row i of a seeded Latin hypercube, so the
// runs cover the box; when a run stops (its tolerances are met or its
// per-run evaluation budget is spent) it restarts from a fresh uniformly
// random point, with a fresh NLopt seed. The DIRECT family ignores starting
// points and is deterministic, so n identical runs would repeat one another:
// instead run i searches cell i of an equal-volume partition of the box, and
// restarts search a randomly placed sub-box of that size (at most half the
// box per side).
//
// Every run searches the unit box, so tolerances and steps are fractions of
// each parameter's range. Options (0 keeps NLopt's own default):
//   "xtol_abs"     per-coordinate step tolerance, default 1e-6
//   "xtol_rel"     relative step tolerance, default 0 (off)
//   "ftol_abs"     absolute error-change tolerance, default 0 (off)
//   "ftol_rel"     relative error-change tolerance, default 1e-8
//   "maxeval"      evaluations per run before it restarts, default
//                  1000 (d + 1); it also bounds the checkpoint size, which
//                  keeps every error of each run's current restart
//   "population"   population of GN_CRS2_LM, GN_ISRES and GN_ESCH
//   "initial_step" first step of the local (LN_) methods
// A checkpoint holds at most n_samples x maxeval doubles of run histories
// (20 samples of a 4-parameter fit: at most 800 kB).
//
// Failed evaluations: NLopt never sees NaN or infinity, which break its
// model-based methods. A non-finite error reaches NLopt as worst + |worst|
// (twice the worst, for the usual positive errors), where worst is the
// largest finite error any run has been told so far: the usual
// extreme-barrier stand-in, steering the search away without infinities.
// While no finite error exists at all, there is no scale to stand in with and
// the restart ends instead (the run starts afresh elsewhere).
//
// See nlopt_run.h for how NLopt's callbacks become ask/tell and how the
// checkpoint replays.
#ifndef CELLFIT_SERVER_OPTIMIZE_NLOPT_MULTISTART_H_
#define CELLFIT_SERVER_OPTIMIZE_NLOPT_MULTISTART_H_

#include <cmath>
#include <memory>
#include <vector>

#include "Eigen/Core"
#include "absl/status/statusor.h"
#include "server/optimize/nlopt_run.h"
#include "server/optimize/optimizer.h"
#include "server/optimize/optimizer_config.h"
#include "server/optimize/space_filling.h"

namespace cellfit::optimize {

absl::StatusOr<NloptSettings> ReadNloptSettings(
    const MethodInfo& method, const std::map<std::string, double>& options,
    int dimension);

class NloptMultiStart : public Optimizer {
 public:
  static absl::StatusOr<std::unique_ptr<Optimizer>> Create(
      const OptimizerConfig& config, const MethodInfo& method,
      const ParameterSpace& space, int n_samples);

  const NloptSettings& settings() const { return settings_; }
  // Where run `run` begins its restart `restart`; a pure function of the
  // seed, the problem size and the two indices.
  RunStart MakeStart(int run, int64_t restart) const;

 private:
  NloptMultiStart(const OptimizerConfig& config, const MethodInfo& method,
                  const ParameterSpace& space, int n_samples,
                  const NloptSettings& settings);

  absl::StatusOr<Eigen::MatrixXd> Propose() override;
  absl::Status Update(const Eigen::MatrixXd& candidates,
                      const Eigen::VectorXd& errors) override;
  void SaveAlgorithm(StateWriter& writer) const override;
  absl::Status RestoreAlgorithm(StateReader& reader) override;

  std::unique_ptr<NloptRun> MakeRun(int run, RunStart start,
                                    std::vector<double> history,
                                    Eigen::VectorXd last_point) const;

  NloptSettings settings_;
  bool partitioned_ = false;      // the DIRECT family: one cell per run
  Eigen::MatrixXd first_starts_;  // Latin hypercube, n_samples x d
  std::vector<Box> cells_;        // for partitioned algorithms
  double restart_side_ = 1.0;     // side of a partitioned restart's box
  std::vector<std::unique_ptr<NloptRun>> runs_;  // empty until first Ask
  double worst_finite_error_ = -HUGE_VAL;  // over every run, for stand-ins
};

}  // namespace cellfit::optimize

#endif  // CELLFIT_SERVER_OPTIMIZE_NLOPT_MULTISTART_H_
