// Particle swarm optimisation: a global-best swarm of n_samples particles
// (one round moves every particle once), with the constants of the Standard
// PSO (Clerc, SPSO 2006/2011): inertia 1 / (2 ln 2) ~ 0.721 and cognitive and
// social weights 0.5 + ln 2 ~ 1.193, random weights drawn per coordinate.
//
// Particles start uniformly at random with velocity (u - x) / 2 for another
// uniform point u, as SPSO does. Velocities are limited to "vmax" per round
// (a fraction of the box, default 0.5). A particle leaving the box stops on
// the bound and its velocity coordinate turns back at half speed (SPSO 2011's
// confinement), so the swarm can settle on optima lying on a bound.
//
// Options: "inertia" (0..1, 0.721), "cognitive" (0..4, 1.193), "social"
// (0..4, 1.193), "vmax" ((0..1], 0.5).
#ifndef CELLFIT_SERVER_OPTIMIZE_PSO_H_
#define CELLFIT_SERVER_OPTIMIZE_PSO_H_

#include <memory>

#include "Eigen/Core"
#include "absl/status/statusor.h"
#include "server/optimize/optimizer.h"
#include "server/optimize/optimizer_config.h"
#include "server/optimize/random.h"

namespace cellfit::optimize {

struct PsoOptions {
  double inertia = 0.0;
  double cognitive = 0.0;
  double social = 0.0;
  double vmax = 0.5;
};

absl::StatusOr<PsoOptions> ReadPsoOptions(
    const std::map<std::string, double>& options);

class Pso : public Optimizer {
 public:
  static absl::StatusOr<std::unique_ptr<Optimizer>> Create(
      const OptimizerConfig& config, const ParameterSpace& space,
      int n_samples);

 private:
  struct State {
    Random rng{0};
    bool started = false;      // whether the initial swarm has been proposed
    bool told = false;         // whether personal bests exist
    Eigen::MatrixXd position;  // n x d, unit box
    Eigen::MatrixXd velocity;  // n x d
    Eigen::MatrixXd personal_best;  // n x d
    Eigen::VectorXd personal_best_error;
  };

  Pso(const OptimizerConfig& config, const ParameterSpace& space, int n_samples,
      const PsoOptions& options);

  absl::StatusOr<Eigen::MatrixXd> Propose() override;
  absl::Status Update(const Eigen::MatrixXd& candidates,
                      const Eigen::VectorXd& errors) override;
  void SaveAlgorithm(StateWriter& writer) const override;
  absl::Status RestoreAlgorithm(StateReader& reader) override;

  PsoOptions options_;
  State state_;
};

}  // namespace cellfit::optimize

#endif  // CELLFIT_SERVER_OPTIMIZE_PSO_H_
