// brian2modelfitting's sensitivity variables (TraceFitter.refine with
// calc_gradient): for every state x and fitted parameter p, a state S_x_p
// with dS_x_p/dt = sum_y df_x/dy * S_y_p + df_x/dp, started at the derivative
// of x's initial value with respect to p. Integrated with the model, S_v_p(t)
// is the derivative of the trace v(t) with respect to p.
#ifndef CELLFIT_MODEL_SENSITIVITY_H_
#define CELLFIT_MODEL_SENSITIVITY_H_

#include "absl/status/status.h"
#include "model/model.h"

namespace cellfit::model {

// Adds the sensitivity states to a checked model (in place). Stochastic
// models have none (an error); the model's integration method must also
// integrate the extended system (an error naming why not, otherwise).
absl::Status AddSensitivities(Model& model);

}  // namespace cellfit::model

#endif  // CELLFIT_MODEL_SENSITIVITY_H_
