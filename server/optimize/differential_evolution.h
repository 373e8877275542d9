// Differential evolution, cellfit's default optimizer.
//
// brian2modelfitting's default is Nevergrad's DE, and this follows its
// defaults: a population of max(30, n_samples) members started uniformly at
// random in the box, the current-to-best/1 donor
//     donor = x + F1 (a - b) + F2 (best - x)
// with F1 = F2 = 0.8, binomial crossover with CR = 0.5 (one coordinate always
// from the donor), and greedy one-to-one replacement (a child replaces its
// parent when its error is not worse).
//
// As in Nevergrad, the population is worked through lineage by lineage: round
// after round, the next n_samples members (cyclically) each get one child.
// With popsize == n_samples a round is exactly one generation; with a larger
// population the first rounds finish the random initialisation and later ones
// overlap generations. Unlike Nevergrad, a and b are distinct members other
// than x (classic DE), and children leaving the box are reflected back into it.
//
// Options: "F1" (0..2, 0.8), "F2" (0..2, 0.8), "F" (sets F1 and F2), "CR"
// (0..1, 0.5), "popsize" (integer >= max(4, n_samples), max(30, n_samples)).
#ifndef CELLFIT_SERVER_OPTIMIZE_DIFFERENTIAL_EVOLUTION_H_
#define CELLFIT_SERVER_OPTIMIZE_DIFFERENTIAL_EVOLUTION_H_

#include <memory>

#include "Eigen/Core"
#include "absl/status/statusor.h"
#include "server/optimize/optimizer.h"
#include "server/optimize/optimizer_config.h"
#include "server/optimize/random.h"

namespace cellfit::optimize {

struct DifferentialEvolutionOptions {
  double f1 = 0.8;  // weight of the random difference a - b
  double f2 = 0.8;  // weight of the pull towards the best member
  double cr = 0.5;  // probability that a coordinate comes from the donor
  int popsize = 30;
};

absl::StatusOr<DifferentialEvolutionOptions> ReadDifferentialEvolutionOptions(
    const std::map<std::string, double>& options, int n_samples);

class DifferentialEvolution : public Optimizer {
 public:
  static absl::StatusOr<std::unique_ptr<Optimizer>> Create(
      const OptimizerConfig& config, const ParameterSpace& space,
      int n_samples);

  const DifferentialEvolutionOptions& options() const { return options_; }

 private:
  DifferentialEvolution(const OptimizerConfig& config,
                        const ParameterSpace& space, int n_samples,
                        const DifferentialEvolutionOptions& options);

  absl::StatusOr<Eigen::MatrixXd> Propose() override;
  absl::Status Update(const Eigen::MatrixXd& candidates,
                      const Eigen::VectorXd& errors) override;
  void SaveAlgorithm(StateWriter& writer) const override;
  absl::Status RestoreAlgorithm(StateReader& reader) override;

  // A child of member `parent`, in the unit box.
  Eigen::VectorXd MakeChild(int parent, int best);
  // A uniformly random told member other than the two excluded ones.
  int PickMember(int excluded_a, int excluded_b);

  DifferentialEvolutionOptions options_;
  Random rng_;
  Eigen::MatrixXd population_;  // popsize x d, unit box; row i is lineage i
  Eigen::VectorXd fitness_;     // error of each member
  int initialized_ = 0;         // members 0..initialized_-1 have been told
  int cursor_ = 0;              // lineage of the first candidate of a round
};

}  // namespace cellfit::optimize

#endif  // CELLFIT_SERVER_OPTIMIZE_DIFFERENTIAL_EVOLUTION_H_
