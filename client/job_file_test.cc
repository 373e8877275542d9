#include "client/job_file.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace cellfit::client {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

fs::path SourceDir() {
  const char* dir = std::getenv("CELLFIT_SOURCE_DIR");
  return dir != nullptr ? fs::path(dir) : fs::path(".");
}

// The values of an indexed CSV, read here independently of trace_csv.cc.
std::vector<double> ReadIndexedCsv(const fs::path& path, size_t* rows) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  std::vector<double> values;
  *rows = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> cells = absl::StrSplit(line, ',');
    for (size_t i = 1; i < cells.size(); ++i) {
      values.push_back(std::stod(cells[i]));
    }
    ++*rows;
  }
  return values;
}

TEST(JobFileTest, TheHhExampleParsesToTheExpectedRequest) {
  const fs::path job_path = SourceDir() / "examples/hh/job.toml";
  absl::StatusOr<Job> job = ReadJobFile(job_path);
  ASSERT_TRUE(job.ok()) << job.status();

  // The traces, compared with an independent reading of the CSVs.
  size_t rows = 0;
  std::vector<double> input =
      ReadIndexedCsv(SourceDir() / "examples/hh/input_traces_hh.csv", &rows);
  ASSERT_EQ(rows, 5u);
  std::vector<double> output =
      ReadIndexedCsv(SourceDir() / "examples/hh/output_traces_hh.csv", &rows);
  ASSERT_EQ(rows, 5u);
  ASSERT_EQ(job->spec.inputs_size(), 1);
  ASSERT_EQ(job->spec.outputs_size(), 1);
  EXPECT_THAT(job->spec.inputs(0).traces().values(),
              ::testing::ElementsAreArray(input));
  EXPECT_THAT(job->spec.outputs(0).traces().values(),
              ::testing::ElementsAreArray(output));
  EXPECT_NE(job->spec.model().find("dv/dt = (gl*(El-v) - g_na*(m*m*m)*h*"),
            std::string::npos);
  EXPECT_NE(job->spec.model().find("Cm   : farad (constant)"),
            std::string::npos);

  // Everything else, field by field.
  cellfit::v1::FitterSpec spec = job->spec;
  spec.clear_model();
  spec.mutable_inputs(0)->mutable_traces()->clear_values();
  spec.mutable_outputs(0)->mutable_traces()->clear_values();
  cellfit::v1::FitterSpec expected_spec;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        kind: FITTER_KIND_TRACE
        dt { text: "0.01*ms" }
        n_samples: 20
        method: "exponential_euler"
        backend: BACKEND_RUNTIME
        name: "hh"
        use_units: true
        param_init { key: "v" value: "VT" }
        namespace {
          name: "EK"
          quantity { text: "-90*mV" }
        }
        namespace {
          name: "ENa"
          quantity { text: "50*mV" }
        }
        namespace {
          name: "El"
          quantity { text: "-65*mV" }
        }
        namespace {
          name: "VT"
          quantity { text: "-63*mV" }
        }
        namespace {
          name: "area"
          quantity { text: "20000*umetre**2" }
        }
        inputs {
          variable: "I"
          traces {
            n_traces: 5
            n_steps: 1497
            unit { text: "amp" }
          }
        }
        outputs {
          variable: "v"
          traces {
            n_traces: 5
            n_steps: 1497
            unit { text: "mV" }
          }
        }
      )pb",
      &expected_spec));
  google::protobuf::util::MessageDifferencer differ;
  differ.TreatAsSet(
      cellfit::v1::FitterSpec::descriptor()->FindFieldByName("namespace"));
  std::string report;
  differ.ReportDifferencesToString(&report);
  EXPECT_TRUE(differ.Compare(expected_spec, spec)) << report;

  cellfit::v1::FitRequest expected_fit;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        n_rounds: 60
        optimizer { method: "DE" seed: 1 }
        metrics { mse { t_start { text: "5*ms" } } }
        bounds {
          parameter: "Cm"
          lower { text: "0.1*uF*cm**-2*area" }
          upper { text: "2*uF*cm**-2*area" }
          log_scale: true
        }
        bounds {
          parameter: "g_kd"
          lower { text: "6e-7*siemens" }
          upper { text: "6e-5*siemens" }
          log_scale: true
        }
        bounds {
          parameter: "g_na"
          lower { text: "2e-6*siemens" }
          upper { text: "2e-4*siemens" }
          log_scale: true
        }
        bounds {
          parameter: "gl"
          lower { text: "1e-9*siemens" }
          upper { text: "1e-7*siemens" }
          log_scale: true
        }
      )pb",
      &expected_fit));
  google::protobuf::util::MessageDifferencer fit_differ;
  fit_differ.TreatAsSet(
      cellfit::v1::FitRequest::descriptor()->FindFieldByName("bounds"));
  std::string fit_report;
  fit_differ.ReportDifferencesToString(&fit_report);
  EXPECT_TRUE(fit_differ.Compare(expected_fit, job->fit)) << fit_report;
}

