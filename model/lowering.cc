// Lowering of a checked model to the step program: integration method
// applied, subexpressions inlined, common subexpressions shared, lane-invariant
// work hoisted into the prologue, and temporaries reused so that the working
// set of a block of lanes stays small.
#include <algorithm>
#include <cstring>
#include <map>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "model/methods.h"
#include "model/step_program.h"

namespace cellfit::model {
namespace {

OpCode OpCodeFor(Op op) {
  switch (op) {
    case Op::kAdd:
      return OpCode::kAdd;
    case Op::kSub:
      return OpCode::kSub;
    case Op::kMul:
      return OpCode::kMul;
    case Op::kDiv:
      return OpCode::kDiv;
    case Op::kPow:
      return OpCode::kPow;
    case Op::kMod:
      return OpCode::kMod;
    case Op::kFloorDiv:
      return OpCode::kFloorDiv;
    case Op::kNeg:
      return OpCode::kNeg;
    case Op::kLess:
      return OpCode::kLess;
    case Op::kLessEqual:
      return OpCode::kLessEqual;
    case Op::kGreater:
      return OpCode::kGreater;
    case Op::kGreaterEqual:
      return OpCode::kGreaterEqual;
    case Op::kEqual:
      return OpCode::kEqual;
    case Op::kNotEqual:
      return OpCode::kNotEqual;
    case Op::kAnd:
      return OpCode::kAnd;
    case Op::kOr:
      return OpCode::kOr;
    case Op::kNot:
      return OpCode::kNot;
    case Op::kSelect:
      return OpCode::kSelect;
    default:
      return OpCode::kCopy;
  }
}

OpCode OpCodeFor(Func func) {
  switch (func) {
    case Func::kExp:
      return OpCode::kExp;
    case Func::kLog:
      return OpCode::kLog;
    case Func::kLog10:
      return OpCode::kLog10;
    case Func::kSqrt:
      return OpCode::kSqrt;
    case Func::kAbs:
      return OpCode::kAbs;
    case Func::kSin:
      return OpCode::kSin;
    case Func::kCos:
      return OpCode::kCos;
    case Func::kTan:
      return OpCode::kTan;
    case Func::kSinh:
      return OpCode::kSinh;
    case Func::kCosh:
      return OpCode::kCosh;
    case Func::kTanh:
      return OpCode::kTanh;
    case Func::kArcsin:
      return OpCode::kArcsin;
    case Func::kArccos:
      return OpCode::kArccos;
    case Func::kArctan:
      return OpCode::kArctan;
    case Func::kFloor:
      return OpCode::kFloor;
    case Func::kCeil:
      return OpCode::kCeil;
    case Func::kClip:
      return OpCode::kClip;
    case Func::kExprel:
      return OpCode::kExprel;
    case Func::kSign:
      return OpCode::kSign;
    case Func::kInt:
      return OpCode::kInt;
    case Func::kExpm1:
      return OpCode::kExpm1;
    case Func::kLog1p:
      return OpCode::kLog1p;
    case Func::kRand:
      return OpCode::kRand;
    case Func::kRandn:
      return OpCode::kRandn;
  }
  return OpCode::kCopy;
}

// When a value can be computed: at compile time, once per lane, or per step.
enum class Level { kConstant = 0, kInvariant = 1, kVarying = 2 };

class Lowerer {
 public:
  Lowerer(const Model& model, const LoweringOptions& options)
      : model_(model), options_(options) {}

  absl::StatusOr<StepProgram> Run() {
    Model model = model_;  // the method may add temporaries and shifted inputs
    auto update = BuildStateUpdate(model);
    if (!update.ok()) return update.status();
    DeclareRegisters(model);

    // init: initial values of states (parameters take the fitted values).
    section_ = &program_.init;
    for (const auto& [symbol, value] : model.initial_values) {
      if (model.symbol(symbol).kind != SymbolKind::kState) continue;
      const int reg = LowerInto(model.Inline(value), /*hoist=*/false);
      Emit(OpCode::kCopy, symbol_register_.at(symbol), reg);
    }
    ResetStepMemo();

    // record: values at t, before the update.
    section_ = &program_.record;
    for (const std::string& name : options_.record) {
      const int symbol = model.Find(name);
      if (symbol < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "cannot record '", name, "': it is not a variable of the model"));
      }
      const ExprPtr value = model.Inline(Sym(symbol));
      program_.record_registers.push_back(LowerInto(value, true));
    }

