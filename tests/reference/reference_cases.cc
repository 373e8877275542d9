#include "tests/reference/reference_cases.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/checker.h"
#include "model/sensitivity.h"
#include "model/step_program.h"
#include "worker/runtime/simulator.h"
#include "worker/standalone/standalone_backend.h"

namespace cellfit {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

fs::path SourceDir() {
  const char* dir = std::getenv("CELLFIT_SOURCE_DIR");
  return dir ? fs::path(dir) : fs::path(CELLFIT_SOURCE_DIR_DEFAULT);
}

fs::path CasesDir() { return SourceDir() / "tests" / "reference" / "cases"; }

model::Dimension DimensionFromJson(const json& exponents) {
  model::Dimension d;
  for (int k = 0; k < model::kNumBaseDimensions; ++k) {
    const double e = exponents.at(k).get<double>();
    auto rational = model::Rational::FromDouble(e);
    d = d * model::Dimension::Base(static_cast<model::BaseDimension>(k),
                                   rational.value_or(model::Rational(0)));
  }
  return d;
}

runtime::TraceTable TableFromJson(const json& values) {
  runtime::TraceTable table;
  table.n_traces = static_cast<int>(values.size());
  table.n_steps = table.n_traces ? static_cast<int>(values[0].size()) : 0;
  for (const json& row : values) {
    for (const json& v : row) table.values.push_back(v.get<double>());
  }
  return table;
}

}  // namespace