// A job directory in the test's scratch space with small CSVs.
class JobDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Write("in.csv", ",0,1,2\n0,1,2,3\n1,4,5,6\n");
    Write("v.csv", "-65,-64,-63\n-65,-60,-55\n");
    Write("short.csv", "-65,-64\n-65,-60\n");
    Write("spikes.csv", "trace,time\n1,2.5\n0,1\n1,0.5\n");
  }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }

  // The parse error of `text` as job.toml in the directory.
  std::string Error(const std::string& text) {
    absl::StatusOr<Job> job = ParseJob(text, dir_ / "job.toml");
    EXPECT_FALSE(job.ok()) << "parsed:\n" << text;
    if (job.ok()) return "";
    // Messages name the file by the path given: keep the test independent
    // of where the scratch space is.
    std::string message(job.status().message());
    std::string prefix = (dir_ / "").string();
    for (size_t at; (at = message.find(prefix)) != std::string::npos;) {
      message.erase(at, prefix.size());
    }
    return message;
  }

  fs::path dir_;
};

constexpr char kMinimal[] = R"(dt = "0.1*ms"
n_samples = 4
n_rounds = 2
equations = "dv/dt = (I*ohm - v)/(10*ms) : volt"
[input.I]
csv = "in.csv"
[output.v]
csv = "v.csv"
unit = "mV"
)";

TEST_F(JobDirectory, AMinimalJobParsesWithDefaults) {
  absl::StatusOr<Job> job = ParseJob(kMinimal, dir_ / "job.toml");
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->spec.kind(), cellfit::v1::FITTER_KIND_TRACE);
  EXPECT_EQ(job->spec.backend(), cellfit::v1::BACKEND_UNSPECIFIED);
  EXPECT_EQ(job->spec.inputs(0).traces().n_traces(), 2u);
  EXPECT_FALSE(job->spec.inputs(0).traces().has_unit());
  EXPECT_EQ(job->fit.metrics_size(), 0);
  EXPECT_FALSE(job->fit.has_optimizer());
}