    // update.
    section_ = &program_.update;
    LowerRefractoriness(model);
    for (const auto& [temp, value] : update->definitions) {
      const int reg = LowerInto(value, true);
      symbol_register_[temp] = reg;
    }
    std::vector<int> new_values;
    for (const ExprPtr& value : update->new_values) {
      new_values.push_back(LowerInto(value, true));
    }
    for (size_t k = 0; k < new_values.size(); ++k) {
      Emit(OpCode::kCopy, program_.state_registers[k], new_values[k]);
    }
    ResetStepMemo();
    LowerThresholdAndReset(model);
    LowerOnlineError(model);

    // final: a variable's value after the last step.
    section_ = &program_.final;
    ResetStepMemo();
    if (!options_.final_value.empty()) {
      const int symbol = model.Find(options_.final_value);
      if (symbol < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot read '", options_.final_value,
                         "': it is not a variable of the model"));
      }
      program_.final_value = LowerInto(model.Inline(Sym(symbol)), false);
    }

    ReuseTemporaries();
    return std::move(program_);
  }

 private:
  int AddRegister(RegisterInfo info) {
    program_.registers.push_back(std::move(info));
    levels_.push_back(Level::kVarying);
    return static_cast<int>(program_.registers.size()) - 1;
  }

  int ConstantRegister(double value) {
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    if (auto it = constants_.find(bits); it != constants_.end())
      return it->second;
    RegisterInfo info;
    info.role = RegisterRole::kConstant;
    info.constant = value;
    info.name = absl::StrCat("_c", constants_.size());
    const int reg = AddRegister(info);
    levels_[reg] = Level::kConstant;
    constants_[bits] = reg;
    return reg;
  }

  void DeclareRegisters(const Model& model) {
    auto add_symbol = [&](int symbol, RegisterRole role, Level level) {
      RegisterInfo info;
      info.role = role;
      info.name = model.NameOf(symbol);
      const int reg = AddRegister(info);
      levels_[reg] = level;
      symbol_register_[symbol] = reg;
      return reg;
    };
    // A parameter the reset writes changes at spikes: what depends on it
    // must be computed in the steps, not once in the prologue.
    absl::flat_hash_set<int> reset_targets;
    for (const ResetStatement& statement : model.reset) {
      reset_targets.insert(statement.target);
    }
    for (int p : model.parameters) {
      const int reg = add_symbol(
          p, RegisterRole::kParameter,
          reset_targets.contains(p) ? Level::kVarying : Level::kInvariant);
      program_.registers[reg].model_index = model.symbol(p).index;
      program_.parameter_registers.push_back(reg);
    }
    for (const DifferentialEquation& eq : model.equations) {
      const int reg =
          add_symbol(eq.state, RegisterRole::kState, Level::kVarying);
      program_.state_registers.push_back(reg);
      program_.state_defaults.push_back({reg, 0.0});
    }
    program_.time =
        add_symbol(model.time, RegisterRole::kTime, Level::kVarying);
    program_.dt = add_symbol(model.dt, RegisterRole::kDt, Level::kInvariant);
    program_.index =
        add_symbol(model.index, RegisterRole::kIndex, Level::kInvariant);
    program_.iteration = add_symbol(model.iteration, RegisterRole::kIteration,
                                    Level::kInvariant);
    if (model.lastspike >= 0) {
      program_.lastspike =
          add_symbol(model.lastspike, RegisterRole::kState, Level::kVarying);
      program_.state_defaults.push_back({program_.lastspike, -1e4});
      program_.not_refractory = add_symbol(
          model.not_refractory, RegisterRole::kState, Level::kVarying);
      program_.state_defaults.push_back({program_.not_refractory, 1.0});
    }
    // Inputs and targets at every offset the model (after the method) reads.
    for (size_t s = 0; s < model.symbols.size(); ++s) {
      const Symbol& symbol = model.symbols[s];
      if (symbol.kind != SymbolKind::kInput &&
          symbol.kind != SymbolKind::kTarget) {
        continue;
      }
      RegisterInfo info;
      info.role = RegisterRole::kInput;
      info.model_index = symbol.index;
      info.offset = symbol.offset;
      info.is_target = symbol.kind == SymbolKind::kTarget;
      info.name = symbol.offset == 0
                      ? symbol.name
                      : absl::StrCat(symbol.name, "_next", symbol.offset);
      const int reg = AddRegister(info);
      symbol_register_[static_cast<int>(s)] = reg;
      program_.input_registers.push_back(reg);
    }
  }

  int NewTemporary(Level level) {
    RegisterInfo info;
    info.role = level == Level::kInvariant ? RegisterRole::kInvariant
                                           : RegisterRole::kTemporary;
    info.name = absl::StrCat(level == Level::kInvariant ? "_inv" : "_t",
                             program_.registers.size());
    const int reg = AddRegister(info);
    levels_[reg] = level;
    return reg;
  }

  void Emit(OpCode op, int dst, int a = -1, int b = -1, int c = -1) {
    section_->push_back(Instruction{op, dst, a, b, c});
  }

  void ResetStepMemo() {
    // Values computed from states are stale once a state register is written.
    step_memo_.clear();
    pointer_memo_.clear();
  }

  // Lowers `e`, returning the register that holds its value. With `hoist`,
  // lane-invariant parts go to the prologue.
  int LowerInto(const ExprPtr& e, bool hoist) {
    hoist_ = hoist;
    return Lower(e);
  }

  int Lower(const ExprPtr& e) {
    if (auto it = pointer_memo_.find(e.get()); it != pointer_memo_.end()) {
      return it->second.second;
    }
    const int reg = LowerUncached(e);
    // The memo holds the expression so that its address is not reused by a
    // different expression while the entry exists.
    if (!(e->op == Op::kCall && IsRandom(e->func)))
      pointer_memo_[e.get()] = {e, reg};
    return reg;
  }

  int LowerUncached(const ExprPtr& e) {
    switch (e->op) {
      case Op::kConst:
        return ConstantRegister(e->value);
      case Op::kSymbol: {
        auto it = symbol_register_.find(e->symbol);
        if (it != symbol_register_.end()) return it->second;
        // Subexpressions are inlined before lowering; anything else is a bug.
        return ConstantRegister(0);
      }
      default:
        break;
    }
    if (e->op == Op::kPow && IsConst(e->args[1], 2)) {
      // x**2 as x*x: the same correctly rounded value as pow(x, 2), faster.
      const int x = Lower(e->args[0]);
      return EmitValue(OpCode::kMul, {x, x});
    }
    if (e->op == Op::kCall && IsRandom(e->func)) {
      const int dst = NewTemporary(Level::kVarying);
      Emit(OpCodeFor(e->func), dst, program_.random_streams++);
      return dst;
    }
    std::vector<int> args;
    for (const ExprPtr& a : e->args) args.push_back(Lower(a));
    const OpCode op =
        e->op == Op::kCall ? OpCodeFor(e->func) : OpCodeFor(e->op);
    return EmitValue(op, args);
  }

  // Emits `op` over `args` unless an identical computation exists.
  int EmitValue(OpCode op, const std::vector<int>& args) {
    if (op == OpCode::kDiv && levels_[args[0]] == Level::kVarying &&
        levels_[args[1]] == Level::kConstant) {
      // x/c as x*(1/c) for a number c, as Brian2 writes it: its code
      // generator folds the numbers of a product, divisors included, into
      // one factor. A division by a parameter, dt or t stays a division, as
      // in Brian2 (int(t/dt) differs at whole numbers otherwise).
      const int reciprocal =
          EmitValue(OpCode::kDiv, {ConstantRegister(1.0), args[1]});
      return EmitValue(OpCode::kMul, {args[0], reciprocal});
    }
    Level level = Level::kConstant;
    for (int a : args) level = std::max(level, levels_[a]);
    const auto key = std::make_tuple(static_cast<int>(op), Arg(args, 0),
                                     Arg(args, 1), Arg(args, 2));
    const bool invariant = level <= Level::kInvariant;
    if (invariant) {
      if (auto it = invariant_memo_.find(key); it != invariant_memo_.end()) {
        return it->second;
      }
    } else if (auto it = step_memo_.find(key); it != step_memo_.end()) {
      return it->second;
    }
    if (level == Level::kConstant) {
      // Fold now: both backends would compute the same value at every step.
      double values[3] = {0, 0, 0};
      for (size_t k = 0; k < args.size(); ++k) {
        values[k] = program_.registers[args[k]].constant;
      }
      const int reg = ConstantRegister(EvaluateOp(op, values));
      invariant_memo_[key] = reg;
      return reg;
    }
    const bool to_prologue = invariant && hoist_;
    const int dst =
        NewTemporary(invariant ? Level::kInvariant : Level::kVarying);
    if (!to_prologue && invariant) {
      // Computed in a once-per-lane section (init/final): a plain temporary.
      program_.registers[dst].role = RegisterRole::kTemporary;
      levels_[dst] = Level::kVarying;
    }
    std::vector<Instruction>& target =
        to_prologue ? program_.prologue : *section_;
    target.push_back(
        Instruction{op, dst, Arg(args, 0), Arg(args, 1), Arg(args, 2)});
    if (to_prologue) {
      invariant_memo_[key] = dst;
    } else {
      step_memo_[key] = dst;
    }
    return dst;
  }

  static int Arg(const std::vector<int>& args, size_t k) {
    return k < args.size() ? args[k] : -1;
  }

  static double EvaluateOp(OpCode op, const double* v) {
    switch (op) {
      case OpCode::kCopy:
        return v[0];
      case OpCode::kAdd:
        return ApplyBinary(Op::kAdd, v[0], v[1]);
      case OpCode::kSub:
        return ApplyBinary(Op::kSub, v[0], v[1]);
      case OpCode::kMul:
        return ApplyBinary(Op::kMul, v[0], v[1]);
      case OpCode::kDiv:
        return ApplyBinary(Op::kDiv, v[0], v[1]);
      case OpCode::kPow:
        return ApplyBinary(Op::kPow, v[0], v[1]);
      case OpCode::kMod:
        return ApplyBinary(Op::kMod, v[0], v[1]);
      case OpCode::kFloorDiv:
        return ApplyBinary(Op::kFloorDiv, v[0], v[1]);
      case OpCode::kNeg:
        return -v[0];
      case OpCode::kLess:
        return ApplyBinary(Op::kLess, v[0], v[1]);
      case OpCode::kLessEqual:
        return ApplyBinary(Op::kLessEqual, v[0], v[1]);
      case OpCode::kGreater:
        return ApplyBinary(Op::kGreater, v[0], v[1]);
      case OpCode::kGreaterEqual:
        return ApplyBinary(Op::kGreaterEqual, v[0], v[1]);
      case OpCode::kEqual:
        return ApplyBinary(Op::kEqual, v[0], v[1]);
      case OpCode::kNotEqual:
        return ApplyBinary(Op::kNotEqual, v[0], v[1]);
      case OpCode::kAnd:
        return ApplyBinary(Op::kAnd, v[0], v[1]);
      case OpCode::kOr:
        return ApplyBinary(Op::kOr, v[0], v[1]);
      case OpCode::kNot:
        return v[0] == 0 ? 1.0 : 0.0;
      case OpCode::kSelect:
        return v[0] != 0 ? v[1] : v[2];
      case OpCode::kExp: {
        const double a[1] = {v[0]};
        return ApplyFunc(Func::kExp, a);
      }
      default:
        break;
    }
    // Functions: map back to Func.
    static const std::map<OpCode, Func> kFuncs = {
        {OpCode::kLog, Func::kLog},       {OpCode::kLog10, Func::kLog10},
        {OpCode::kSqrt, Func::kSqrt},     {OpCode::kAbs, Func::kAbs},
        {OpCode::kSin, Func::kSin},       {OpCode::kCos, Func::kCos},
        {OpCode::kTan, Func::kTan},       {OpCode::kSinh, Func::kSinh},
        {OpCode::kCosh, Func::kCosh},     {OpCode::kTanh, Func::kTanh},
        {OpCode::kArcsin, Func::kArcsin}, {OpCode::kArccos, Func::kArccos},
        {OpCode::kArctan, Func::kArctan}, {OpCode::kFloor, Func::kFloor},
        {OpCode::kCeil, Func::kCeil},     {OpCode::kClip, Func::kClip},
        {OpCode::kExprel, Func::kExprel}, {OpCode::kSign, Func::kSign},
        {OpCode::kInt, Func::kInt},       {OpCode::kExpm1, Func::kExpm1},
        {OpCode::kLog1p, Func::kLog1p}};
    return ApplyFunc(kFuncs.at(op), v);
  }

  void LowerRefractoriness(const Model& model) {
    if (model.refractory_kind == RefractoryKind::kNone) return;
    const ExprPtr t = Sym(model.time);
    const ExprPtr dt = Sym(model.dt);
    const ExprPtr nr = Sym(model.not_refractory);
    ExprPtr value;
    if (model.refractory_kind == RefractoryKind::kDuration) {
      // not_refractory = timestep(t - lastspike, dt) >= timestep(ref, dt)
      auto timestep = [&](const ExprPtr& time) {
        return Call(Func::kInt, {Div(Add(time, Mul(Const(1e-3), dt)), dt)});
      };
      value = Binary(Op::kGreaterEqual, timestep(Sub(t, Sym(model.lastspike))),
                     timestep(model.Inline(model.refractory)));
    } else {
      // not_refractory = not_refractory or not (condition)
      value =
          Binary(Op::kOr, nr, Unary(Op::kNot, model.Inline(model.refractory)));
    }
    const int reg = LowerInto(value, true);
    Emit(OpCode::kCopy, program_.not_refractory, reg);
    ResetStepMemo();
  }

  void LowerThresholdAndReset(const Model& model) {
    if (!model.threshold) return;
    ExprPtr condition = model.Inline(*model.threshold);
    if (model.not_refractory >= 0) {
      condition = Binary(Op::kAnd, condition, Sym(model.not_refractory));
    }
    const int cond = LowerInto(condition, true);
    RegisterInfo info;
    info.role = RegisterRole::kTemporary;
    info.name = "_spike";
    program_.spike = AddRegister(info);
    Emit(OpCode::kCopy, program_.spike, cond);
    if (model.lastspike >= 0) {
      Emit(OpCode::kSelect, program_.lastspike, program_.spike, program_.time,
           program_.lastspike);
      Emit(OpCode::kSelect, program_.not_refractory, program_.spike,
           ConstantRegister(0), program_.not_refractory);
    }
    ResetStepMemo();
    for (const ResetStatement& statement : model.reset) {
      const int value = LowerInto(model.Inline(statement.value), true);
      const int target = symbol_register_.at(statement.target);
      Emit(OpCode::kSelect, target, program_.spike, value, target);
      ResetStepMemo();
    }
  }

  void LowerOnlineError(const Model& model) {
    for (const std::string& output : options_.online_error_outputs) {
      const int variable = model.Find(output);
      const int target = model.Find(absl::StrCat(output, "_target"));
      RegisterInfo info;
      info.role = RegisterRole::kState;
      info.name = absl::StrCat("_online_error_", output);
      const int reg = AddRegister(info);
      program_.state_defaults.push_back({reg, 0.0});
      program_.online_error_registers.push_back(reg);
      if (variable < 0 || target < 0) continue;
      // total_error += (v - v_target)**2 * int(t >= t_start), after reset.
      const ExprPtr diff = Sub(model.Inline(Sym(variable)), Sym(target));
      const ExprPtr term =
          Mul(Mul(diff, diff),
              Call(Func::kInt, {Binary(Op::kGreaterEqual, Sym(model.time),
                                       Const(options_.online_t_start))}));
      const int value = LowerInto(term, true);
      Emit(OpCode::kAdd, reg, reg, value);
    }
  }

  // Maps the temporaries of the per-step sections onto as few registers as
  // possible (a value's register is free after its last use), so that a block
  // of lanes keeps its working set in the L1 cache.
  void ReuseTemporaries() {
    const int n = program_.num_registers();
    auto is_temp = [&](int r) {
      return r >= 0 && program_.registers[r].role == RegisterRole::kTemporary &&
             r != program_.spike;
    };
    // The step sections run as one sequence: record, then update.
    std::vector<Instruction*> sequence;
    for (auto* section : {&program_.record, &program_.update}) {
      for (Instruction& in : *section) sequence.push_back(&in);
    }
    const int length = static_cast<int>(sequence.size());
    std::vector<int> last_use(n, -1);
    for (int k = 0; k < length; ++k) {
      for (int operand : {sequence[k]->a, sequence[k]->b, sequence[k]->c}) {
        if (is_temp(operand)) last_use[operand] = k;
      }
    }
    // The executor copies recorded values out between the two sections.
    const int record_end = static_cast<int>(program_.record.size());
    for (int reg : program_.record_registers) {
      if (is_temp(reg)) last_use[reg] = std::max(last_use[reg], record_end - 1);
    }
    std::vector<int> mapping(n, -1);
    std::vector<int> free_registers;
    std::vector<std::vector<int>> dying(length + 1);
    for (int k = 0; k < length; ++k) {
      Instruction& in = *sequence[k];
      for (int* operand : {&in.a, &in.b, &in.c}) {
        if (is_temp(*operand)) *operand = mapping[*operand];
      }
      // Operands are read before the result is written, lane by lane, so a
      // value whose last use is this instruction can hold its result.
      for (int physical : dying[k]) free_registers.push_back(physical);
      if (is_temp(in.dst) && mapping[in.dst] < 0) {
        int physical = in.dst;
        if (!free_registers.empty()) {
          physical = free_registers.back();
          free_registers.pop_back();
        }
        mapping[in.dst] = physical;
        const int dies = std::max(last_use[in.dst], k);
        dying[std::min(dies + (last_use[in.dst] < 0 ? 1 : 0), length)]
            .push_back(physical);
      }
      if (is_temp(in.dst)) in.dst = mapping[in.dst];
    }
    for (int& reg : program_.record_registers) {
      if (is_temp(reg) && mapping[reg] >= 0) reg = mapping[reg];
    }
  }

  const Model& model_;
  const LoweringOptions& options_;
  StepProgram program_;
  std::vector<Level> levels_;
  std::vector<Instruction>* section_ = nullptr;
  bool hoist_ = false;
  std::unordered_map<int, int> symbol_register_;
  std::unordered_map<uint64_t, int> constants_;
  std::map<std::tuple<int, int, int, int>, int> invariant_memo_;
  std::map<std::tuple<int, int, int, int>, int> step_memo_;
  std::unordered_map<const Expr*, std::pair<ExprPtr, int>> pointer_memo_;
};

}  // namespace

