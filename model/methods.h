// Integration methods: which ones can integrate a model, Brian2's automatic
// choice, and the update each method makes over one time step.
#ifndef CELLFIT_MODEL_METHODS_H_
#define CELLFIT_MODEL_METHODS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "model/diagnostics.h"
#include "model/model.h"

namespace cellfit::model {

// The names cellfit accepts (lower case, as Brian2 registers them).
const std::vector<std::string>& IntegrationMethodNames();

// Sets model.method: the requested method after checking it can integrate the
// model, or Brian2's default choice ('exact', then 'euler', then 'heun') when
// `requested` is empty. Reports why a requested method cannot be used.
void SelectIntegrationMethod(Model& model, const std::string& requested,
                             Diagnostics& diagnostics);

// One time step of the model's equations with model.method.
struct StateUpdate {
  // Temporaries evaluated first, in order (the noise increments
  // dW = sqrt(dt)*randn(), one per noise symbol). Each is a kTemporary symbol.
  std::vector<std::pair<int, ExprPtr>> definitions;
  // The value of each state variable after the step, in model.equations
  // order, as expressions of the values before it (inputs and t at the step's
  // start; shifted input symbols where a stage looks at t + dt).
  std::vector<ExprPtr> new_values;
};

// Builds the update; may add temporaries and shifted-input symbols to `model`.
absl::StatusOr<StateUpdate> BuildStateUpdate(Model& model);

// The sensitivity system of refine (brian2modelfitting's calc_gradient): for
// every state x and parameter p, dS_x_p/dt = sum_y df_x/dy * S_y_p + df_x/dp,
// as expressions over states, parameters and the sensitivities.
struct SensitivitySystem {
  // sensitivity[p][x] = symbol of S_x_p (kState symbols added to the model).
  std::vector<std::vector<int>> sensitivity;
  // rhs[p][x] = d S_x_p / dt.
  std::vector<std::vector<ExprPtr>> rhs;
};
SensitivitySystem BuildSensitivitySystem(Model& model);

}  // namespace cellfit::model

#endif  // CELLFIT_MODEL_METHODS_H_
