#include "model/sensitivity.h"

#include "absl/strings/str_cat.h"
#include "model/methods.h"

namespace cellfit::model {

absl::Status AddSensitivities(Model& model) {
  if (!model.noises.empty()) {
    return absl::FailedPreconditionError(
        "sensitivities of a stochastic model are not defined (calc_gradient "
        "needs deterministic equations)");
  }
  const std::vector<DifferentialEquation> original = model.equations;
  const SensitivitySystem system = BuildSensitivitySystem(model);
  for (size_t p = 0; p < system.sensitivity.size(); ++p) {
    const int parameter = model.parameters[p];
    for (size_t x = 0; x < original.size(); ++x) {
      const int symbol = system.sensitivity[p][x];
      model.symbols[symbol].index = static_cast<int>(model.states.size());
      model.states.push_back(symbol);
      DifferentialEquation equation;
      equation.state = symbol;
      equation.rhs = system.rhs[p][x];
      model.equations.push_back(equation);
      // S starts at d(initial value)/dp: nonzero when param_init uses p.
      std::vector<std::pair<int, ExprPtr>> starts;
      for (const auto& [variable, value] : model.initial_values) {
        if (variable != original[x].state) continue;
        ExprPtr derivative = Differentiate(model.Inline(value), parameter);
        if (!IsConst(derivative, 0)) starts.push_back({symbol, derivative});
      }
      model.initial_values.insert(model.initial_values.end(), starts.begin(),
                                  starts.end());
    }
  }
  // The extended system must suit the method (exponential Euler: each S is
  // linear in itself, as it is whenever the model suits it).
  Diagnostics diagnostics;
  const std::string method = model.method;
  SelectIntegrationMethod(model, method, diagnostics);
  if (!diagnostics.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the sensitivity equations cannot be integrated with '",
                     method, "': ", diagnostics.items()[0].message));
  }
  return absl::OkStatus();
}

}  // namespace cellfit::model
