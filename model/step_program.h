// The step program: a checked model lowered to a flat list of register
// instructions that both simulation backends run (the runtime backend
// interprets it over blocks of lanes; the standalone backend prints it as C++).
// It carries no user text: registers have numbers, names are validated
// identifiers kept only for generated-code readability and debugging.
#ifndef CELLFIT_MODEL_STEP_PROGRAM_H_
#define CELLFIT_MODEL_STEP_PROGRAM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/model.h"

namespace cellfit::model {

enum class OpCode : uint8_t {
  kCopy,  // dst = a
  kAdd,
  kSub,
  kMul,
  kDiv,
  kPow,
  kMod,
  kFloorDiv,
  kNeg,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  kEqual,
  kNotEqual,
  kAnd,
  kOr,
  kNot,
  kSelect,  // dst = a != 0 ? b : c
  kExp,
  kLog,
  kLog10,
  kSqrt,
  kAbs,
  kSin,
  kCos,
  kTan,
  kSinh,
  kCosh,
  kTanh,
  kArcsin,
  kArccos,
  kArctan,
  kFloor,
  kCeil,
  kClip,
  kExprel,
  kSign,
  kInt,
  kExpm1,
  kLog1p,
  kRand,   // dst = uniform [0, 1); `a` is the random stream number
  kRandn,  // dst = standard normal; `a` is the random stream number
};

const char* OpCodeName(OpCode op);
// Number of register operands (kRand/kRandn: 0; `a` is an immediate).
int OperandCount(OpCode op);

struct Instruction {
  OpCode op = OpCode::kCopy;
  int32_t dst = -1;
  int32_t a = -1;
  int32_t b = -1;
  int32_t c = -1;
};

// What a register holds.
enum class RegisterRole : uint8_t {
  kConstant,   // a number, filled once
  kParameter,  // a fitted parameter, per lane
  kState,      // persists across steps (states, lastspike, ...)
  kInput,      // input/target sample at step k + offset, per lane
  kTime,       // t = k*dt
  kDt,
  kIndex,  // i, per lane
  kIteration,
  kInvariant,  // computed once per lane by the prologue
  kTemporary,  // computed within a step
};

struct RegisterInfo {
  RegisterRole role = RegisterRole::kTemporary;
  double constant = 0;     // kConstant
  int model_index = -1;    // kParameter: parameter #; kInput: input/target #
  int offset = 0;          // kInput: step offset (0 or 1)
  bool is_target = false;  // kInput: a recorded output rather than an input
  std::string name;        // identifier for generated code and debugging
};

// What the program should compute besides the state update.
struct LoweringOptions {
  // Variables whose value at each step (before the update, as Brian2's
  // StateMonitor records) the executor copies out; states, subexpressions,
  // parameters, inputs, or `<var>_target`.
  std::vector<std::string> record;
  // Squared error against `<var>_target` accumulated after each step's
  // update and reset, for t >= online_t_start (OnlineTraceFitter).
  std::vector<std::string> online_error_outputs;
  double online_t_start = 0;
  // A variable whose value after the last step the executor reads.
  std::string final_value;
};

struct StepProgram {
  std::vector<RegisterInfo> registers;

  // Sections, run in this order: `init` once per lane (initial values),
  // `prologue` once per lane (lane-invariant values), then at each step
  // `record` (values at t) and `update` (refractoriness, integration,
  // threshold, reset, online error), and `final` once after the last step.
  std::vector<Instruction> init;
  std::vector<Instruction> prologue;
  std::vector<Instruction> record;
  std::vector<Instruction> update;
  std::vector<Instruction> final;

  // Registers with a meaning for the executor (-1 when absent).
  std::vector<int> parameter_registers;  // per model parameter
  std::vector<int> state_registers;      // per model state (equations order)
  int time = -1;
  int dt = -1;
  int index = -1;
  int iteration = -1;
  int lastspike = -1;
  int not_refractory = -1;
  int spike = -1;  // 1 after `update` when the lane spiked this step
  std::vector<int> record_registers;        // per LoweringOptions::record
  std::vector<int> online_error_registers;  // per online output
  int final_value = -1;
  // Input registers to fill before each step: registers with role kInput.
  std::vector<int> input_registers;
  // States the executor sets before `init` (register, value).
  std::vector<std::pair<int, double>> state_defaults;
  int random_streams = 0;  // number of kRand/kRandn instructions

  int num_registers() const { return static_cast<int>(registers.size()); }
  // Text listing of the program, for tests and debugging.
  std::string ToString() const;
};

// Lowers a checked model (with model.method set) to a step program.
absl::StatusOr<StepProgram> LowerModel(const Model& model,
                                       const LoweringOptions& options);

}  // namespace cellfit::model

#endif  // CELLFIT_MODEL_STEP_PROGRAM_H_
