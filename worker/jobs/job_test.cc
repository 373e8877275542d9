#include "worker/jobs/job.h"

#include <cstdlib>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace cellfit::jobs {
namespace {

std::string SourceDir() {
  const char* dir = std::getenv("CELLFIT_SOURCE_DIR");
  return dir ? dir : ".";
}

// Reads a trace CSV in the layout of examples/hh (header row of step indices,
// then one row per trace starting with its index) into a TraceSet.
v1::TraceSet ReadTraces(const std::string& path, const std::string& unit) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::string line;
  std::getline(in, line);  // header
  v1::TraceSet traces;
  int rows = 0;
  while (std::getline(in, line)) {
    std::stringstream row(line);
    std::string cell;
    std::getline(row, cell, ',');  // trace index
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

constexpr char kHhModel[] = R"(
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

v1::JobData HhJob(const std::string& v_init) {
  v1::JobData job;
  job.set_job_id("hh");
  v1::FitterSpec* spec = job.mutable_spec();
  spec->set_kind(v1::FITTER_KIND_TRACE);
  spec->set_model(kHhModel);
  spec->set_method("exponential_euler");
  spec->mutable_dt()->set_text("0.01*ms");
  spec->set_n_samples(1);
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"area", "20000*umetre**2"},
                                                        {"El", "-65*mV"},
                                                        {"EK", "-90*mV"},
                                                        {"ENa", "50*mV"},
                                                        {"VT", "-63*mV"}}) {
    v1::NamedQuantity* q = spec->add_namespace_();
    q->set_name(name);
    q->mutable_quantity()->set_text(value);
  }
  (*spec->mutable_param_init())["v"] = v_init;
  v1::Input* input = spec->add_inputs();
  input->set_variable("I");
  *input->mutable_traces() =
      ReadTraces(SourceDir() + "/examples/hh/input_traces_hh.csv", "amp");
  v1::Output* output = spec->add_outputs();
  output->set_variable("v");
  *output->mutable_traces() =
      ReadTraces(SourceDir() + "/examples/hh/output_traces_hh.csv", "mV");
  for (const char* p : {"gl", "g_na", "g_kd", "Cm"}) job.add_parameters(p);
  v1::MetricSpec* metric = job.add_metrics();
  metric->mutable_mse()->mutable_t_start()->set_text("5*ms");
  return job;
}

v1::Batch TrueParameters() {
  v1::Batch batch;
  batch.set_job_id("hh");
  batch.set_n_samples(1);
  for (double p : {10e-9, 20e-6, 6e-6, 200e-12}) batch.add_params(p);
  return batch;
}

double MeanError(const v1::BatchResult& result) {
  const auto& errors = result.output_errors(0).errors();
  return std::accumulate(errors.begin(), errors.end(), 0.0) / errors.size();
}

// The data's README: simulated from -65 mV with the true parameters, the MSE
// against the data (t >= 5 ms) is the noise floor, 1.005 mV^2; from v = VT
// (-63 mV), as the example starts, it is 72.5 mV^2.
TEST(Job, HhExampleErrorsMatchTheDataDescription) {
  for (const auto& [v_init, expected_mv2] :
       std::vector<std::pair<std::string, double>>{{"-65*mV", 1.005}, {"VT", 72.5}}) {
    auto job = Job::Prepare(HhJob(v_init), {});
    ASSERT_TRUE(job.ok()) << job.status();
    auto result = (*job)->Run(TrueParameters());
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->output_errors_size(), 1);
    EXPECT_EQ(result->output_errors(0).errors_size(), 5);  // one per trace
    EXPECT_NEAR(MeanError(*result) * 1e6, expected_mv2, expected_mv2 * 0.002)
        << "v starting at " << v_init;
  }
}

TEST(Job, RecordModeGivesTracesAndSpikesPerNeuron) {
  auto job = Job::Prepare(HhJob("VT"), {});
  ASSERT_TRUE(job.ok()) << job.status();
  v1::Batch batch = TrueParameters();
  batch.add_record("v");
  batch.add_record("m");
  auto result = (*job)->Run(batch);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->traces_size(), 10);  // 2 variables x 5 traces
  EXPECT_EQ(result->traces(0).values_size(), 1497);
  EXPECT_DOUBLE_EQ(result->traces(0).values(0), -0.063);  // v = VT at t = 0
  EXPECT_EQ(result->traces(5).variable(), "m");
  batch.clear_record();
  batch.add_record("spikes");
  EXPECT_FALSE((*job)->Run(batch).ok()) << "the HH model has no threshold";
}

TEST(Job, ParamInitOverrideIsCheckedAndApplied) {
  auto job = Job::Prepare(HhJob("VT"), {});
  ASSERT_TRUE(job.ok()) << job.status();
  v1::Batch batch = TrueParameters();
  batch.add_record("v");
  (*batch.mutable_param_init())["v"] = "-70*mV";
  auto result = (*job)->Run(batch);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_DOUBLE_EQ(result->traces(0).values(0), -0.07);
  (*batch.mutable_param_init())["v"] = "-70*mA";
  auto bad = (*job)->Run(batch);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("param_init.v"), std::string::npos)
      << bad.status();
}

TEST(Job, RejectsBadBatches) {
  auto job = Job::Prepare(HhJob("VT"), {});
  ASSERT_TRUE(job.ok()) << job.status();
  v1::Batch batch = TrueParameters();
  batch.add_params(1.0);
  EXPECT_FALSE((*job)->Run(batch).ok());
  batch = TrueParameters();
  batch.set_params(0, std::nan(""));
  EXPECT_FALSE((*job)->Run(batch).ok());
  batch = TrueParameters();
  v1::Neuron* neuron = batch.add_neurons();
  neuron->set_trace(7);
  EXPECT_FALSE((*job)->Run(batch).ok());
}

TEST(Job, SpecProblemsAreAllReported) {
  v1::JobData data = HhJob("VT");
  data.mutable_spec()->mutable_dt()->set_text("0.01*mV");
  data.mutable_spec()->mutable_outputs(0)->mutable_traces()->mutable_unit()->set_text("nA");
  data.mutable_spec()->mutable_inputs(0)->mutable_traces()->set_n_steps(10);
  auto job = Job::Prepare(data, {});
  ASSERT_FALSE(job.ok());
  const std::string message(job.status().message());
  EXPECT_NE(message.find("dt must be a time"), std::string::npos) << message;
  EXPECT_NE(message.find("inputs.I"), std::string::npos) << message;
}

}  // namespace
}  // namespace cellfit::jobs
