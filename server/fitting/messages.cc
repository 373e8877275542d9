#include "server/fitting/messages.h"

#include <cmath>
#include <limits>

#include "worker/jobs/spec_conversion.h"

namespace cellfit::fitting {

v1::Column MakeColumn(const std::string& name,
                      const model::Dimension& dimension,
                      std::vector<double> values) {
  v1::Column column;
  column.set_name(name);
  *column.mutable_dimension() = jobs::FromDimension(dimension);
  column.set_unit(dimension.DisplayUnit());
  column.mutable_values()->Add(values.begin(), values.end());
  return column;
}

v1::ParameterTable MakeParameterTable(
    const std::vector<std::string>& names,
    const std::vector<model::Dimension>& dimensions,
    const std::vector<std::vector<double>>& rows) {
  v1::ParameterTable table;
  for (size_t p = 0; p < names.size(); ++p) {
    std::vector<double> values;
    for (const auto& row : rows)
      values.push_back(p < row.size() ? row[p] : NAN);
    *table.add_columns() =
        MakeColumn(names[p], dimensions[p], std::move(values));
  }
  return table;
}

v1::FitterKind ToWireKind(storage::FitterKind kind) {
  switch (kind) {
    case storage::FitterKind::kTrace:
      return v1::FITTER_KIND_TRACE;
    case storage::FitterKind::kSpike:
      return v1::FITTER_KIND_SPIKE;
    case storage::FitterKind::kOnlineTrace:
      return v1::FITTER_KIND_ONLINE_TRACE;
  }
  return v1::FITTER_KIND_UNSPECIFIED;
}

storage::FitterKind ToStorageKind(v1::FitterKind kind) {
  switch (kind) {
    case v1::FITTER_KIND_SPIKE:
      return storage::FitterKind::kSpike;
    case v1::FITTER_KIND_ONLINE_TRACE:
      return storage::FitterKind::kOnlineTrace;
    default:
      return storage::FitterKind::kTrace;
  }
}

v1::FitterState ToWireState(storage::FitterState state) {
  switch (state) {
    case storage::FitterState::kIdle:
      return v1::FITTER_STATE_IDLE;
    case storage::FitterState::kRunning:
      return v1::FITTER_STATE_RUNNING;
    case storage::FitterState::kCancelled:
      return v1::FITTER_STATE_CANCELLED;
    case storage::FitterState::kFailed:
      return v1::FITTER_STATE_FAILED;
  }
  return v1::FITTER_STATE_UNSPECIFIED;
}

v1::FitRound MakeFitRound(const RoundView& view, const RunUnits& units) {
  v1::FitRound round;
  round.set_fitter_id(view.fitter_id);
  round.set_run(view.run_index);
  round.set_round(view.round);
  round.set_iteration(view.iteration);
  round.set_seconds(view.seconds);
  *round.mutable_params() = MakeParameterTable(
      units.parameters, units.parameter_dimensions, view.params);
  round.mutable_errors()->Add(view.errors.begin(), view.errors.end());
  *round.mutable_error_dimension() = jobs::FromDimension(units.error_dimension);
  for (size_t o = 0; o < view.objectives.size() && o < units.outputs.size();
       ++o) {
    v1::ObjectiveErrors* objective = round.add_objective_errors();
    objective->set_output(units.outputs[o]);
    *objective->mutable_dimension() =
        jobs::FromDimension(units.output_dimensions[o]);
    objective->mutable_errors()->Add(view.objectives[o].begin(),
                                     view.objectives[o].end());
  }
  if (!view.best_params.empty()) {
    *round.mutable_best_params() = MakeParameterTable(
        units.parameters, units.parameter_dimensions, {view.best_params});
  }
  round.set_best_error(view.best_error);
  return round;
}

RoundView ViewOfRecord(const std::string& fitter_id, int64_t run_index,
                       const storage::RoundRecord& record, size_t n_outputs) {
  RoundView view;
  view.fitter_id = fitter_id;
  view.run_index = run_index;
  view.round = record.round;
  view.iteration = record.iteration;
  view.seconds = record.seconds;
  view.objectives.assign(n_outputs, {});
  for (const storage::Evaluation& evaluation : record.evaluations) {
    view.params.push_back(evaluation.params);
    view.errors.push_back(evaluation.error);
    for (size_t o = 0; o < n_outputs; ++o) {
      view.objectives[o].push_back(
          o < evaluation.objectives.size()
              ? evaluation.objectives[o]
              : std::numeric_limits<double>::quiet_NaN());
    }
  }
  view.best_params = record.best_params;
  view.best_error =
      record.best_error.value_or(std::numeric_limits<double>::infinity());
  return view;
}

}  // namespace cellfit::fitting
