#include "server/fitting/round_scoring.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "worker/metrics/pairwise_sum.h"

namespace cellfit::fitting {

absl::StatusOr<RoundScores> ScoreRound(
    const FitSettings& settings, int n_samples, int n_traces,
    const std::vector<BatchPlan>& plan,
    const std::vector<v1::BatchResult>& results) {
  const size_t n_outputs = settings.outputs.size();
  // values[output][sample][trace]
  std::vector<std::vector<std::vector<double>>> values(
      n_outputs, std::vector<std::vector<double>>(
                     n_samples, std::vector<double>(n_traces)));
  std::vector<std::vector<double>> penalties(
      n_samples, std::vector<double>(n_traces, 0.0));
  const bool has_penalty = !settings.penalty.empty();
  for (size_t b = 0; b < plan.size(); ++b) {
    const v1::BatchResult& result = results[b];
    const size_t lanes = static_cast<size_t>(plan[b].n_samples) * n_traces;
    for (size_t o = 0; o < n_outputs; ++o) {
      const v1::NeuronErrors* found = nullptr;
      for (const v1::NeuronErrors& errors : result.output_errors()) {
        if (errors.output() == settings.outputs[o].output) found = &errors;
      }
      if (found == nullptr ||
          static_cast<size_t>(found->errors_size()) != lanes) {
        return absl::InternalError(absl::StrCat(
            "a worker's result for batch ", result.batch_id(),
            " lacks the values of '", settings.outputs[o].output, "'"));
      }
      for (size_t l = 0; l < lanes; ++l) {
        values[o][plan[b].first_sample + l / n_traces][l % n_traces] =
            found->errors(l);
      }
    }
    if (has_penalty) {
      if (static_cast<size_t>(result.penalties_size()) != lanes) {
        return absl::InternalError(absl::StrCat("a worker's result for batch ",
                                                result.batch_id(),
                                                " lacks the penalty"));
      }
      for (size_t l = 0; l < lanes; ++l) {
        penalties[plan[b].first_sample + l / n_traces][l % n_traces] =
            result.penalties(l);
      }
    }
  }
  RoundScores scores;
  scores.total.assign(n_samples, 0.0);
  scores.objectives.assign(n_outputs, std::vector<double>(n_samples));
  for (size_t o = 0; o < n_outputs; ++o) {
    const OutputScoring& scoring = settings.outputs[o];
    for (int s = 0; s < n_samples; ++s) {
      double error;
      const auto& per_trace = values[o][s];
      if (std::any_of(per_trace.begin(), per_trace.end(),
                      [](double v) { return std::isnan(v); })) {
        error = std::numeric_limits<double>::quiet_NaN();
      } else {
        auto combined = metrics::CombineTraceValues(scoring.kind, per_trace);
        if (!combined.ok()) return combined.status();
        error = metrics::NormalizeError(scoring.kind, scoring.normalization,
                                        *combined);
      }
      scores.objectives[o][s] = error;
      scores.total[s] += error;
    }
  }
  if (has_penalty) {
    for (int s = 0; s < n_samples; ++s) {
      const std::vector<double>& row = penalties[s];
      const double sum =
          metrics::PairwiseSum(0, row.size(), [&](size_t k) { return row[k]; });
      scores.total[s] += sum / n_traces;
    }
  }
  return scores;
}

}  // namespace cellfit::fitting