std::vector<std::string> ReferenceCaseNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(CasesDir())) {
    if (entry.path().extension() == ".json") {
      names.push_back(entry.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<json> RunBrian2(const std::string& name) {
  const fs::path case_path = CasesDir() / (name + ".json");
  const fs::path out_dir =
      fs::temp_directory_path() / absl::StrCat("cellfit_reference_", getpid());
  fs::create_directories(out_dir);
  const fs::path out_path = out_dir / (name + ".out.json");
  const fs::path script =
      SourceDir() / "tests" / "reference" / "brian2_reference.py";
  const std::string command = absl::StrCat(
      "/usr/bin/python3 '", script.string(), "' '", case_path.string(), "' '",
      out_path.string(), "' 2> '", out_path.string(), ".log'");
  if (std::system(command.c_str()) != 0) {
    std::ifstream log(out_path.string() + ".log");
    std::string text((std::istreambuf_iterator<char>(log)), {});
    return absl::InternalError(
        absl::StrCat("Brian2 failed on ", name, ":\n",
                     text.substr(text.size() > 3000 ? text.size() - 3000 : 0)));
  }
  std::ifstream case_file(case_path);
  json merged = json::parse(case_file);
  std::ifstream out_file(out_path);
  merged["brian2"] = json::parse(out_file);
  fs::remove_all(out_dir);
  return merged;
}

absl::StatusOr<Simulated> SimulateCase(const std::string& name,
                                       const json& reference, Backend backend) {
  const json& brian2 = reference.at("brian2");
  model::ModelSpec spec;
  spec.equations = reference.at("equations").get<std::string>();
  spec.threshold = reference.value("threshold", "");
  spec.reset = reference.value("reset", "");
  spec.refractory = reference.value("refractory", "");
  spec.method = reference.value("method", "");
  if (reference.contains("namespace")) {
    for (const auto& [key, value] : reference.at("namespace").items()) {
      spec.namespace_entries.push_back({key, value.get<std::string>(), {}});
    }
  }
  if (reference.contains("param_init")) {
    for (const auto& [key, value] : reference.at("param_init").items()) {
      spec.param_init.push_back({key, value.get<std::string>()});
    }
  }
  runtime::SimulationData data;
  data.dt = brian2.at("dt").get<double>();
  data.n_steps = brian2.at("n_steps").get<int>();
  for (const auto& [key, value] : brian2.at("inputs").items()) {
    spec.inputs.push_back({key, DimensionFromJson(value.at("dimension"))});
    data.inputs.push_back(TableFromJson(value.at("values")));
  }
  for (const auto& [key, value] : brian2.at("targets").items()) {
    spec.outputs.push_back(key);
    data.targets.push_back(TableFromJson(value.at("values")));
  }
  auto checked = model::CheckModel(spec);
  if (!checked.model) return checked.diagnostics.ToStatus();
  if (reference.value("sensitivities", false)) {
    if (absl::Status added = model::AddSensitivities(*checked.model);
        !added.ok()) {
      return added;
    }
  }
  model::LoweringOptions options;
  for (const json& v : reference.value("record", json::array())) {
    options.record.push_back(v.get<std::string>());
  }
  auto program = model::LowerModel(*checked.model, options);
  if (!program.ok()) return program.status();

  // Parameters in the model's order.
  const auto& param_names = brian2.at("param_names");
  const int n_params = static_cast<int>(checked.model->parameters.size());
  const int n_samples = brian2.at("n_samples").get<int>();
  const int n_traces = brian2.at("n_traces").get<int>();
  std::vector<double> params(static_cast<size_t>(n_samples) * n_params);
  for (int p = 0; p < n_params; ++p) {
    const std::string& pname =
        checked.model->NameOf(checked.model->parameters[p]);
    int column = -1;
    for (size_t k = 0; k < param_names.size(); ++k) {
      if (param_names[k].get<std::string>() == pname)
        column = static_cast<int>(k);
    }
    if (column < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("case ", name, " gives no value for ", pname));
    }
    for (int s = 0; s < n_samples; ++s) {
      params[static_cast<size_t>(s) * n_params + p] =
          brian2.at("params")[s][column].get<double>();
    }
  }
  runtime::BatchRequest request;
  request.program = &*program;
  request.data = &data;
  request.params = params.data();
  request.n_samples = n_samples;
  request.n_params = n_params;
  request.iteration = reference.value("iteration", 0.0);
  request.seed = reference.value("seed", 1);
  request.record_spikes = reference.value("spikes", false);
  request.threads = 2;
  for (int s = 0; s < n_samples; ++s) {
    for (int t = 0; t < n_traces; ++t) {
      request.lanes.push_back({s, t, static_cast<int64_t>(s) * n_traces + t});
    }
  }
  absl::StatusOr<runtime::BatchResult> result;
  if (backend == Backend::kRuntime) {
    result = runtime::RunBatch(request);
  } else {
    auto runner = standalone::MakeStandaloneRunner(*program, {});
    if (!runner.ok()) return runner.status();
    result = (*runner)(request);
  }
  if (!result.ok()) return result.status();
  Simulated simulated;
  simulated.method = checked.model->method;
  const int n_lanes = static_cast<int>(request.lanes.size());
  for (size_t r = 0; r < options.record.size(); ++r) {
    auto& traces = simulated.traces[options.record[r]];
    for (int l = 0; l < n_lanes; ++l) {
      const double* begin =
          result->recordings[r].data() + static_cast<size_t>(l) * data.n_steps;
      traces.emplace_back(begin, begin + data.n_steps);
    }
  }
  simulated.spikes = result->spikes;
  return simulated;
}

namespace {

struct Statistics {
  double mean = 0;
  double variance = 0;
};

Statistics Stats(const std::vector<std::vector<double>>& traces, int from) {
  double sum = 0, sum2 = 0;
  size_t n = 0;
  for (const auto& trace : traces) {
    for (size_t k = from; k < trace.size(); ++k) {
      sum += trace[k];
      sum2 += trace[k] * trace[k];
      ++n;
    }
  }
  Statistics s;
  s.mean = sum / n;
  s.variance = sum2 / n - s.mean * s.mean;
  return s;
}

}  // namespace

void ExpectBackendsAgree(const Simulated& runtime,
                         const Simulated& standalone) {
  // The same operations in the same order: any difference beyond rounding in
  // the last bits means the backends compute different things.
  double worst = 0;
  for (const auto& [var, traces] : runtime.traces) {
    const auto& other = standalone.traces.at(var);
    ASSERT_EQ(traces.size(), other.size());
    for (size_t n = 0; n < traces.size(); ++n) {
      for (size_t k = 0; k < traces[n].size(); ++k) {
        const double a = traces[n][k];
        const double b = other[n][k];
        const double scale = std::max(std::fabs(a), 1e-300);
        const double relative = std::fabs(a - b) / scale;
        worst = std::max(worst, a == b ? 0.0 : relative);
        ASSERT_LE(relative, 1e-12)
            << var << " of neuron " << n << " at step " << k << ": runtime "
            << a << ", standalone " << b;
      }
    }
  }
  EXPECT_EQ(runtime.spikes, standalone.spikes);
  std::cout
      << "[ measured ] runtime vs standalone: largest relative difference "
      << worst << std::endl;
}

void ExpectMatches(const json& reference, const Simulated& simulated) {
  const json& brian2 = reference.at("brian2");
  const double dt = brian2.at("dt").get<double>();
  if (reference.contains("expect_method")) {
    EXPECT_EQ(simulated.method,
              reference.at("expect_method").get<std::string>())
        << "the automatic choice of integration method differs from Brian2's";
  }
  if (reference.value("compare", "traces") == "statistics") {
    // Independent noise realisations: compare means and variances over
    // neurons and time (after the transient) within a few standard errors.
    const int from = reference.value("statistics_from_step", 0);
    for (const auto& [var, ref_traces_json] : brian2.at("traces").items()) {
      std::vector<std::vector<double>> ref_traces =
          ref_traces_json.get<std::vector<std::vector<double>>>();
      const Statistics a = Stats(ref_traces, from);
      const Statistics b = Stats(simulated.traces.at(var), from);
      const double tolerance = reference.value("statistics_tolerance", 0.05);
      EXPECT_NEAR(b.mean, a.mean, tolerance * std::sqrt(a.variance))
          << var << ": mean differs by more than " << tolerance
          << " standard deviations";
      EXPECT_NEAR(b.variance, a.variance, 4 * tolerance * a.variance)
          << var << ": variance";
    }
    if (brian2.contains("spikes")) {
      size_t ref_count = 0, count = 0;
      for (const json& train : brian2.at("spikes")) ref_count += train.size();
      for (const auto& train : simulated.spikes) count += train.size();
      const double expected = static_cast<double>(ref_count);
      EXPECT_NEAR(static_cast<double>(count), expected,
                  4 * std::sqrt(expected) + 1)
          << "spike counts differ beyond Poisson sampling error";
    }
    return;
  }
  const double relative = reference.value("tolerance", 1e-6);
  double worst_relative = 0;
  for (const auto& [var, ref_traces] : brian2.at("traces").items()) {
    const auto& traces = simulated.traces.at(var);
    ASSERT_EQ(traces.size(), ref_traces.size()) << var;
    for (size_t n = 0; n < traces.size(); ++n) {
      const std::vector<double> ref = ref_traces[n].get<std::vector<double>>();
      ASSERT_EQ(traces[n].size(), ref.size());
      const auto [lo, hi] = std::minmax_element(ref.begin(), ref.end());
      const double range = std::max(*hi - *lo, 1e-300);
      double worst = 0;
      size_t worst_step = 0;
      for (size_t k = 0; k < ref.size(); ++k) {
        const double diff = std::fabs(traces[n][k] - ref[k]);
        if (!(diff <= worst)) {
          worst = diff;
          worst_step = k;
        }
      }
      worst_relative = std::max(worst_relative, worst / range);
      EXPECT_LE(worst, relative * range)
          << var << " of neuron " << n << ": largest difference " << worst
          << " at step " << worst_step << " (Brian2 " << ref[worst_step]
          << ", cellfit " << traces[n][worst_step] << "), range " << range;
    }
  }
  std::cout << "[ measured ] largest difference / range = " << worst_relative
            << std::endl;
  if (brian2.contains("spikes")) {
    const auto& ref_spikes = brian2.at("spikes");
    size_t total = 0;
    for (const json& train : ref_spikes) total += train.size();
    // A case that records spikes is built to produce them; without any, the
    // comparison below would prove nothing.
    EXPECT_GT(total, 0u) << "Brian2 produced no spikes for this case";
    std::cout << "[ measured ] " << total << " spikes compared" << std::endl;
    ASSERT_EQ(simulated.spikes.size(), ref_spikes.size());
    for (size_t n = 0; n < simulated.spikes.size(); ++n) {
      std::vector<long> ref_steps, steps;
      for (const json& t : ref_spikes[n]) {
        ref_steps.push_back(std::lround(t.get<double>() / dt));
      }
      for (double t : simulated.spikes[n]) steps.push_back(std::lround(t / dt));
      EXPECT_EQ(steps, ref_steps) << "spike steps of neuron " << n;
    }
  }
}

}  // namespace cellfit
