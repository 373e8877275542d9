// The benchmark model: brian2modelfitting's HH example, set up exactly as
// ../shared/bench/brian2_hh_bench.py sets it up for Brian2 (same equations,
// method, dt, stimulus layout, parameter ranges, initial values, recording).
#ifndef CELLFIT_BENCH_HH_MODEL_H_
#define CELLFIT_BENCH_HH_MODEL_H_

#include <cstdint>
#include <random>
#include <vector>

#include "model/checker.h"
#include "worker/runtime/simulator.h"

namespace cellfit::bench {

inline model::ModelSpec HhModelSpec() {
  model::ModelSpec spec;
  spec.equations = R"(
dv/dt = (gl*(El-v) - g_na*(m*m*m)*h*(v-ENa) - g_kd*(n*n*n*n)*(v-EK) + I)/Cm : volt
dm/dt = 0.32*(mV**-1)*(13.*mV-v+VT)/
    (exp((13.*mV-v+VT)/(4.*mV))-1.)/ms*(1-m)-0.28*(mV**-1)*(v-VT-40.*mV)/
    (exp((v-VT-40.*mV)/(5.*mV))-1.)/ms*m : 1
dn/dt = 0.032*(mV**-1)*(15.*mV-v+VT)/
    (exp((15.*mV-v+VT)/(5.*mV))-1.)/ms*(1.-n)-.5*exp((10.*mV-v+VT)/(40.*mV))/ms*n : 1
dh/dt = 0.128*exp((17.*mV-v+VT)/(18.*mV))/ms*(1.-h)-4./(1+exp((40.*mV-v+VT)/(5.*mV)))/ms*h : 1
g_na : siemens (constant)
g_kd : siemens (constant)
gl   : siemens (constant)
Cm   : farad (constant)
)";
  spec.method = "exponential_euler";
  spec.namespace_entries = {{"area", "20000*umetre**2", {}},
                            {"El", "-65*mV", {}},
                            {"EK", "-90*mV", {}},
                            {"ENa", "50*mV", {}},
                            {"VT", "-63*mV", {}}};
  spec.inputs = {{"I", model::Dimension::Of(0, 0, 0, 1)}};
  spec.param_init = {{"v", "VT"}, {"h", "1"}};
  return spec;
}

// Five step currents of 0.5..2.5 nA from 1/5 to 4/5 of the run.
inline runtime::SimulationData HhStimulus(int n_steps) {
  runtime::SimulationData data;
  data.dt = 1e-5;
  data.n_steps = n_steps;
  runtime::TraceTable table;
  table.n_traces = 5;
  table.n_steps = n_steps;
  table.values.assign(5 * static_cast<size_t>(n_steps), 0.0);
  for (int trace = 0; trace < 5; ++trace) {
    for (int k = n_steps / 5; k < 4 * n_steps / 5; ++k) {
      table.values[static_cast<size_t>(trace) * n_steps + k] =
          (0.5 + 0.5 * trace) * 1e-9;
    }
  }
  data.inputs.push_back(std::move(table));
  return data;
}

// Parameters uniform in the example's bounds, in the model's order
// (g_na, g_kd, gl, Cm), one sample per neuron.
inline std::vector<double> HhParameters(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double area = 20000e-12;
  std::vector<double> params;
  for (int k = 0; k < n; ++k) {
    params.push_back(2e-6 + u(rng) * (2e-4 - 2e-6));
    params.push_back(6e-7 + u(rng) * (6e-5 - 6e-7));
    params.push_back(1e-9 + u(rng) * (1e-7 - 1e-9));
    params.push_back((0.1 + u(rng) * 1.9) * 1e-2 * area);
  }
  return params;
}

}  // namespace cellfit::bench

#endif  // CELLFIT_BENCH_HH_MODEL_H_