const char* OpCodeName(OpCode op) {
  switch (op) {
    case OpCode::kCopy:
      return "copy";
    case OpCode::kAdd:
      return "add";
    case OpCode::kSub:
      return "sub";
    case OpCode::kMul:
      return "mul";
    case OpCode::kDiv:
      return "div";
    case OpCode::kPow:
      return "pow";
    case OpCode::kMod:
      return "mod";
    case OpCode::kFloorDiv:
      return "floordiv";
    case OpCode::kNeg:
      return "neg";
    case OpCode::kLess:
      return "lt";
    case OpCode::kLessEqual:
      return "le";
    case OpCode::kGreater:
      return "gt";
    case OpCode::kGreaterEqual:
      return "ge";
    case OpCode::kEqual:
      return "eq";
    case OpCode::kNotEqual:
      return "ne";
    case OpCode::kAnd:
      return "and";
    case OpCode::kOr:
      return "or";
    case OpCode::kNot:
      return "not";
    case OpCode::kSelect:
      return "select";
    case OpCode::kExp:
      return "exp";
    case OpCode::kLog:
      return "log";
    case OpCode::kLog10:
      return "log10";
    case OpCode::kSqrt:
      return "sqrt";
    case OpCode::kAbs:
      return "abs";
    case OpCode::kSin:
      return "sin";
    case OpCode::kCos:
      return "cos";
    case OpCode::kTan:
      return "tan";
    case OpCode::kSinh:
      return "sinh";
    case OpCode::kCosh:
      return "cosh";
    case OpCode::kTanh:
      return "tanh";
    case OpCode::kArcsin:
      return "arcsin";
    case OpCode::kArccos:
      return "arccos";
    case OpCode::kArctan:
      return "arctan";
    case OpCode::kFloor:
      return "floor";
    case OpCode::kCeil:
      return "ceil";
    case OpCode::kClip:
      return "clip";
    case OpCode::kExprel:
      return "exprel";
    case OpCode::kSign:
      return "sign";
    case OpCode::kInt:
      return "int";
    case OpCode::kExpm1:
      return "expm1";
    case OpCode::kLog1p:
      return "log1p";
    case OpCode::kRand:
      return "rand";
    case OpCode::kRandn:
      return "randn";
  }
  return "?";
}

