// The error OnlineTraceFitter accumulates during the simulation, computed
// from a whole trace, so that simulation backends that accumulate it can be
// tested against an independent computation.
//
// brian2modelfitting (fitter.py) adds to the model
//   run_regularly('total_error += (v - v_target)**2 * int(t >= t_start)',
//                 when='end')
// and divides at the end by int((duration - t_start) / dt), then averages
// over traces. In Brian2's schedule the 'end' slot runs after the state
// update, threshold and reset of the step that starts at t = i * dt, while t
// is still i * dt and v_target is the target's sample i. So step i adds
//   (value of the variable at the END of step i - target[i])²
// i.e. the variable one step later than StateMonitor records it at step i.
//
// cellfit divides by the number of steps that were accumulated (those with
// i * dt >= t_start). That is brian2modelfitting's divisor except where its
// floating-point truncation of (duration - t_start) / dt loses one.
#ifndef CELLFIT_WORKER_METRICS_ONLINE_MSE_H_
#define CELLFIT_WORKER_METRICS_ONLINE_MSE_H_

#include <span>

#include "absl/status/statusor.h"

namespace cellfit::metrics {

// `values_after_step[i]`: the output variable at the end of step i (after
// update, threshold and reset), i = 0 .. n-1; `target[i]`: the target's
// sample i; both in SI. Steps with i * dt >= t_start are accumulated.
// Fails on mismatched sizes, dt <= 0, t_start < 0, or when no step is
// accumulated.
absl::StatusOr<double> OnlineMse(std::span<const double> values_after_step,
                                 std::span<const double> target, double dt,
                                 double t_start);

// The same from a StateMonitor-style recording: `recorded[i]` is the value at
// the start of step i (t = i * dt), `final_value` the value after the last
// step. The value at the end of step i is recorded[i + 1] (the last one:
// final_value).
absl::StatusOr<double> OnlineMseFromRecording(std::span<const double> recorded,
                                              double final_value,
                                              std::span<const double> target,
                                              double dt, double t_start);

}  // namespace cellfit::metrics

#endif  // CELLFIT_WORKER_METRICS_ONLINE_MSE_H_
