#include "worker/standalone/standalone_backend.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <utility>
#include <vector>

#include "worker/standalone/codegen.h"

namespace cellfit::standalone {
namespace {

struct SpikeSink {
  std::vector<std::vector<double>>* spikes;
  int first;
  int count;
  double dt;
};

void OnSpike(void* context, int32_t lane, int32_t step) {
  auto* sink = static_cast<SpikeSink*>(context);
  if (lane < sink->count) {
    (*sink->spikes)[sink->first + lane].push_back(step * sink->dt);
  }
}

void RunGroup(const CompiledProgram& compiled,
              const runtime::BatchRequest& request, int first, int count,
              runtime::BatchResult& result) {
  const model::StepProgram& program = *request.program;
  const runtime::SimulationData& data = *request.data;
  const int n_steps = data.n_steps;
  const int group_lanes = compiled.group_lanes();
  const runtime::Lane* lanes[CELLFIT_MAX_GROUP_LANES];
  int64_t lane_index[CELLFIT_MAX_GROUP_LANES];
  for (int l = 0; l < group_lanes; ++l) {
    lanes[l] = &request.lanes[first + std::min(l, count - 1)];
    lane_index[l] = lanes[l]->index;
  }
  std::vector<double> params(static_cast<size_t>(request.n_params) *
                             group_lanes);
  for (int p = 0; p < request.n_params; ++p) {
    for (int l = 0; l < group_lanes; ++l) {
      params[p * group_lanes + l] =
          request
              .params[static_cast<size_t>(lanes[l]->sample) * request.n_params +
                      p];
    }
  }
  std::vector<const double*> input_rows;
  for (int reg : program.input_registers) {
    const model::RegisterInfo& info = program.registers[reg];
    const runtime::TraceTable& table = info.is_target
                                           ? data.targets[info.model_index]
                                           : data.inputs[info.model_index];
    for (int l = 0; l < group_lanes; ++l)
      input_rows.push_back(table.row(lanes[l]->trace));
  }
  std::vector<double> scratch(n_steps);  // recordings of padding lanes
  std::vector<double*> records;
  for (size_t r = 0; r < program.record_registers.size(); ++r) {
    for (int l = 0; l < group_lanes; ++l) {
      records.push_back(l < count ? result.recordings[r].data() +
                                        static_cast<size_t>(first + l) * n_steps
                                  : scratch.data());
    }
  }
  std::vector<double> online(program.online_error_registers.size() *
                             group_lanes);
  std::vector<double> finals(group_lanes);
  SpikeSink sink{&result.spikes, first, count, data.dt};
  CellfitGroupArgs args{};
  args.n_steps = n_steps;
  args.record_spikes = request.record_spikes ? 1 : 0;
  args.dt = data.dt;
  args.iteration = request.iteration;
  args.seed = request.seed;
  args.params = params.data();
  args.lane_index = lane_index;
  args.input_rows = input_rows.data();
  args.records = records.data();
  args.on_spike = OnSpike;
  args.spike_context = &sink;
  args.online_errors = online.data();
  args.final_values = finals.data();
  if (count <= compiled.lane_width) {
    compiled.run_narrow_group(&args);
  } else {
    compiled.run_group(&args);
  }
  for (size_t o = 0; o < program.online_error_registers.size(); ++o) {
    for (int l = 0; l < count; ++l)
      result.online_errors[o][first + l] = online[o * group_lanes + l];
  }
  if (program.final_value >= 0) {
    for (int l = 0; l < count; ++l) result.final_values[first + l] = finals[l];
  }
}

}  // namespace

absl::StatusOr<runtime::BatchResult> RunCompiled(
    const CompiledProgram& compiled, const runtime::BatchRequest& request) {
  if (absl::Status status = runtime::ValidateBatch(request); !status.ok()) {
    return status;
  }
  const int n_lanes = static_cast<int>(request.lanes.size());
  runtime::BatchResult result = runtime::NewBatchResult(request);
  // Wide groups while they would be more than two-thirds full, then narrow
  // ones: a narrow group costs a third of a wide one or a little more (less
  // instruction-level parallelism), so the tail pads to a multiple of a
  // vector's lanes rather than of a group's.
  const int narrow_lanes = compiled.lane_width;
  const int group_lanes = compiled.group_lanes();
  std::vector<std::pair<int, int>> groups;  // first lane, lane count
  for (int first = 0; first < n_lanes;) {
    const int left = n_lanes - first;
    const int count = left > 2 * narrow_lanes ? std::min(group_lanes, left)
                                              : std::min(narrow_lanes, left);
    groups.emplace_back(first, count);
    first += count;
  }
  const int n_groups = static_cast<int>(groups.size());
  std::atomic<int> next{0};
  auto work = [&] {
    for (int g = next++; g < n_groups; g = next++) {
      RunGroup(compiled, request, groups[g].first, groups[g].second, result);
    }
  };
  const int threads = std::max(1, std::min(request.threads, n_groups));
  std::vector<std::thread> pool;
  for (int k = 1; k < threads; ++k) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
  return result;
}

absl::StatusOr<StandaloneRunFn> MakeStandaloneRunner(
    const model::StepProgram& program, const CompilerOptions& options,
    std::shared_ptr<const CompiledProgram>* compiled_out) {
  auto compiled = CompileOrLoad(GenerateSource(program), options);
  if (!compiled.ok() && NativeLaneWidth() != 4 &&
      compiled.status().code() == absl::StatusCode::kInvalidArgument) {
    // Eight-lane vectors need a compiler that targets AVX-512 (a $CXX or
    // flags of the operator's may not); four-lane code compiles anywhere, and
    // any error of the program itself comes back from it the same.
    compiled = CompileOrLoad(GenerateSource(program, 4), options);
  }
  if (!compiled.ok()) return compiled.status();
  if (compiled_out != nullptr) *compiled_out = *compiled;
  std::shared_ptr<const CompiledProgram> shared = *compiled;
  return StandaloneRunFn([shared](const runtime::BatchRequest& request) {
    return RunCompiled(*shared, request);
  });
}

}  // namespace cellfit::standalone
