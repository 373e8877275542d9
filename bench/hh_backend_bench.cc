// cellfit's side of the HH backend benchmark: N neurons x n_steps with the
// runtime (or standalone) backend on one thread, v recorded every step.
// usage: hh_backend_bench {runtime|standalone} N n_steps
// Prints a line in the format of ../shared/bench/brian2_hh_bench.py.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "bench/hh_model.h"
#include "model/step_program.h"
#include "worker/standalone/standalone_backend.h"

int main(int argc, char** argv) {
  using namespace cellfit;
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s {runtime|standalone} N n_steps\n", argv[0]);
    return 1;
  }
  const std::string backend = argv[1];
  const int n = std::atoi(argv[2]);
  const int n_steps = std::atoi(argv[3]);
  auto checked = model::CheckModel(bench::HhModelSpec());
  if (!checked.model) {
    std::fprintf(stderr, "%s\n",
                 checked.diagnostics.ToStatus().ToString().c_str());
    return 1;
  }
  model::LoweringOptions options;
  options.record = {"v"};
  auto program = model::LowerModel(*checked.model, options);
  if (!program.ok()) {
    std::fprintf(stderr, "%s\n", program.status().ToString().c_str());
    return 1;
  }
  const runtime::SimulationData data = bench::HhStimulus(n_steps);
  const std::vector<double> params = bench::HhParameters(n, 0);
  runtime::BatchRequest request;
  request.program = &*program;
  request.data = &data;
  request.params = params.data();
  request.n_samples = n;
  request.n_params = 4;
  request.threads = 1;
  for (int k = 0; k < n; ++k) request.lanes.push_back({k, k % 5, k});
  standalone::StandaloneRunFn run = runtime::RunBatch;
  if (backend == "standalone") {
    std::shared_ptr<const standalone::CompiledProgram> compiled;
    auto runner = standalone::MakeStandaloneRunner(*program, {}, &compiled);
    if (!runner.ok()) {
      std::fprintf(stderr, "%s\n", runner.status().ToString().c_str());
      return 1;
    }
    run = *runner;
    std::fprintf(stderr, "compile_seconds=%.3f (0: from the cache)\n",
                 compiled->compile_seconds);
  } else if (backend != "runtime") {
    std::fprintf(stderr, "unknown backend %s\n", backend.c_str());
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  auto result = run(request);
  const double cpu = double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!result.ok()) {
    std::fprintf(stderr, "%s\n", result.status().ToString().c_str());
    return 1;
  }
  double sum = 0;
  size_t count = 0;
  for (double v : result->recordings[0]) {
    if (v == v) {
      sum += v;
      ++count;
    }
  }
  std::printf(
      "%s N=%d steps=%d wall=%.3fs cpu=%.3fs neuron_steps_per_s=%.3e "
      "v_mean=%.6e\n",
      backend.c_str(), n, n_steps, wall, cpu, double(n) * n_steps / wall,
      sum / count);
  return 0;
}
