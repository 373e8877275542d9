#include "worker/metrics/online_mse.h"

#include <cmath>
#include <cstddef>
#include <vector>

#include "absl/strings/str_cat.h"

namespace cellfit::metrics {

absl::StatusOr<double> OnlineMse(std::span<const double> values_after_step,
                                 std::span<const double> target, double dt,
                                 double t_start) {
  if (values_after_step.size() != target.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "online MSE: ", values_after_step.size(), " model values but ",
        target.size(), " target samples; expected one per step for both"));
  }
  if (!std::isfinite(dt) || dt <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("online MSE: dt must be positive, got ", dt));
  }
  if (!std::isfinite(t_start) || t_start < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("online MSE: t_start must be >= 0, got ", t_start));
  }
  double total = 0.0;
  std::size_t steps = 0;
  for (std::size_t i = 0; i < target.size(); ++i) {
    // Brian2's clock time of step i; the condition is int(t >= t_start).
    const double t = static_cast<double>(i) * dt;
    if (!(t >= t_start)) continue;
    const double diff = values_after_step[i] - target[i];
    total += diff * diff;
    ++steps;
  }
  if (steps == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "online MSE: t_start = ", t_start, " s is after the last step (",
        target.size(), " steps of ", dt, " s); nothing would be accumulated"));
  }
  return total / static_cast<double>(steps);
}

absl::StatusOr<double> OnlineMseFromRecording(std::span<const double> recorded,
                                              double final_value,
                                              std::span<const double> target,
                                              double dt, double t_start) {
  if (recorded.empty()) {
    return absl::InvalidArgumentError("online MSE: empty recording");
  }
  std::vector<double> after_step(recorded.begin() + 1, recorded.end());
  after_step.push_back(final_value);
  return OnlineMse(after_step, target, dt, t_start);
}

}  // namespace cellfit::metrics
