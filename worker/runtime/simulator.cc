#include "worker/runtime/simulator.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "worker/runtime/random.h"
#include "worker/runtime/vector_math.h"

namespace cellfit::runtime {
namespace {

using cellfit_vm::Vec;
using cellfit_vm::VecI;
using model::Instruction;
using model::OpCode;
using model::RegisterRole;
using model::StepProgram;

// A block holds kVecs vectors of lanes per register. Full blocks have eight
// vectors, kBlockLanes lanes; a batch's last lanes run in one padded full
// block or in narrower blocks (4, 2, 1 vectors), whichever costs less
// (SplitIntoBlocks).
constexpr int kFullBlockVecs = 8;
constexpr int kBlockLanes = kFullBlockVecs * cellfit_vm::kVecWidth;

// Registers of one block: kVecs vectors per register.
template <int kVecs>
class RegisterFile {
 public:
  explicit RegisterFile(int num_registers)
      : storage_(static_cast<size_t>(num_registers) * kVecs + 1) {}
  Vec* operator[](int reg) {
    return Aligned() + static_cast<size_t>(reg) * kVecs;
  }
  double* lanes(int reg) { return reinterpret_cast<double*>((*this)[reg]); }

 private:
  // std::vector<Vec> may not honour the alignment of Vec (its size: 32 or
  // 64 bytes) with every allocator; keep one spare element and align by hand.
  Vec* Aligned() {
    constexpr uintptr_t kAlign = alignof(Vec);
    auto address = reinterpret_cast<uintptr_t>(storage_.data());
    return reinterpret_cast<Vec*>((address + kAlign - 1) & ~(kAlign - 1));
  }
  std::vector<Vec> storage_;
};

struct BlockContext {
  uint64_t seed = 0;
  int64_t step = 0;
  const int64_t* lane_index = nullptr;  // the block's global lane indices
};

template <int kVecs, typename F>
inline void Unary(Vec* d, const Vec* a, F f) {
  for (int j = 0; j < kVecs; ++j) d[j] = f(a[j]);
}
template <int kVecs, typename F>
inline void Binary(Vec* d, const Vec* a, const Vec* b, F f) {
  for (int j = 0; j < kVecs; ++j) d[j] = f(a[j], b[j]);
}

// An instruction with its registers resolved to addresses in one block's
// register file: bound once per block, so the step loop does no operand
// decoding (that lookup was 5% of the HH model's time).
struct BoundInstruction {
  OpCode op;
  int stream = 0;  // rand/randn: the random stream (the instruction's `a`)
  Vec* d = nullptr;
  const Vec* a = nullptr;
  const Vec* b = nullptr;
  const Vec* c = nullptr;
};

template <int kVecs>
std::vector<BoundInstruction> Bind(const std::vector<Instruction>& code,
                                   RegisterFile<kVecs>& regs) {
  std::vector<BoundInstruction> bound;
  bound.reserve(code.size());
  for (const Instruction& in : code) {
    BoundInstruction& out = bound.emplace_back();
    out.op = in.op;
    out.stream = in.a;
    out.d = regs[in.dst];
    const int n = model::OperandCount(in.op);
    if (n >= 1) out.a = regs[in.a];
    if (n >= 2) out.b = regs[in.b];
    if (n >= 3) out.c = regs[in.c];
  }
  return bound;
}

template <int kVecs>
void Execute(const std::vector<BoundInstruction>& code,
             const BlockContext& context) {
  namespace vm = cellfit_vm;
  for (const BoundInstruction& in : code) {
    Vec* d = in.d;
    const Vec* a = in.a;
    const Vec* b = in.b;
    const Vec* c = in.c;
    switch (in.op) {
      case OpCode::kCopy:
        Unary<kVecs>(d, a, [](Vec x) { return x; });
        break;
      case OpCode::kAdd:
        Binary<kVecs>(d, a, b, vm::OpAdd);
        break;
      case OpCode::kSub:
        Binary<kVecs>(d, a, b, vm::OpSub);
        break;
      case OpCode::kMul:
        Binary<kVecs>(d, a, b, vm::OpMul);
        break;
      case OpCode::kDiv:
        Binary<kVecs>(d, a, b, vm::OpDiv);
        break;
      case OpCode::kPow:
        Binary<kVecs>(d, a, b, vm::OpPow);
        break;
      case OpCode::kMod:
        Binary<kVecs>(d, a, b, vm::OpMod);
        break;
      case OpCode::kFloorDiv:
        Binary<kVecs>(d, a, b, vm::OpFloorDiv);
        break;
      case OpCode::kNeg:
        Unary<kVecs>(d, a, vm::OpNeg);
        break;
      case OpCode::kLess:
        Binary<kVecs>(d, a, b, vm::OpLess);
        break;
      case OpCode::kLessEqual:
        Binary<kVecs>(d, a, b, vm::OpLessEqual);
        break;
      case OpCode::kGreater:
        Binary<kVecs>(d, a, b, vm::OpGreater);
        break;
      case OpCode::kGreaterEqual:
        Binary<kVecs>(d, a, b, vm::OpGreaterEqual);
        break;
      case OpCode::kEqual:
        Binary<kVecs>(d, a, b, vm::OpEqual);
        break;
      case OpCode::kNotEqual:
        Binary<kVecs>(d, a, b, vm::OpNotEqual);
        break;
      case OpCode::kAnd:
        Binary<kVecs>(d, a, b, vm::OpAnd);
        break;
      case OpCode::kOr:
        Binary<kVecs>(d, a, b, vm::OpOr);
        break;
      case OpCode::kNot:
        Unary<kVecs>(d, a, vm::OpNot);
        break;
      case OpCode::kSelect:
        for (int j = 0; j < kVecs; ++j) d[j] = vm::OpSelect(a[j], b[j], c[j]);
        break;
      case OpCode::kClip:
        for (int j = 0; j < kVecs; ++j) d[j] = vm::OpClip(a[j], b[j], c[j]);
        break;
      case OpCode::kExp:
        Unary<kVecs>(d, a, vm::OpExp);
        break;
      case OpCode::kLog:
        Unary<kVecs>(d, a, vm::OpLog);
        break;
      case OpCode::kLog10:
        Unary<kVecs>(d, a, vm::OpLog10);
        break;
      case OpCode::kSqrt:
        Unary<kVecs>(d, a, vm::OpSqrt);
        break;
      case OpCode::kAbs:
        Unary<kVecs>(d, a, vm::OpAbs);
        break;
      case OpCode::kSin:
        Unary<kVecs>(d, a, vm::OpSin);
        break;
      case OpCode::kCos:
        Unary<kVecs>(d, a, vm::OpCos);
        break;
      case OpCode::kTan:
        Unary<kVecs>(d, a, vm::OpTan);
        break;
      case OpCode::kSinh:
        Unary<kVecs>(d, a, vm::OpSinh);
        break;
      case OpCode::kCosh:
        Unary<kVecs>(d, a, vm::OpCosh);
        break;
      case OpCode::kTanh:
        Unary<kVecs>(d, a, vm::OpTanh);
        break;
      case OpCode::kArcsin:
        Unary<kVecs>(d, a, vm::OpArcsin);
        break;
      case OpCode::kArccos:
        Unary<kVecs>(d, a, vm::OpArccos);
        break;
      case OpCode::kArctan:
        Unary<kVecs>(d, a, vm::OpArctan);
        break;
      case OpCode::kFloor:
        Unary<kVecs>(d, a, vm::OpFloor);
        break;
      case OpCode::kCeil:
        Unary<kVecs>(d, a, vm::OpCeil);
        break;
      case OpCode::kExprel:
        Unary<kVecs>(d, a, vm::OpExprel);
        break;
      case OpCode::kSign:
        Unary<kVecs>(d, a, vm::OpSign);
        break;
      case OpCode::kInt:
        Unary<kVecs>(d, a, vm::OpInt);
        break;
      case OpCode::kExpm1:
        Unary<kVecs>(d, a, vm::OpExpm1);
        break;
      case OpCode::kLog1p:
        Unary<kVecs>(d, a, vm::OpLog1p);
        break;
      case OpCode::kRand:
      case OpCode::kRandn: {
        double* lanes = reinterpret_cast<double*>(d);
        for (int l = 0; l < kVecs * cellfit_vm::kVecWidth; ++l) {
          lanes[l] =
              in.op == OpCode::kRand
                  ? vm::RandomUniform(context.seed, context.lane_index[l],
                                      context.step, in.stream)
                  : vm::RandomNormal(context.seed, context.lane_index[l],
                                     context.step, in.stream);
        }
        break;
      }
    }
  }
}

}  // namespace

absl::Status ValidateBatch(const BatchRequest& request) {
  if (request.program == nullptr || request.data == nullptr) {
    return absl::InvalidArgumentError("batch without a program or data");
  }
  const StepProgram& program = *request.program;
  const SimulationData& data = *request.data;
  if (data.n_steps <= 0) {
    return absl::InvalidArgumentError("a simulation needs at least one step");
  }
  if (request.n_params !=
      static_cast<int>(program.parameter_registers.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("the batch has ", request.n_params,
                     " parameters per sample; the model has ",
                     program.parameter_registers.size()));
  }
  for (const Lane& lane : request.lanes) {
    if (lane.sample < 0 || lane.sample >= request.n_samples) {
      return absl::InvalidArgumentError(absl::StrCat(
          "lane refers to sample ", lane.sample, " of ", request.n_samples));
    }
    for (const auto* tables : {&data.inputs, &data.targets}) {
      for (const TraceTable& table : *tables) {
        if (lane.trace < 0 || lane.trace >= table.n_traces) {
          return absl::InvalidArgumentError(absl::StrCat(
              "lane refers to trace ", lane.trace, " of ", table.n_traces));
        }
      }
    }
  }
  for (int reg : program.input_registers) {
    const model::RegisterInfo& info = program.registers[reg];
    const auto& tables = info.is_target ? data.targets : data.inputs;
    if (info.model_index < 0 ||
        info.model_index >= static_cast<int>(tables.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat("no data for ", info.is_target ? "target" : "input",
                       " '", info.name, "'"));
    }
    const TraceTable& table = tables[info.model_index];
    if (table.n_steps != data.n_steps ||
        table.values.size() !=
            static_cast<size_t>(table.n_traces) * table.n_steps) {
      return absl::InvalidArgumentError(
          absl::StrCat("the traces of '", info.name, "' have ", table.n_steps,
                       " steps; the simulation has ", data.n_steps));
    }
  }
  return absl::OkStatus();
}

namespace {

// Runs lanes [first, first + count) of the request as one block of kVecs
// vectors (count <= its lanes).
template <int kVecs>
void RunBlock(const BatchRequest& request, int first, int count,
              BatchResult& result) {
  const StepProgram& program = *request.program;
  const SimulationData& data = *request.data;
  const int n_steps = data.n_steps;
  constexpr int kLanes = kVecs * cellfit_vm::kVecWidth;
  RegisterFile<kVecs> regs(program.num_registers());
  // Padding lanes repeat the block's last lane; their results are dropped.
  const Lane* lanes[kLanes];
  int64_t lane_index[kLanes];
  for (int l = 0; l < kLanes; ++l) {
    lanes[l] = &request.lanes[first + std::min(l, count - 1)];
    lane_index[l] = lanes[l]->index;
  }
  auto fill = [&](int reg, double value) {
    double* v = regs.lanes(reg);
    for (int l = 0; l < kLanes; ++l) v[l] = value;
  };
  for (int reg = 0; reg < program.num_registers(); ++reg) {
    const model::RegisterInfo& info = program.registers[reg];
    switch (info.role) {
      case RegisterRole::kConstant:
        fill(reg, info.constant);
        break;
      case RegisterRole::kDt:
        fill(reg, data.dt);
        break;
      case RegisterRole::kIteration:
        fill(reg, request.iteration);
        break;
      case RegisterRole::kIndex: {
        double* v = regs.lanes(reg);
        for (int l = 0; l < kLanes; ++l) {
          v[l] = static_cast<double>(lanes[l]->index);
        }
        break;
      }
      case RegisterRole::kParameter: {
        double* v = regs.lanes(reg);
        for (int l = 0; l < kLanes; ++l) {
          v[l] = request.params[static_cast<size_t>(lanes[l]->sample) *
                                    request.n_params +
                                info.model_index];
        }
        break;
      }
      default:
        fill(reg, 0.0);
    }
  }
  for (const auto& [reg, value] : program.state_defaults) fill(reg, value);

  BlockContext context;
  context.seed = request.seed;
  context.lane_index = lane_index;
  context.step = -1;  // init draws from its own step number
  Execute<kVecs>(Bind(program.init, regs), context);
  Execute<kVecs>(Bind(program.prologue, regs), context);

  // Rows of every input register's table, per lane.
  struct InputSource {
    double* lanes;
    const double* rows[kLanes];
    int offset;
  };
  std::vector<InputSource> inputs;
  for (int reg : program.input_registers) {
    const model::RegisterInfo& info = program.registers[reg];
    const TraceTable& table = info.is_target ? data.targets[info.model_index]
                                             : data.inputs[info.model_index];
    InputSource source;
    source.lanes = regs.lanes(reg);
    source.offset = info.offset;
    for (int l = 0; l < kLanes; ++l)
      source.rows[l] = table.row(lanes[l]->trace);
    inputs.push_back(source);
  }
  std::vector<double*> recorded(program.record_registers.size());
  const double* spike_lanes =
      program.spike >= 0 ? regs.lanes(program.spike) : nullptr;
  double* time = regs.lanes(program.time);

  const std::vector<BoundInstruction> record = Bind(program.record, regs);
  const std::vector<BoundInstruction> update = Bind(program.update, regs);
  for (int step = 0; step < n_steps; ++step) {
    const double t = step * data.dt;
    for (int l = 0; l < kLanes; ++l) time[l] = t;
    for (InputSource& source : inputs) {
      const int k = std::min(step + source.offset, n_steps - 1);
      for (int l = 0; l < kLanes; ++l) source.lanes[l] = source.rows[l][k];
    }
    context.step = step;
    Execute<kVecs>(record, context);
    for (size_t r = 0; r < program.record_registers.size(); ++r) {
      const double* v = regs.lanes(program.record_registers[r]);
      std::vector<double>& out = result.recordings[r];
      for (int l = 0; l < count; ++l) {
        out[static_cast<size_t>(first + l) * n_steps + step] = v[l];
      }
    }
    Execute<kVecs>(update, context);
    if (request.record_spikes && spike_lanes != nullptr) {
      for (int l = 0; l < count; ++l) {
        if (spike_lanes[l] != 0) result.spikes[first + l].push_back(t);
      }
    }
  }
  context.step = n_steps;
  Execute<kVecs>(Bind(program.final, regs), context);
  for (size_t o = 0; o < program.online_error_registers.size(); ++o) {
    const double* v = regs.lanes(program.online_error_registers[o]);
    for (int l = 0; l < count; ++l) result.online_errors[o][first + l] = v[l];
  }
  if (program.final_value >= 0) {
    const double* v = regs.lanes(program.final_value);
    for (int l = 0; l < count; ++l) result.final_values[first + l] = v[l];
  }
}

// Long recordings are allocated fresh from the kernel, and touching them page
// by page cost as much as simulating into them (a 24 MB recording took 6000
// page faults). Transparent huge pages cut that 512-fold where the kernel
// offers them on request; elsewhere the advice is ignored.
void AdviseHugePages(void* data, size_t bytes) {
  constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
  if (bytes < 2 * kHugePage) return;
  const uintptr_t begin =
      (reinterpret_cast<uintptr_t>(data) + kHugePage - 1) & ~(kHugePage - 1);
  const uintptr_t end =
      (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHugePage - 1);
  if (end > begin) {
    madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
  }
}

struct Block {
  int first = 0;
  int count = 0;  // lanes of the batch in the block
  int vecs = 0;   // kFullBlockVecs, 4, 2 or 1
};

// Full blocks, then the rest. A step of a block costs a fixed dispatch per
// instruction plus the work per vector; for the HH model a block step of 1,
// 2, 4 and 8 four-lane vectors took 0.40, 0.55, 1.0 and 1.4 us. So 6 or 7
// vectors left run as one padded full block (1.4 us against 1.55 or 1.95 us
// in narrower ones), and up to 5 as 4, 2 and 1 vectors, the last block padded
// to whole vectors. A batch pads at most 11 lanes with four-lane vectors (21
// left over run in a full block), 23 with eight.
std::vector<Block> SplitIntoBlocks(int n_lanes) {
  static_assert(kFullBlockVecs == 8, "the narrow widths below halve 8");
  constexpr int kVecWidth = cellfit_vm::kVecWidth;
  std::vector<Block> blocks;
  int first = 0;
  auto add = [&](int vecs) {
    const int count = std::min(vecs * kVecWidth, n_lanes - first);
    blocks.push_back({first, count, vecs});
    first += count;
  };
  while (n_lanes - first >= kBlockLanes) add(kFullBlockVecs);
  const int vecs_left = (n_lanes - first + kVecWidth - 1) / kVecWidth;
  if (vecs_left > 5) {
    add(kFullBlockVecs);
  } else {
    for (int vecs : {4, 2, 1}) {
      if (vecs_left & vecs) add(vecs);
    }
  }
  return blocks;
}

}  // namespace

BatchResult NewBatchResult(const BatchRequest& request) {
  const StepProgram& program = *request.program;
  const size_t n_lanes = request.lanes.size();
  const size_t n_steps = static_cast<size_t>(request.data->n_steps);
  BatchResult result;
  result.n_steps = request.data->n_steps;
  result.recordings.resize(program.record_registers.size());
  for (std::vector<double>& recording : result.recordings) {
    recording.reserve(n_lanes * n_steps);
    AdviseHugePages(recording.data(), n_lanes * n_steps * sizeof(double));
    recording.resize(n_lanes * n_steps);
  }
  result.spikes.resize(n_lanes);
  result.online_errors.resize(program.online_error_registers.size());
  for (std::vector<double>& errors : result.online_errors) {
    errors.resize(n_lanes);
  }
  result.final_values.resize(program.final_value >= 0 ? n_lanes : 0);
  return result;
}

absl::StatusOr<BatchResult> RunBatch(const BatchRequest& request) {
  if (absl::Status status = ValidateBatch(request); !status.ok()) return status;
  const int n_lanes = static_cast<int>(request.lanes.size());
  BatchResult result = NewBatchResult(request);
  const std::vector<Block> blocks = SplitIntoBlocks(n_lanes);
  const int n_blocks = static_cast<int>(blocks.size());
  std::atomic<int> next_block{0};
  auto work = [&] {
    for (int k = next_block++; k < n_blocks; k = next_block++) {
      const Block& block = blocks[k];
      switch (block.vecs) {
        case kFullBlockVecs:
          RunBlock<kFullBlockVecs>(request, block.first, block.count, result);
          break;
        case 4:
          RunBlock<4>(request, block.first, block.count, result);
          break;
        case 2:
          RunBlock<2>(request, block.first, block.count, result);
          break;
        default:
          RunBlock<1>(request, block.first, block.count, result);
      }
    }
  };
  const int threads = std::max(1, std::min(request.threads, n_blocks));
  std::vector<std::thread> pool;
  for (int k = 1; k < threads; ++k) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
  return result;
}

}  // namespace cellfit::runtime
