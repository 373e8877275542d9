#include "worker/jobs/hh_example_for_tests.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

namespace cellfit::jobs {

std::string SourceDirForTests() {
  const char* dir = std::getenv("CELLFIT_SOURCE_DIR");
  return dir ? dir : ".";
}

v1::TraceSet ReadTraceCsvForTests(const std::string& path,
                                  const std::string& unit) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header of step indices
  v1::TraceSet traces;
  int rows = 0;
  while (std::getline(in, line)) {
    std::stringstream row(line);
    std::string cell;
    std::getline(row, cell, ',');  // the trace's index
    int n = 0;
    while (std::getline(row, cell, ',')) {
      traces.add_values(std::stod(cell));
      ++n;
    }
    traces.set_n_steps(n);
    ++rows;
  }
  traces.set_n_traces(rows);
  traces.mutable_unit()->set_text(unit);
  return traces;
}

v1::FitterSpec HhExampleSpec(const std::string& v_init) {
  v1::FitterSpec spec;
  spec.set_kind(v1::FITTER_KIND_TRACE);
  spec.set_model(R"(
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
)");
  spec.set_method("exponential_euler");
  spec.mutable_dt()->set_text("0.01*ms");
  spec.set_n_samples(20);
  const std::vector<std::pair<std::string, std::string>> constants = {
      {"area", "20000*umetre**2"},
      {"El", "-65*mV"},
      {"EK", "-90*mV"},
      {"ENa", "50*mV"},
      {"VT", "-63*mV"}};
  for (const auto& [name, value] : constants) {
    v1::NamedQuantity* q = spec.add_namespace_();
    q->set_name(name);
    q->mutable_quantity()->set_text(value);
  }
  (*spec.mutable_param_init())["v"] = v_init;
  const std::string dir = SourceDirForTests() + "/examples/hh/";
  v1::Input* input = spec.add_inputs();
  input->set_variable("I");
  *input->mutable_traces() =
      ReadTraceCsvForTests(dir + "input_traces_hh.csv", "amp");
  v1::Output* output = spec.add_outputs();
  output->set_variable("v");
  *output->mutable_traces() =
      ReadTraceCsvForTests(dir + "output_traces_hh.csv", "mV");
  return spec;
}

v1::MetricSpec HhExampleMetric() {
  v1::MetricSpec metric;
  metric.set_output("v");
  metric.mutable_mse()->mutable_t_start()->set_text("5*ms");
  return metric;
}

v1::FitRequest HhExampleFit(const std::string& fitter_id, int n_rounds) {
  v1::FitRequest fit;
  fit.set_fitter_id(fitter_id);
  fit.set_n_rounds(n_rounds);
  fit.mutable_optimizer()->set_method("DE");
  fit.mutable_optimizer()->set_seed(1);
  *fit.add_metrics() = HhExampleMetric();
  const char* const bounds[][3] = {
      {"gl", "1e-9*siemens", "1e-7*siemens"},
      {"g_na", "2e-6*siemens", "2e-4*siemens"},
      {"g_kd", "6e-7*siemens", "6e-5*siemens"},
      {"Cm", "0.1*uF*cm**-2*area", "2*uF*cm**-2*area"}};
  for (const auto& [name, lower, upper] : bounds) {
    v1::Bounds* b = fit.add_bounds();
    b->set_parameter(name);
    b->mutable_lower()->set_text(lower);
    b->mutable_upper()->set_text(upper);
    // Conductances and a capacitance spanning decades.
    b->set_log_scale(true);
  }
  return fit;
}

}  // namespace cellfit::jobs
