// Making an optimizer from a config, and restoring one from a checkpoint.
#ifndef CELLFIT_SERVER_OPTIMIZE_MAKE_OPTIMIZER_H_
#define CELLFIT_SERVER_OPTIMIZE_MAKE_OPTIMIZER_H_

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "server/optimize/optimizer.h"
#include "server/optimize/optimizer_config.h"
#include "server/optimize/parameter_space.h"

namespace cellfit::optimize {

// The largest n_samples accepted (the NLopt adapter reserves a fiber stack
// per sample).
inline constexpr int kMaxSamples = 100'000;

// A fresh optimizer for `space` proposing `n_samples` candidates per round.
// INVALID_ARGUMENT for an unknown method (the message lists the accepted
// ones), an unknown option (lists the method's options), an option out of
// range, or an n_samples the method cannot use.
absl::StatusOr<std::unique_ptr<Optimizer>> MakeOptimizer(
    const OptimizerConfig& config, const ParameterSpace& space, int n_samples);

// An optimizer in the state `state` (from Optimizer::SaveState), which must
// have been saved by an optimizer made with the same config, space and
// n_samples. It continues exactly as the saved one would have.
absl::StatusOr<std::unique_ptr<Optimizer>> RestoreOptimizer(
    const OptimizerConfig& config, const ParameterSpace& space, int n_samples,
    std::string_view state);

}  // namespace cellfit::optimize

#endif  // CELLFIT_SERVER_OPTIMIZE_MAKE_OPTIMIZER_H_