TEST_F(JobDirectory, ErrorsNameTheFileLineAndKey) {
  std::string quoted = kMinimal;
  quoted.replace(quoted.find("n_samples = 4"), 13, "n_samples = \"4\"");
  EXPECT_THAT(Error(quoted),
              HasSubstr("job.toml:2:13: error: key 'n_samples': expected an "
                        "integer, got a string"));
  EXPECT_THAT(Error("dt = \"0.1*ms\"\nn_samples = \n"),
              HasSubstr("job.toml:2:"));  // TOML syntax, with its line
  EXPECT_THAT(Error("n_sample = 3\n" + std::string(kMinimal)),
              HasSubstr("job.toml:1:1: error: key 'n_sample': unknown key; "
                        "did you mean 'n_samples'?"));
  // A key after a table header belongs to that table, as TOML says.
  EXPECT_THAT(Error(std::string(kMinimal) + "n_rounds = 3\n"),
              HasSubstr("job.toml:10:1: error: key 'output.v.n_rounds': "
                        "unknown key; expected one of csv, unit"));
  EXPECT_THAT(Error("dt = \"0.1*ms\"\n"),
              HasSubstr("job.toml: error: key 'equations' is required"));
  EXPECT_THAT(Error(std::string(kMinimal) + "[input.J]\nunit = \"amp\"\n"),
              HasSubstr("key 'input.J.csv' is required"));
  EXPECT_THAT(
      Error(std::string(kMinimal) + "[input.J]\ncsv = \"v.csv\"\nfoo = 1\n"),
      HasSubstr("job.toml:12:1: error: key 'input.J.foo': unknown key"));
  EXPECT_THAT(
      Error(std::string(kMinimal) + "[bounds]\ngl = [1, 2, \"logx\"]\n"),
      HasSubstr("job.toml:11:13: error: key 'bounds.gl': the third "
                "element must be \"log\" or \"linear\""));
  EXPECT_THAT(Error(std::string(kMinimal) + "[bounds]\ngl = [2, 1]\n"),
              HasSubstr("key 'bounds.gl': the lower bound must be below"));
  EXPECT_THAT(Error(std::string(kMinimal) + "[bounds]\ngl = 3\n"),
              HasSubstr("key 'bounds.gl': expected [lower, upper]"));
  EXPECT_THAT(Error(std::string(kMinimal) + "[metric.w]\ntype = \"mse\"\n"),
              HasSubstr("key 'metric.w': there is no [output.w]; outputs: v"));
  EXPECT_THAT(
      Error(std::string(kMinimal) + "[metric]\ntype = \"l1\"\n"),
      HasSubstr("job.toml:11:8: error: key 'metric.type': 'l1' is not a "
                "metric"));
  EXPECT_THAT(Error(std::string(kMinimal) +
                    "[metric]\ntype = \"mse\"\nt_start = \"5*ms\"\n"
                    "t_weights = [1, 1, 1]\n"),
              HasSubstr("give t_start or t_weights, not both"));
  EXPECT_THAT(Error(std::string(kMinimal) + "[metric]\ntype = \"gamma\"\n"),
              HasSubstr("key 'metric.delta': is required"));
  EXPECT_THAT(Error("kind = \"spike\"\n" + std::string(kMinimal)),
              HasSubstr("key 'kind': a spike fitter needs recorded spike "
                        "times"));
  EXPECT_THAT(Error("kind = \"online_trace\"\n" + std::string(kMinimal) +
                    "[metric]\ntype = \"mse\"\n"),
              HasSubstr("an online_trace fitter computes its own error"));
  EXPECT_THAT(Error("backend = \"gpu\"\n" + std::string(kMinimal)),
              HasSubstr("key 'backend': 'gpu' is not a backend"));
  EXPECT_THAT(Error(std::string(kMinimal) + "[namespace]\n\"1x\" = 3\n"),
              HasSubstr("key 'namespace.1x': not a valid name"));
}

TEST_F(JobDirectory, CsvProblemsNameTheJobKeyAndTheCsvPosition) {
  Write("bad.csv", "1,2,3\n4,oops,6\n");
  std::string job = kMinimal;
  job.replace(job.find("v.csv"), 5, "bad.csv");
  EXPECT_THAT(Error(job), HasSubstr("job.toml:8:7: error: key 'output.v.csv': "
                                    "bad.csv:2:3: 'oops' is not a number "
                                    "(field 2)"));
  job = kMinimal;
  job.replace(job.find("v.csv"), 5, "short.csv");
  EXPECT_THAT(Error(job), HasSubstr("key 'output.v.csv': output 'v' has 2 "
                                    "traces of 2 steps, but input 'I' has 2 "
                                    "traces of 3 steps"));
  job = kMinimal;
  job.replace(job.find("v.csv"), 5, "missing.csv");
  EXPECT_THAT(Error(job), HasSubstr("cannot read 'missing.csv'"));
}

