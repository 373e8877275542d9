// From the workers' per-neuron values to each candidate's errors, as
// brian2modelfitting computes them: per output, the sample's per-trace values
// combined (mean over traces for MSE and GammaFactor, sum for features) and
// normalized; the total is the sum over outputs plus the mean penalty.
#ifndef CELLFIT_SERVER_FITTING_ROUND_SCORING_H_
#define CELLFIT_SERVER_FITTING_ROUND_SCORING_H_

#include <vector>

#include "absl/status/statusor.h"
#include "cellfit/v1/worker.pb.h"
#include "server/fitting/batch_plan.h"
#include "server/fitting/fit_settings.h"

namespace cellfit::fitting {

struct RoundScores {
  std::vector<double> total;                    // [sample]
  std::vector<std::vector<double>> objectives;  // [output][sample]
};

absl::StatusOr<RoundScores> ScoreRound(
    const FitSettings& settings, int n_samples, int n_traces,
    const std::vector<BatchPlan>& plan,
    const std::vector<v1::BatchResult>& results);

}  // namespace cellfit::fitting

#endif  // CELLFIT_SERVER_FITTING_ROUND_SCORING_H_
