// The ask/tell interface every cellfit optimizer implements.
//
// One round of a fit is one Ask (n_samples candidate parameter sets, rows of
// physical SI values, always within the bounds), the evaluation of every
// candidate by the workers, and one Tell with their errors. The optimizer
// keeps the best point seen, and its whole state serialises to bytes after
// any call, so that a restored optimizer continues bit for bit as the
// original would have: the server checkpoints it after every round.
//
// Algorithms derive from Optimizer and work in the unit box [0, 1]^d (see
// parameter_space.h). Ask and Tell are not virtual: this base class enforces
// what every method must guarantee and owns what they share (the mapping to
// physical values and the bounds check, the check that a Tell answers the
// last Ask, the treatment of NaN and infinite errors, the best point, the
// checkpoint envelope), and calls the algorithm's Propose and Update.
//
// An Optimizer is not thread-safe; calls must not overlap.
#ifndef CELLFIT_SERVER_OPTIMIZE_OPTIMIZER_H_
#define CELLFIT_SERVER_OPTIMIZE_OPTIMIZER_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "Eigen/Core"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/optimize/parameter_space.h"
#include "server/optimize/state_codec.h"

namespace cellfit::optimize {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // The candidates of the next round: n_samples() x dimension() physical
  // values, every one within its bounds. Until the round is told, asking
  // again returns the same candidates (so a retried round is harmless).
  absl::StatusOr<Eigen::MatrixXd> Ask();

  // The errors of the candidates of the last Ask, in the same row order.
  // `candidates` must equal what Ask returned, value for value: a mismatch,
  // a wrong shape or a Tell without an Ask is an error and changes nothing.
  // NaN and infinite errors (failed simulations) count as the worst possible:
  // they become +inf, which population methods rank last, and which NLopt
  // runs see as a finite stand-in (nlopt_multistart.h); they never become
  // the best point.
  absl::Status Tell(const Eigen::MatrixXd& candidates,
                    const Eigen::VectorXd& errors);

  // The complete state, restorable with RestoreState (or RestoreOptimizer)
  // into an optimizer made from the same config, space and n_samples.
  std::string SaveState() const;
  // Replaces this optimizer's state by a saved one. Errors if the bytes are
  // corrupt (DATA_LOSS) or were saved by a differently configured optimizer
  // (INVALID_ARGUMENT); on error this optimizer is left as it was.
  absl::Status RestoreState(std::string_view state);

  // Canonical method name: "DE", "CMAES", "PSO", "LN_BOBYQA", ...
  const std::string& method() const { return method_; }
  const ParameterSpace& space() const { return space_; }
  int n_samples() const { return n_samples_; }
  int dimension() const { return space_.dimension(); }
  uint64_t seed() const { return seed_; }

  // The lowest finite error told so far and its candidate (physical); before
  // that, has_best() is false, best_error() is +inf and best_point() empty.
  bool has_best() const { return best_point_.size() > 0; }
  const Eigen::VectorXd& best_point() const { return best_point_; }
  double best_error() const { return best_error_; }

  int64_t rounds_told() const { return rounds_told_; }
  bool awaiting_tell() const { return awaiting_tell_; }

 protected:
  Optimizer(std::string method, ParameterSpace space, int n_samples,
            uint64_t seed, std::map<std::string, double> options);

  // The next round's candidates in the unit box, n_samples() x dimension(),
  // every entry finite and in [0, 1].
  virtual absl::StatusOr<Eigen::MatrixXd> Propose() = 0;
  // Learns from the errors (each finite or +inf) of the candidates Propose
  // returned last.
  virtual absl::Status Update(const Eigen::MatrixXd& candidates,
                              const Eigen::VectorXd& errors) = 0;
  virtual void SaveAlgorithm(StateWriter& writer) const = 0;
  // Reads what SaveAlgorithm wrote (the reader holds exactly those bytes).
  // Must read and check everything, including reader.ExpectEnd(), before it
  // changes any member: on error the optimizer stays as it was.
  virtual absl::Status RestoreAlgorithm(StateReader& reader) = 0;

 private:
  void SaveEnvelope(StateWriter& writer) const;

  // Configuration, fixed at construction.
  std::string method_;
  ParameterSpace space_;
  int n_samples_;
  uint64_t seed_;
  std::map<std::string, double> options_;

  // Progress shared by all algorithms.
  int64_t rounds_told_ = 0;
  bool awaiting_tell_ = false;
  Eigen::MatrixXd outstanding_unit_;      // the last Ask, unit box
  Eigen::MatrixXd outstanding_physical_;  // the last Ask, as returned
  Eigen::VectorXd best_point_;
  double best_error_;
};

}  // namespace cellfit::optimize

#endif  // CELLFIT_SERVER_OPTIMIZE_OPTIMIZER_H_