TEST_F(JobDirectory, SpikeOutputsBecomeTrainsInSeconds) {
  absl::StatusOr<Job> job = ParseJob(R"(dt = 1e-4
n_samples = 4
n_rounds = 2
equations = "dv/dt = (I*ohm - v)/(10*ms) : volt"
threshold = "v > -50*mV"
reset = "v = -70*mV"
refractory = "2*ms"
[input.I]
csv = "in.csv"
unit = "nA"
[output.spikes]
csv = "spikes.csv"
unit = "ms"
[metric]
type = "gamma"
delta = "2*ms"
time = 0.3
rate_correction = false
)",
                                     dir_ / "job.toml");
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->spec.kind(), cellfit::v1::FITTER_KIND_SPIKE);  // inferred
  EXPECT_EQ(job->spec.dt().value(), 1e-4);
  EXPECT_EQ(job->spec.dt().dimension().second(), 1);
  EXPECT_EQ(job->spec.refractory(), "2*ms");
  const cellfit::v1::SpikeTrains& trains = job->spec.outputs(0).spikes();
  ASSERT_EQ(trains.trains_size(), 2);  // one per input trace
  EXPECT_THAT(trains.trains(0).times(), ::testing::ElementsAre(1e-3));
  EXPECT_THAT(trains.trains(1).times(), ::testing::ElementsAre(0.5e-3, 2.5e-3));
  const cellfit::v1::GammaFactorMetric& gamma = job->fit.metrics(0).gamma();
  EXPECT_EQ(gamma.delta().text(), "2*ms");
  EXPECT_EQ(gamma.time().value(), 0.3);
  EXPECT_TRUE(gamma.no_rate_correction());
}

TEST_F(JobDirectory, BoundsFormsOptimizerOptionsAndPerOutputMetrics) {
  absl::StatusOr<Job> job = ParseJob(std::string(kMinimal) + R"(
[param_init]
v = -0.065
[bounds]
a = ["1*nS", "10*nS", "log"]
b = { lower = 1e-9, upper = 1e-7, log = true }
c = [0, 1]
[optimizer]
method = "CMAES"
seed = 7
options = { sigma0 = 0.3, popsize = 12 }
[metric.v]
type = "features"
features = ["Spikecount", "AP_amplitude"]
weights = { Spikecount = 2 }
stim_start = "10*ms"
stim_end = ["100*ms", 0.2]
threshold = "-20*mV"
combine = "squared_difference"
normalization = 4
)",
                                     dir_ / "job.toml");
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->spec.param_init().at("v"), "-0.065");
  ASSERT_EQ(job->fit.bounds_size(), 3);
  EXPECT_TRUE(job->fit.bounds(0).log_scale());
  EXPECT_EQ(job->fit.bounds(0).lower().text(), "1*nS");
  EXPECT_TRUE(job->fit.bounds(1).log_scale());
  EXPECT_EQ(job->fit.bounds(1).upper().value(), 1e-7);
  EXPECT_FALSE(job->fit.bounds(2).log_scale());
  EXPECT_EQ(job->fit.optimizer().method(), "CMAES");
  EXPECT_EQ(job->fit.optimizer().seed(), 7u);
  EXPECT_EQ(job->fit.optimizer().options().at("popsize"), 12);
  const cellfit::v1::MetricSpec& metric = job->fit.metrics(0);
  EXPECT_EQ(metric.output(), "v");
  EXPECT_THAT(metric.features().features(),
              ::testing::ElementsAre("Spikecount", "AP_amplitude"));
  EXPECT_EQ(metric.features().weights().at("Spikecount"), 2);
  EXPECT_THAT(metric.features().stim_start(), ::testing::ElementsAre(0.01));
  EXPECT_THAT(metric.features().stim_end(), ::testing::ElementsAre(0.1, 0.2));
  EXPECT_DOUBLE_EQ(metric.features().threshold(), -0.02);
  EXPECT_EQ(metric.features().combine(), "squared_difference");
  EXPECT_EQ(metric.features().normalization(), 4);
}

