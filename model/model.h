// A checked neuron model: every name resolved to a symbol with its dimension,
// every expression dimension-checked and converted to the resolved form
// (expr.h). Built from text by `CheckModel` (checker.h).
#ifndef CELLFIT_MODEL_MODEL_H_
#define CELLFIT_MODEL_MODEL_H_

#include <optional>
#include <string>
#include <vector>

#include "model/dimension.h"
#include "model/expr.h"

namespace cellfit::model {

enum class SymbolKind {
  kState,          // dx/dt = ...
  kSubexpression,  // x = ...
  kParameter,      // x : unit (fitted)
  kInput,      // an input trace (value at the current step, or `offset` later)
  kTarget,     // <var>_target: the recorded output at the step
  kTime,       // t
  kDt,         // dt
  kIndex,      // i: the neuron index as brian2modelfitting numbers neurons
  kIteration,  // iteration: the fitting round
  kLastspike,  // time of the last spike (-1e4 s before any)
  kNotRefractory,  // 1 when not refractory
  kNoise,          // xi, xi_*: white noise (only in differential equations)
  kTemporary,      // introduced by integration methods and lowering
};

enum class ValueType { kFloat, kBoolean, kInteger };

struct Symbol {
  std::string name;
  SymbolKind kind = SymbolKind::kTemporary;
  Dimension dimension;
  ValueType type = ValueType::kFloat;
  int offset = 0;        // kInput/kTarget: read at step k + offset
  int base_symbol = -1;  // kInput/kTarget with offset: the offset-0 symbol
  int index = -1;        // position within its kind (state #, parameter #, ...)
};

struct DifferentialEquation {
  int state = -1;  // symbol id
  ExprPtr rhs;     // as written (subexpressions as symbols)
  bool unless_refractory = false;
};

struct Subexpression {
  int symbol = -1;
  ExprPtr value;  // as written (other subexpressions as symbols)
};

enum class RefractoryKind { kNone, kDuration, kCondition };

struct ResetStatement {
  int target = -1;
  ExprPtr value;  // the new value (x += e becomes x = x + e)
};

struct Model {
  std::vector<Symbol> symbols;
  std::vector<int> states;      // symbol ids in declaration order
  std::vector<int> parameters;  // fitted parameters, declaration order
  std::vector<int> inputs;      // offset-0 input symbols, spec order
  std::vector<int> targets;     // offset-0 target symbols, spec order
  std::vector<int> noises;      // xi symbols in first-use order
  std::vector<DifferentialEquation> equations;  // one per state, same order
  std::vector<Subexpression> subexpressions;    // dependency order
  std::optional<ExprPtr> threshold;
  std::vector<ResetStatement> reset;
  RefractoryKind refractory_kind = RefractoryKind::kNone;
  ExprPtr refractory;  // duration (seconds) or condition
  // Initial values: state or parameter symbol -> expression over parameters
  // and constants; states without one start at 0.
  std::vector<std::pair<int, ExprPtr>> initial_values;
  std::string method;  // the integration method in use
  int penalty = -1;    // symbol read at the end of the run, or -1
  int time = -1, dt = -1, index = -1, iteration = -1;  // builtin symbols
  int lastspike = -1, not_refractory = -1;

  const Symbol& symbol(int id) const { return symbols[id]; }
  // Symbol id for a name, or -1 (inputs/targets at offset 0).
  int Find(std::string_view name) const;
  // The right-hand side of a state's equation with every subexpression
  // replaced by its definition.
  ExprPtr InlinedRhs(int equation_index) const;
  // Any expression with every subexpression replaced by its definition.
  ExprPtr Inline(const ExprPtr& e) const;
  // The symbol for input/target `base` read `offset` steps later (created on
  // first use).
  int ShiftedSymbol(int base, int offset);
  // Name for messages and generated code.
  std::string NameOf(int symbol) const { return symbols[symbol].name; }
  std::string Render(const ExprPtr& e) const;
  int AddSymbol(Symbol s);
};

}  // namespace cellfit::model

#endif  // CELLFIT_MODEL_MODEL_H_
