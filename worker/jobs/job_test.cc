#include "worker/jobs/job.h"

#include <numeric>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "worker/jobs/hh_example_for_tests.h"

namespace cellfit::jobs {
namespace {

v1::JobData HhJob(const std::string& v_init) {
  v1::JobData job;
  job.set_job_id("hh");
  *job.mutable_spec() = HhExampleSpec(v_init);
  job.mutable_spec()->set_n_samples(1);
  for (const char* p : {"gl", "g_na", "g_kd", "Cm"}) job.add_parameters(p);
  *job.add_metrics() = HhExampleMetric();
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
       std::vector<std::pair<std::string, double>>{{"-65*mV", 1.005},
                                                   {"VT", 72.5}}) {
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
  data.mutable_spec()
      ->mutable_outputs(0)
      ->mutable_traces()
      ->mutable_unit()
      ->set_text("nA");
  data.mutable_spec()->mutable_inputs(0)->mutable_traces()->set_n_steps(10);
  auto job = Job::Prepare(data, {});
  ASSERT_FALSE(job.ok());
  const std::string message(job.status().message());
  EXPECT_NE(message.find("dt must be a time"), std::string::npos) << message;
  EXPECT_NE(message.find("inputs.I"), std::string::npos) << message;
}

// Each input is looked up in the model by name: 160000 one-value inputs
// (a 4 MB request) kept a server thread busy for a minute before their
// number was bounded.
TEST(Job, TooManyInputsAreRefusedBeforeTheyAreLookedUp) {
  v1::JobData data = HhJob("VT");
  for (int k = 0; k < 300; ++k) {
    v1::Input* input = data.mutable_spec()->add_inputs();
    input->set_variable(absl::StrCat("I", k));
    input->mutable_traces()->set_n_traces(1);
    input->mutable_traces()->set_n_steps(1);
    input->mutable_traces()->add_values(0);
  }
  auto job = Job::Prepare(data, {});
  ASSERT_FALSE(job.ok());
  EXPECT_NE(
      job.status().message().find("has 301 inputs; at most 256 are accepted"),
      std::string::npos)
      << job.status().message().substr(0, 500);
}

}  // namespace
}  // namespace cellfit::jobs

namespace cellfit::jobs {
namespace {

// The sensitivity variables are the derivatives of the trace: S_v_p(t)
// against a central difference of v(t) in p, for every parameter. S is the
// continuous-time sensitivity integrated by the model's method (as Brian2
// integrates brian2modelfitting's sensitivity equations), so it differs from
// the derivative of the discrete trace by the method's O(dt) error: here at
// most 2.5% (at the first step, where the input drives v fastest); a wrong
// term or a wrong parameter gives differences of order one. The exact values
// are checked against Brian2 in the reference suite.
TEST(Job, SensitivityTracesAreTheTracesDerivatives) {
  auto job = Job::Prepare(HhJob("VT"), {});
  ASSERT_TRUE(job.ok()) << job.status();
  const std::vector<std::string> names = {"gl", "g_na", "g_kd", "Cm"};
  const std::vector<double> point = {10e-9, 20e-6, 6e-6, 200e-12};
  v1::Batch batch;
  batch.set_n_samples(1);
  batch.set_sensitivities(true);
  batch.add_record("v");
  for (const auto& p : names) batch.add_record("S_v_" + p);
  batch.mutable_params()->Add(point.begin(), point.end());
  auto result = (*job)->Run(batch);
  ASSERT_TRUE(result.ok()) << result.status();
  for (size_t p = 0; p < names.size(); ++p) {
    auto shifted = [&](double factor) {
      v1::Batch plain;
      plain.set_n_samples(1);
      plain.add_record("v");
      for (size_t q = 0; q < point.size(); ++q) {
        plain.add_params(q == p ? point[q] * factor : point[q]);
      }
      return (*job)->Run(plain);
    };
    const double h = 1e-6;
    auto up = shifted(1 + h);
    auto down = shifted(1 - h);
    ASSERT_TRUE(up.ok() && down.ok());
    // Trace 2 of the sensitivity S_v_p, over the first millisecond.
    const int kSteps = 100;
    const v1::RecordedTrace* s = nullptr;
    for (const auto& trace : result->traces()) {
      if (trace.variable() == "S_v_" + names[p] && trace.neuron() == 2)
        s = &trace;
    }
    ASSERT_NE(s, nullptr);
    double worst = 0, scale = 0;
    for (int k = 0; k < kSteps; ++k) {
      const double numeric =
          (up->traces(2).values(k) - down->traces(2).values(k)) /
          (2 * h * point[p]);
      worst = std::max(worst, std::fabs(numeric - s->values(k)));
      scale = std::max(scale, std::fabs(numeric));
    }
    EXPECT_LE(worst, 0.03 * scale)
        << names[p] << ": largest difference " << worst << " of " << scale;
  }
}

}  // namespace
}  // namespace cellfit::jobs