int OperandCount(OpCode op) {
  switch (op) {
    case OpCode::kRand:
    case OpCode::kRandn:
      return 0;
    case OpCode::kSelect:
    case OpCode::kClip:
      return 3;
    case OpCode::kAdd:
    case OpCode::kSub:
    case OpCode::kMul:
    case OpCode::kDiv:
    case OpCode::kPow:
    case OpCode::kMod:
    case OpCode::kFloorDiv:
    case OpCode::kLess:
    case OpCode::kLessEqual:
    case OpCode::kGreater:
    case OpCode::kGreaterEqual:
    case OpCode::kEqual:
    case OpCode::kNotEqual:
    case OpCode::kAnd:
    case OpCode::kOr:
      return 2;
    default:
      return 1;
  }
}

std::string StepProgram::ToString() const {
  std::string out;
  auto name = [&](int r) {
    if (r < 0) return std::string("-");
    const RegisterInfo& info = registers[r];
    if (info.role == RegisterRole::kConstant)
      return absl::StrCat(info.constant);
    return info.name.empty() ? absl::StrCat("r", r) : info.name;
  };
  auto section = [&](const char* title, const std::vector<Instruction>& code) {
    absl::StrAppend(&out, title, ":\n");
    for (const Instruction& in : code) {
      absl::StrAppend(&out, "  ", name(in.dst), " = ", OpCodeName(in.op));
      const int n = OperandCount(in.op);
      if (n == 0) absl::StrAppend(&out, " #", in.a);
      if (n >= 1) absl::StrAppend(&out, " ", name(in.a));
      if (n >= 2) absl::StrAppend(&out, ", ", name(in.b));
      if (n >= 3) absl::StrAppend(&out, ", ", name(in.c));
      absl::StrAppend(&out, "\n");
    }
  };
  section("init", init);
  section("prologue", prologue);
  section("record", record);
  section("update", update);
  section("final", final);
  return out;
}

absl::StatusOr<StepProgram> LowerModel(const Model& model,
                                       const LoweringOptions& options) {
  return Lowerer(model, options).Run();
}

}  // namespace cellfit::model