// The server names fit settings by their keys; each must be found where the
// file writes it (the value's first character, inside the quotes).
TEST_F(JobDirectory, EveryKeyHasItsPlaceInTheFile) {
  absl::StatusOr<Job> job = ParseJob(std::string(kMinimal) + R"([bounds]
gl = ["1*mV", "100*mV"]
Cm = { lower = "50*pF", upper = 5e-10 }
[optimizer]
method = "DEX"
[metric]
type = "mse"
t_start = "5*mV"
)",
                                     dir_ / "job.toml");
  ASSERT_TRUE(job.ok()) << job.status();
  const auto at = [&](const std::string& field) {
    std::string position = JobFilePosition(*job, field, 0, 0);
    return position.substr(position.rfind("job.toml"));
  };
  EXPECT_EQ(at("bounds"), "job.toml:10:1");
  EXPECT_EQ(at("bounds.gl"), "job.toml:11:6");
  EXPECT_EQ(at("bounds.gl.lower"), "job.toml:11:8");
  EXPECT_EQ(at("bounds.gl.upper"), "job.toml:11:16");
  EXPECT_EQ(at("bounds.Cm"), "job.toml:12:6");
  EXPECT_EQ(at("bounds.Cm.lower"), "job.toml:12:17");
  EXPECT_EQ(at("bounds.Cm.upper"), "job.toml:12:33");
  EXPECT_EQ(at("optimizer.method"), "job.toml:14:11");
  EXPECT_EQ(at("metric"), "job.toml:15:1");
  EXPECT_EQ(at("metric.t_start"), "job.toml:17:12");
  // A position within the text counts from its first character.
  EXPECT_THAT(JobFilePosition(*job, "bounds.gl.lower", 1, 3),
              ::testing::EndsWith("job.toml:11:10"));
  EXPECT_EQ(at("model"), "job.toml:4:14");
}

TEST_F(JobDirectory, TheTopLevelMethodHasItsPlace) {
  absl::StatusOr<Job> job =
      ParseJob(std::string("method = \"rk9\"\n") + kMinimal, dir_ / "job.toml");
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_THAT(JobFilePosition(*job, "method", 0, 0),
              ::testing::EndsWith("job.toml:1:11"));
}

TEST_F(JobDirectory, NumericBoundsTakeTheirParametersDimension) {
  absl::StatusOr<Job> job = ParseJob(std::string(kMinimal) + R"(
[bounds]
gl = [1e-9, 1e-7]
Cm = ["50*pF", 5e-10]
n = [0, 1]
gx = [1, 2]
)",
                                     dir_ / "job.toml");
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_TRUE(HasNumericBounds(job->fit));
  cellfit::v1::CheckModelResponse model;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        variables {
          name: "gl"
          kind: VARIABLE_KIND_PARAMETER
          dimension { metre: -2 kilogram: -1 second: 3 ampere: 2 }
        }
        variables {
          name: "Cm"
          kind: VARIABLE_KIND_PARAMETER
          dimension { metre: -2 kilogram: -1 second: 4 ampere: 2 }
        }
        variables {
          name: "n"
          kind: VARIABLE_KIND_PARAMETER
          dimension {}
        }
      )pb",
      &model));
  GiveNumericBoundsUnits(model, job->fit);
  const auto bounds = [&](const std::string& name) {
    for (const cellfit::v1::Bounds& b : job->fit.bounds()) {
      if (b.parameter() == name) return b;
    }
    ADD_FAILURE() << "no bounds for " << name;
    return cellfit::v1::Bounds();
  };
  const cellfit::v1::Bounds gl = bounds("gl");
  EXPECT_EQ(gl.lower().value(), 1e-9);
  EXPECT_EQ(gl.lower().dimension().ampere(), 2);
  EXPECT_EQ(gl.upper().dimension().second(), 3);
  const cellfit::v1::Bounds cm = bounds("Cm");
  EXPECT_EQ(cm.lower().text(), "50*pF");
  EXPECT_FALSE(cm.lower().has_dimension());
  EXPECT_EQ(cm.upper().dimension().second(), 4);
  EXPECT_TRUE(bounds("n").lower().has_dimension());
  // An unknown parameter keeps bare numbers, for the server to name it.
  EXPECT_FALSE(bounds("gx").lower().has_dimension());
  EXPECT_TRUE(HasNumericBounds(job->fit));
  auto* all = job->fit.mutable_bounds();
  all->erase(std::remove_if(all->begin(), all->end(),
                            [](const cellfit::v1::Bounds& b) {
                              return b.parameter() == "gx";
                            }),
             all->end());
  EXPECT_FALSE(HasNumericBounds(job->fit));
}

}  // namespace
}  // namespace cellfit::client
