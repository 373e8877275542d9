// Wire messages built from the server's records: parameter tables and
// columns with units, fitter summaries, round messages.
#ifndef CELLFIT_SERVER_FITTING_MESSAGES_H_
#define CELLFIT_SERVER_FITTING_MESSAGES_H_

#include <string>
#include <vector>

#include "cellfit/v1/fitting.pb.h"
#include "model/dimension.h"
#include "storage/records.h"

namespace cellfit::fitting {

v1::Column MakeColumn(const std::string& name,
                      const model::Dimension& dimension,
                      std::vector<double> values);

// rows[row][parameter] as a table with one column per parameter.
v1::ParameterTable MakeParameterTable(
    const std::vector<std::string>& names,
    const std::vector<model::Dimension>& dimensions,
    const std::vector<std::vector<double>>& rows);

v1::FitterKind ToWireKind(storage::FitterKind kind);
storage::FitterKind ToStorageKind(v1::FitterKind kind);
v1::FitterState ToWireState(storage::FitterState state);

// What a round needs to become a FitRound.
struct RoundView {
  std::string fitter_id;
  int64_t run_index = 0;
  int64_t round = 0;
  int64_t iteration = 0;
  double seconds = 0;
  std::vector<std::vector<double>> params;      // [sample][parameter]
  std::vector<double> errors;                   // [sample]
  std::vector<std::vector<double>> objectives;  // [output][sample]
  std::vector<double> best_params;
  double best_error = 0;
};

struct RunUnits {
  std::vector<std::string> parameters;
  std::vector<model::Dimension> parameter_dimensions;
  std::vector<std::string> outputs;
  std::vector<model::Dimension> output_dimensions;
  model::Dimension error_dimension;
};

v1::FitRound MakeFitRound(const RoundView& view, const RunUnits& units);

// A recorded round (with its evaluations) as a RoundView.
RoundView ViewOfRecord(const std::string& fitter_id, int64_t run_index,
                       const storage::RoundRecord& record, size_t n_outputs);

}  // namespace cellfit::fitting

#endif  // CELLFIT_SERVER_FITTING_MESSAGES_H_
