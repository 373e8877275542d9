#include "server/optimize/make_optimizer.h"

#include "absl/strings/str_cat.h"
#include "server/optimize/cmaes.h"
#include "server/optimize/differential_evolution.h"
#include "server/optimize/nlopt_multistart.h"
#include "server/optimize/pso.h"
#include "server/optimize/status_macros.h"

namespace cellfit::optimize {

absl::StatusOr<std::unique_ptr<Optimizer>> MakeOptimizer(
    const OptimizerConfig& config, const ParameterSpace& space, int n_samples) {
  OPTIMIZE_ASSIGN_OR_RETURN(MethodInfo method, ResolveMethod(config.method));
  if (n_samples < 1 || n_samples > kMaxSamples) {
    return absl::InvalidArgumentError(
        absl::StrCat("n_samples is ", n_samples, "; expected 1 to ",
                     kMaxSamples, " candidates per round"));
  }
  switch (method.family) {
    case MethodFamily::kDifferentialEvolution:
      return DifferentialEvolution::Create(config, space, n_samples);
    case MethodFamily::kCmaEs:
      return CmaEs::Create(config, space, n_samples);
    case MethodFamily::kPso:
      return Pso::Create(config, space, n_samples);
    case MethodFamily::kNlopt:
      return NloptMultiStart::Create(config, method, space, n_samples);
  }
  return absl::InternalError("unhandled optimizer family");
}

absl::StatusOr<std::unique_ptr<Optimizer>> RestoreOptimizer(
    const OptimizerConfig& config, const ParameterSpace& space, int n_samples,
    std::string_view state) {
  OPTIMIZE_ASSIGN_OR_RETURN(std::unique_ptr<Optimizer> optimizer,
                            MakeOptimizer(config, space, n_samples));
  OPTIMIZE_RETURN_IF_ERROR(optimizer->RestoreState(state));
  return optimizer;
}

}  // namespace cellfit::optimize
