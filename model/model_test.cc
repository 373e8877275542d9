#include <iostream>

#include "gtest/gtest.h"
#include "model/checker.h"
#include "model/step_program.h"

namespace cellfit::model {
namespace {

TEST(Smoke, HH) {
  ModelSpec spec;
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
  spec.namespace_entries = {{"El", "-65*mV", {}}, {"EK", "-90*mV", {}},
                            {"ENa", "50*mV", {}}, {"VT", "-63*mV", {}}};
  spec.inputs = {{"I", Dimension::Of(0, 0, 0, 1)}};
  spec.outputs = {"v"};
  spec.param_init = {{"v", "VT"}};
  CheckResult result = CheckModel(spec);
  for (const auto& d : result.diagnostics.items()) std::cerr << d.ToString() << "\n";
  ASSERT_TRUE(result.model.has_value());
  LoweringOptions options;
  options.record = {"v"};
  auto program = LowerModel(*result.model, options);
  ASSERT_TRUE(program.ok()) << program.status();
  std::cerr << program->ToString();
  std::cerr << "registers: " << program->num_registers() << "\n";
}

}  // namespace
}  // namespace cellfit::model
