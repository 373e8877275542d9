#include "model/checker.h"

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "model/ast.h"
#include "model/methods.h"
#include "model/parser.h"
#include "model/units.h"

namespace cellfit::model {
namespace {

// ---------------------------------------------------------------------------
// Names

constexpr std::string_view kPythonKeywords[] = {
    "False",  "None",   "True",    "and",      "as",       "assert", "async",
    "await",  "break",  "class",   "continue", "def",      "del",    "elif",
    "else",   "except", "finally", "for",      "from",     "global", "if",
    "import", "in",     "is",      "lambda",   "nonlocal", "not",    "or",
    "pass",   "raise",  "return",  "try",      "while",    "with",   "yield"};

// Names with a meaning of their own in Brian2 and brian2modelfitting.
constexpr std::string_view kReservedNames[] = {"t",
                                               "dt",
                                               "t_in_timesteps",
                                               "xi",
                                               "i",
                                               "N",
                                               "not_refractory",
                                               "lastspike",
                                               "refractory",
                                               "refractory_until",
                                               "iteration",
                                               "spikes"};

struct FunctionInfo {
  std::string_view name;
  Func func;
};

constexpr FunctionInfo kFunctions[] = {
    {"exp", Func::kExp},       {"log", Func::kLog},
    {"log10", Func::kLog10},   {"sqrt", Func::kSqrt},
    {"abs", Func::kAbs},       {"sin", Func::kSin},
    {"cos", Func::kCos},       {"tan", Func::kTan},
    {"sinh", Func::kSinh},     {"cosh", Func::kCosh},
    {"tanh", Func::kTanh},     {"arcsin", Func::kArcsin},
    {"arccos", Func::kArccos}, {"arctan", Func::kArctan},
    {"floor", Func::kFloor},   {"ceil", Func::kCeil},
    {"clip", Func::kClip},     {"exprel", Func::kExprel},
    {"sign", Func::kSign},     {"int", Func::kInt},
    {"expm1", Func::kExpm1},   {"log1p", Func::kLog1p},
    {"rand", Func::kRand},     {"randn", Func::kRandn}};

std::optional<Func> LookupFunction(std::string_view name) {
  for (const FunctionInfo& f : kFunctions) {
    if (f.name == name) return f.func;
  }
  return std::nullopt;
}

bool IsFunctionName(std::string_view name) {
  return LookupFunction(name).has_value() || name == "timestep" ||
         name == "poisson";
}

bool IsDefaultConstant(std::string_view name) {
  return name == "pi" || name == "e" || name == "inf";
}

std::optional<double> DefaultConstant(std::string_view name) {
  if (name == "pi") return M_PI;
  if (name == "e") return M_E;
  if (name == "inf") return std::numeric_limits<double>::infinity();
  return std::nullopt;
}

bool IsNoiseName(std::string_view name) {
  return name == "xi" || (name.size() > 3 && name.substr(0, 3) == "xi_");
}

// Brian2's rules for a variable name; empty when the name is acceptable.
std::string CheckVariableName(const std::string& name) {
  if (name.empty()) return "empty variable name";
  for (std::string_view keyword : kPythonKeywords) {
    if (name == keyword) {
      return absl::StrCat("'", name,
                          "' is a Python keyword and cannot be used as a "
                          "variable.");
    }
  }
  if (name[0] == '_') {
    return absl::StrCat("Variable '", name,
                        "' starts with an underscore, this is only allowed "
                        "for variables used internally");
  }
  for (std::string_view reserved : kReservedNames) {
    if (name == reserved) {
      return absl::StrCat("'", name,
                          "' has a special meaning in equations and cannot be "
                          "used as a variable name.");
    }
  }
  if (IsNoiseName(name)) {
    return absl::StrCat("'", name,
                        "' has a special meaning in equations and cannot be "
                        "used as a variable name.");
  }
  if (LookupUnit(name)) {
    return absl::StrCat("'", name,
                        "' is the name of a unit, cannot be used as a "
                        "variable name.");
  }
  if (IsFunctionName(name)) {
    return absl::StrCat("'", name,
                        "' is the name of a function, cannot be used as a "
                        "variable name.");
  }
  if (IsDefaultConstant(name)) {
    return absl::StrCat("'", name,
                        "' is the name of a constant, cannot be used as a "
                        "variable name.");
  }
  return "";
}

std::string DimText(const Dimension& d) { return d.DisplayUnit(); }

// ---------------------------------------------------------------------------
// Expressions: AST -> resolved Expr with dimension and type.

struct Typed {
  ExprPtr expr;
  Dimension dimension;
  ValueType type = ValueType::kFloat;
  bool is_boolean() const { return type == ValueType::kBoolean; }
};

// Resolves a name in some context. Returns the typed value, or nullopt after
// reporting why the name is not usable.
using NameResolver = std::function<std::optional<Typed>(const AstNode& node)>;

class ExpressionConverter {
 public:
  ExpressionConverter(std::string field, Diagnostics& diagnostics,
                      NameResolver resolve)
      : field_(std::move(field)),
        diagnostics_(diagnostics),
        resolve_(std::move(resolve)) {}

  std::optional<Typed> Convert(const AstNode& node) {
    switch (node.kind) {
      case AstNode::Kind::kNumber: {
        Typed t{Const(node.number), Dimension(), ValueType::kFloat};
        if (node.name == "True" || node.name == "False") {
          t.type = ValueType::kBoolean;
        } else if (node.integer_literal) {
          t.type = ValueType::kInteger;
        }
        return t;
      }
      case AstNode::Kind::kName:
        return resolve_(node);
      case AstNode::Kind::kUnary:
        return ConvertUnary(node);
      case AstNode::Kind::kBinary:
        return ConvertBinary(node);
      case AstNode::Kind::kCall:
        return ConvertCall(node);
    }
    return std::nullopt;
  }

  // Brian2's prefix for unit errors inside an equation, e.g.
  // "Inconsistent units in subexpression x: ".
  void set_unit_context(std::string context) {
    unit_context_ = std::move(context);
  }

  // At the node's defining token (an operator, a call's name, a name).
  void Error(const AstNode& node, std::string message) {
    diagnostics_.Add(field_, node.location, std::move(message));
  }
  // At the start of the node's text (for messages about a whole operand).
  void ErrorAtStart(const AstNode& node, std::string message) {
    diagnostics_.Add(field_, node.start, std::move(message));
  }
  // Unit errors, with the equation they occur in.
  void UnitError(const AstNode& node, std::string message) {
    Error(node, absl::StrCat(unit_context_, message));
  }
  void UnitErrorAtStart(const AstNode& node, std::string message) {
    ErrorAtStart(node, absl::StrCat(unit_context_, message));
  }

 private:
  std::optional<Typed> ConvertUnary(const AstNode& node) {
    auto operand = Convert(*node.children[0]);
    if (!operand) return std::nullopt;
    switch (node.unary_op) {
      case UnaryOp::kNegate:
        return Typed{Neg(operand->expr), operand->dimension,
                     operand->type == ValueType::kBoolean ? ValueType::kInteger
                                                          : operand->type};
      case UnaryOp::kPlus:
        return operand;
      case UnaryOp::kNot:
        if (!operand->dimension.is_dimensionless()) {
          UnitError(node,
                    absl::StrCat("'not' needs a boolean operand, but '",
                                 AstToString(*node.children[0]), "' has unit ",
                                 DimText(operand->dimension)));
          return std::nullopt;
        }
        return Typed{Unary(Op::kNot, operand->expr), Dimension(),
                     ValueType::kBoolean};
    }
    return std::nullopt;
  }

  std::optional<Typed> ConvertBinary(const AstNode& node) {
    auto lhs = Convert(*node.children[0]);
    auto rhs = Convert(*node.children[1]);
    if (!lhs || !rhs) return std::nullopt;
    // The operands' text, only built for a message.
    const auto left_text = [&] { return AstToString(*node.children[0]); };
    const auto right_text = [&] { return AstToString(*node.children[1]); };
    auto mismatch = [&](const char* symbol) {
      UnitError(node,
                absl::StrCat("Expression '", left_text(), " ", symbol, " ",
                             right_text(), "' uses inconsistent units ('",
                             left_text(), "' has unit ",
                             DimText(lhs->dimension), "; '", right_text(),
                             "' has unit ", DimText(rhs->dimension), ")."));
    };
    const bool both_integer =
        lhs->type != ValueType::kFloat && rhs->type != ValueType::kFloat;
    const ValueType numeric_type =
        both_integer ? ValueType::kInteger : ValueType::kFloat;
    switch (node.binary_op) {
      case BinaryOp::kAdd:
      case BinaryOp::kSub:
      case BinaryOp::kMod: {
        if (!(lhs->dimension == rhs->dimension)) {
          mismatch(BinaryOpSymbol(node.binary_op));
          return std::nullopt;
        }
        const Op op = node.binary_op == BinaryOp::kAdd   ? Op::kAdd
                      : node.binary_op == BinaryOp::kSub ? Op::kSub
                                                         : Op::kMod;
        return Typed{Binary(op, lhs->expr, rhs->expr), lhs->dimension,
                     numeric_type};
      }
      case BinaryOp::kMul:
        return Typed{Mul(lhs->expr, rhs->expr), lhs->dimension * rhs->dimension,
                     numeric_type};
      case BinaryOp::kDiv:
        return Typed{Div(lhs->expr, rhs->expr), lhs->dimension / rhs->dimension,
                     ValueType::kFloat};
      case BinaryOp::kFloorDiv:
        if (!lhs->dimension.is_dimensionless() ||
            !rhs->dimension.is_dimensionless()) {
          UnitError(node,
                    "Floor division can only be used on dimensionless "
                    "values.");
          return std::nullopt;
        }
        return Typed{Binary(Op::kFloorDiv, lhs->expr, rhs->expr), Dimension(),
                     numeric_type};
      case BinaryOp::kPow: {
        if (!rhs->dimension.is_dimensionless()) {
          UnitErrorAtStart(
              *node.children[1],
              absl::StrCat("The exponent '", right_text(),
                           "' must be dimensionless, but it has unit ",
                           DimText(rhs->dimension), "."));
          return std::nullopt;
        }
        Dimension result;
        if (!lhs->dimension.is_dimensionless()) {
          if (!IsConst(rhs->expr)) {
            UnitErrorAtStart(*node.children[1],
                             absl::StrCat("The exponent '", right_text(),
                                          "' of a quantity with units (",
                                          DimText(lhs->dimension),
                                          ") must be a constant number."));
            return std::nullopt;
          }
          auto exponent = Rational::FromDouble(rhs->expr->value);
          if (!exponent) {
            UnitErrorAtStart(*node.children[1],
                             absl::StrCat("The exponent ", rhs->expr->value,
                                          " of a quantity with units must be a "
                                          "simple fraction."));
            return std::nullopt;
          }
          result = lhs->dimension.Power(*exponent);
        }
        return Typed{Binary(Op::kPow, lhs->expr, rhs->expr), result,
                     ValueType::kFloat};
      }
      case BinaryOp::kLess:
      case BinaryOp::kLessEqual:
      case BinaryOp::kGreater:
      case BinaryOp::kGreaterEqual:
      case BinaryOp::kEqual:
      case BinaryOp::kNotEqual: {
        if (!(lhs->dimension == rhs->dimension)) {
          UnitError(
              node,
              absl::StrCat("Comparison of expressions with different "
                           "units. Expression '",
                           left_text(), "' has unit (", DimText(lhs->dimension),
                           "), while expression '", right_text(),
                           "' has units (", DimText(rhs->dimension), ")."));
          return std::nullopt;
        }
        static const std::map<BinaryOp, Op> kOps = {
            {BinaryOp::kLess, Op::kLess},
            {BinaryOp::kLessEqual, Op::kLessEqual},
            {BinaryOp::kGreater, Op::kGreater},
            {BinaryOp::kGreaterEqual, Op::kGreaterEqual},
            {BinaryOp::kEqual, Op::kEqual},
            {BinaryOp::kNotEqual, Op::kNotEqual}};
        return Typed{Binary(kOps.at(node.binary_op), lhs->expr, rhs->expr),
                     Dimension(), ValueType::kBoolean};
      }
      case BinaryOp::kAnd:
      case BinaryOp::kOr: {
        for (const auto* operand : {&*lhs, &*rhs}) {
          if (!operand->is_boolean()) {
            const bool left = operand == &*lhs;
            ErrorAtStart(*node.children[left ? 0 : 1],
                         absl::StrCat("'", BinaryOpSymbol(node.binary_op),
                                      "' needs boolean operands, but '",
                                      left ? left_text() : right_text(),
                                      "' is not a boolean expression."));
            return std::nullopt;
          }
        }
        return Typed{
            Binary(node.binary_op == BinaryOp::kAnd ? Op::kAnd : Op::kOr,
                   lhs->expr, rhs->expr),
            Dimension(), ValueType::kBoolean};
      }
    }
    return std::nullopt;
  }

  std::optional<Typed> ConvertCall(const AstNode& node) {
    const std::string& name = node.name;
    const size_t n_args = node.children.size();
    if (name == "timestep") {
      if (n_args != 2) {
        Error(node, absl::StrCat("Function 'timestep' was called with ", n_args,
                                 " parameters, needs 2."));
        return std::nullopt;
      }
      auto time = Convert(*node.children[0]);
      auto step = Convert(*node.children[1]);
      if (!time || !step) return std::nullopt;
      const Dimension second = Dimension::Of(0, 0, 1, 0);
      if (!(time->dimension == second) || !(step->dimension == second)) {
        UnitError(node, "Both arguments of 'timestep' must be times (unit s).");
        return std::nullopt;
      }
      // Brian2 shifts by 1e-3*dt so that multiples of dt land on their step.
      return Typed{
          Call(Func::kInt, {Div(Add(time->expr, Mul(Const(1e-3), step->expr)),
                                step->expr)}),
          Dimension(), ValueType::kInteger};
    }
    auto func = LookupFunction(name);
    if (!func) {
      if (name == "poisson") {
        Error(node, "Function 'poisson' is not supported by cellfit.");
      } else {
        Error(node, absl::StrCat("Unknown function '", name, "'."));
      }
      return std::nullopt;
    }
    const int arity = FuncArity(*func);
    if (static_cast<int>(n_args) != arity) {
      Error(node, absl::StrCat("Function '", name, "' was called with ", n_args,
                               " parameters, needs ", arity, "."));
      return std::nullopt;
    }
    std::vector<Typed> args;
    for (const auto& child : node.children) {
      auto arg = Convert(*child);
      if (!arg) return std::nullopt;
      args.push_back(*arg);
    }
    std::vector<ExprPtr> exprs;
    for (const Typed& a : args) exprs.push_back(a.expr);
    switch (*func) {
      case Func::kRand:
      case Func::kRandn:
        return Typed{Call(*func, {}), Dimension(), ValueType::kFloat};
      case Func::kSqrt:
        return Typed{Call(*func, exprs),
                     args[0].dimension.Power(Rational(1, 2)),
                     ValueType::kFloat};
      case Func::kAbs:
      case Func::kFloor:
      case Func::kCeil:
        return Typed{Call(*func, exprs), args[0].dimension,
                     *func == Func::kAbs ? args[0].type : ValueType::kFloat};
      case Func::kSign:
        return Typed{Call(*func, exprs), Dimension(), ValueType::kInteger};
      case Func::kClip:
        for (int k = 1; k < 3; ++k) {
          if (!(args[k].dimension == args[0].dimension)) {
            UnitErrorAtStart(
                *node.children[k],
                absl::StrCat("Argument number ", k + 1,
                             " for function clip was supposed to have the "
                             "same units as argument number 1, but '",
                             AstToString(*node.children[k]), "' has unit ",
                             DimText(args[k].dimension), ", while '",
                             AstToString(*node.children[0]), "' has unit ",
                             DimText(args[0].dimension)));
            return std::nullopt;
          }
        }
        return Typed{Call(*func, exprs), args[0].dimension, ValueType::kFloat};
      case Func::kInt:
        if (!args[0].dimension.is_dimensionless()) {
          UnitErrorAtStart(
              *node.children[0],
              absl::StrCat("Argument number 1 for function int does "
                           "not have the correct units. Expression '",
                           AstToString(*node.children[0]), "' has units (",
                           DimText(args[0].dimension),
                           "), but should be (1)."));
          return std::nullopt;
        }
        return Typed{Call(*func, exprs), Dimension(), ValueType::kInteger};
      default:
        if (!args[0].dimension.is_dimensionless()) {
          UnitErrorAtStart(
              *node.children[0],
              absl::StrCat("Argument number 1 for function ", name,
                           " does not have the correct units. "
                           "Expression '",
                           AstToString(*node.children[0]), "' has units (",
                           DimText(args[0].dimension),
                           "), but should be (1)."));
          return std::nullopt;
        }
        return Typed{Call(*func, exprs), Dimension(), ValueType::kFloat};
    }
  }

  std::string field_;
  Diagnostics& diagnostics_;
  NameResolver resolve_;
  std::string unit_context_;
};

// ---------------------------------------------------------------------------
// Namespace constants, evaluated on demand (they may refer to each other).

class NamespaceTable {
 public:
  static constexpr size_t kMaxNamespaceDepth = 100;

  explicit NamespaceTable(const std::vector<NamespaceEntry>& entries,
                          Diagnostics& diagnostics)
      : entries_(entries), diagnostics_(diagnostics) {
    absl::flat_hash_set<std::string> seen;
    for (size_t k = 0; k < entries_.size(); ++k) {
      const NamespaceEntry& entry = entries_[k];
      const std::string field = absl::StrCat("namespace.", entry.name);
      if (!seen.insert(entry.name).second) {
        diagnostics_.Add(field, {},
                         absl::StrCat("'", entry.name,
                                      "' is defined twice in the namespace"));
        continue;
      }
      index_[entry.name] = k;
    }
  }

  bool Contains(const std::string& name) const { return index_.contains(name); }

  // The constant's value, or nullopt after reporting why it has none.
  std::optional<Quantity> Get(const std::string& name) {
    if (auto it = values_.find(name); it != values_.end()) return it->second;
    if (failed_.contains(name)) return std::nullopt;
    const NamespaceEntry& entry = entries_[index_.at(name)];
    const std::string field = absl::StrCat("namespace.", name);
    if (entry.text.empty()) {
      if (!entry.quantity) {
        diagnostics_.Add(
            field, {},
            absl::StrCat("namespace constant '", name, "' has no value"));
        failed_.insert(name);
        return std::nullopt;
      }
      values_[name] = *entry.quantity;
      return entry.quantity;
    }
    if (in_progress_.contains(name)) {
      diagnostics_.Add(field, {},
                       absl::StrCat("namespace constant '", name,
                                    "' is defined in terms of itself"));
      failed_.insert(name);
      return std::nullopt;
    }
    // Each link of a chain of constants defined by the next one is a level
    // of recursion here: bounded, so that a request cannot exhaust a
    // server thread's stack.
    if (in_progress_.size() >= kMaxNamespaceDepth) {
      diagnostics_.Add(
          field, {},
          absl::StrCat("namespace constant '", name,
                       "' is defined through a "
                       "chain of more than ",
                       kMaxNamespaceDepth,
                       " other namespace constants; define it more directly"));
      failed_.insert(name);
      return std::nullopt;
    }
    in_progress_.insert(name);
    Diagnostics local;
    auto ast = ParseExpression(entry.text, field, local);
    std::optional<Typed> typed;
    if (ast) {
      ExpressionConverter converter(
          field, local, [&](const AstNode& node) -> std::optional<Typed> {
            return ResolveConstantName(node, field, local);
          });
      typed = converter.Convert(*ast);
      if (typed && !IsConst(typed->expr)) {
        local.Add(field, {1, 1},
                  absl::StrCat("the value of '", name,
                               "' must be a constant (rand() and randn() are "
                               "not allowed)"));
        typed.reset();
      }
    }
    in_progress_.erase(name);
    diagnostics_.Append(local);
    if (!typed || !local.empty()) {
      failed_.insert(name);
      return std::nullopt;
    }
    Quantity q{typed->expr->value, typed->dimension};
    values_[name] = q;
    return q;
  }

  // Names resolvable in a constant expression: namespace, units, constants.
  std::optional<Typed> ResolveConstantName(const AstNode& node,
                                           const std::string& field,
                                           Diagnostics& diagnostics) {
    if (Contains(node.name)) {
      auto q = Get(node.name);
      if (!q) return std::nullopt;
      used_.insert(node.name);
      return Typed{Const(q->value), q->dimension, ValueType::kFloat};
    }
    if (auto unit = LookupUnit(node.name)) {
      return Typed{Const(unit->scale), unit->dimension, ValueType::kFloat};
    }
    if (auto value = DefaultConstant(node.name)) {
      return Typed{Const(*value), Dimension(), ValueType::kFloat};
    }
    if (IsFunctionName(node.name)) {
      diagnostics.Add(field, node.location,
                      absl::StrCat("'", node.name,
                                   "' was used like a variable/constant, but "
                                   "it is a function."));
      return std::nullopt;
    }
    unresolved_.insert(node.name);
    diagnostics.Add(field, node.location,
                    absl::StrCat("The identifier '", node.name,
                                 "' could not be resolved (it is not a unit "
                                 "or a namespace constant)."));
    return std::nullopt;
  }

  void MarkUsed(const std::string& name) { used_.insert(name); }
  void MarkUnresolved(const std::string& name) { unresolved_.insert(name); }
  const std::set<std::string>& used() const { return used_; }
  const std::set<std::string>& unresolved() const { return unresolved_; }

 private:
  const std::vector<NamespaceEntry>& entries_;
  Diagnostics& diagnostics_;
  absl::flat_hash_map<std::string, size_t> index_;
  absl::flat_hash_map<std::string, Quantity> values_;
  absl::flat_hash_set<std::string> in_progress_;
  absl::flat_hash_set<std::string> failed_;
  std::set<std::string> used_;
  std::set<std::string> unresolved_;
};

// ---------------------------------------------------------------------------
// The model checker.

class Checker {
 public:
  explicit Checker(const ModelSpec& spec)
      : spec_(spec), namespace_(spec.namespace_entries, diagnostics_) {}

  CheckResult Run() {
    DeclareEquations();
    DeclareBuiltins();
    DeclareInputsAndTargets();
    if (diagnostics_.empty()) {
      ConvertSubexpressions();
      ConvertDifferentialEquations();
      ConvertThreshold();
      ConvertReset();
      ConvertInitialValues();
      ConvertPenalty();
    }
    if (diagnostics_.empty()) CheckInlinedSizes();
    if (diagnostics_.empty()) {
      SelectIntegrationMethod(model_, spec_.method, diagnostics_);
    }
    CheckResult result;
    result.diagnostics = diagnostics_;
    result.namespace_names_used.assign(namespace_.used().begin(),
                                       namespace_.used().end());
    result.unresolved_names.assign(namespace_.unresolved().begin(),
                                   namespace_.unresolved().end());
    if (diagnostics_.empty()) result.model = std::move(model_);
    return result;
  }

 private:
  void Error(const std::string& field, SourceLocation location,
             std::string message) {
    diagnostics_.Add(field, location, std::move(message));
  }

  // Every expression with its subexpressions substituted (as the integration
  // methods and lowering see it) must stay small enough to recurse over and
  // to integrate: subexpressions that use each other several times grow
  // exponentially when written out.
  void CheckInlinedSizes() {
    auto check = [&](const ExprPtr& e, const std::string& field,
                     SourceLocation location, const std::string& what) {
      const ExprPtr inlined = model_.Inline(e);
      if (inlined->height > kMaxInlinedHeight) {
        Error(field, location,
              absl::StrCat(what,
                           " is nested too deeply once its "
                           "subexpressions are substituted (more than ",
                           kMaxInlinedHeight, " levels)"));
        return false;
      }
      if (inlined->tree_size > kMaxInlinedTreeSize) {
        Error(field, location,
              absl::StrCat(what,
                           " is too large once its subexpressions are "
                           "substituted (more than ",
                           kMaxInlinedTreeSize, " operations)"));
        return false;
      }
      return true;
    };
    for (size_t k = 0; k < equations_.size(); ++k) {
      const EquationAst& eq = equations_[k];
      if (eq.kind == EquationKind::kParameter) continue;
      const int symbol = equation_symbol_.at(k);
      const char* kind = eq.kind == EquationKind::kDifferential
                             ? "The differential equation for '"
                             : "The subexpression '";
      if (!check(Sym(symbol), "model", eq.location,
                 absl::StrCat(kind, eq.name, "'"))) {
        return;
      }
      if (eq.kind == EquationKind::kDifferential) {
        for (const DifferentialEquation& de : model_.equations) {
          if (de.state == symbol && !check(de.rhs, "model", eq.location,
                                           absl::StrCat(kind, eq.name, "'"))) {
            return;
          }
        }
      }
    }
    if (model_.threshold &&
        !check(*model_.threshold, "threshold", {}, "The threshold")) {
      return;
    }
    if (model_.refractory &&
        !check(model_.refractory, "refractory", {}, "The refractory period")) {
      return;
    }
    for (const ResetStatement& st : model_.reset) {
      if (!check(st.value, "reset", {}, "The reset")) return;
    }
    for (const auto& [symbol, value] : model_.initial_values) {
      if (!check(value, absl::StrCat("param_init.", model_.NameOf(symbol)), {},
                 "The initial value")) {
        return;
      }
    }
  }

  // Dimension of a unit specification such as "siemens/metre**2": only base
  // units (scale 1, as Brian2 requires); a number only as the 1 of
  // "1/second". `whole` is the specification's text, for messages.
  std::optional<Dimension> UnitDimension(const AstNode& node,
                                         const std::string& whole,
                                         bool one_allowed = false) {
    switch (node.kind) {
      case AstNode::Kind::kNumber:
        if (one_allowed && node.number == 1 && node.integer_literal) {
          return Dimension();
        }
        Error("model", node.location,
              absl::StrCat("'", whole,
                           "' does not evaluate to a unit but to a quantity "
                           "-- make sure to only use units, e.g. "
                           "'siemens/metre**2' and not "
                           "'1 * siemens/metre**2'"));
        return std::nullopt;
      case AstNode::Kind::kName: {
        auto unit = LookupUnit(node.name);
        if (!unit) {
          Error("model", node.location,
                absl::StrCat("Unit specification refers to '", node.name,
                             "', but this is not a base unit. The following "
                             "base units are allowed: amp (ampere), candle "
                             "(lumen), coulomb, farad, gray (sievert), henry, "
                             "hertz (Hz, becquerel), joule, katal, kelvin, "
                             "kilogram (kilogramme, kgram, kgramme), klitre "
                             "(kliter), lux, metre (meter), mmolar (mM), mole "
                             "(mol), newton, ohm, pascal, radian (steradian), "
                             "second, siemens, tesla, volt, watt, weber."));
          return std::nullopt;
        }
        const bool power_form =
            !node.name.empty() &&
            (node.name.back() == '2' || node.name.back() == '3');
        if (unit->scale != 1.0 || power_form) {
          Error("model", node.location,
                absl::StrCat("Unit specification refers to '", node.name,
                             "', but this is not a base unit. Use '",
                             BaseUnitFor(unit->dimension), "' instead."));
          return std::nullopt;
        }
        return unit->dimension;
      }
      case AstNode::Kind::kBinary: {
        if (node.binary_op == BinaryOp::kPow) {
          auto lhs = UnitDimension(*node.children[0], whole);
          if (!lhs) return std::nullopt;
          // The exponent is a (signed) number.
          ExpressionConverter converter(
              "model", diagnostics_,
              [&](const AstNode& name) -> std::optional<Typed> {
                Error("model", name.location,
                      absl::StrCat("the exponent of a unit must be a number, "
                                   "not '",
                                   name.name, "'"));
                return std::nullopt;
              });
          auto exponent = converter.Convert(*node.children[1]);
          if (!exponent) return std::nullopt;
          std::optional<Rational> rational;
          if (IsConst(exponent->expr)) {
            rational = Rational::FromDouble(exponent->expr->value);
          }
          if (!rational) {
            Error("model", node.children[1]->start,
                  absl::StrCat("the exponent '", AstToString(*node.children[1]),
                               "' of a unit must be an integer or a simple "
                               "fraction"));
            return std::nullopt;
          }
          return lhs->Power(*rational);
        }
        if (node.binary_op != BinaryOp::kMul &&
            node.binary_op != BinaryOp::kDiv) {
          break;
        }
        const bool divide = node.binary_op == BinaryOp::kDiv;
        auto lhs = UnitDimension(*node.children[0], whole, divide);
        if (!lhs) return std::nullopt;
        auto rhs = UnitDimension(*node.children[1], whole);
        if (!rhs) return std::nullopt;
        return divide ? *lhs / *rhs : *lhs * *rhs;
      }
      default:
        break;
    }
    Error("model", node.location,
          absl::StrCat("could not interpret '", whole,
                       "' as a unit specification"));
    return std::nullopt;
  }

  // The base unit (or base-unit expression) Brian2 suggests for a dimension.
  static std::string BaseUnitFor(const Dimension& dimension) {
    static constexpr std::string_view kBaseUnits[] = {
        "volt",    "amp",    "siemens", "farad",    "ohm",    "hertz",
        "coulomb", "joule",  "watt",    "newton",   "pascal", "weber",
        "tesla",   "henry",  "metre",   "kilogram", "second", "kelvin",
        "mole",    "candle", "mmolar",  "katal",    "gray",   "lux"};
    for (std::string_view name : kBaseUnits) {
      auto unit = LookupUnit(name);
      if (unit && unit->dimension == dimension) return std::string(name);
    }
    return dimension.ToUnitExpression();
  }

  void DeclareEquations() {
    if (spec_.equations.find_first_not_of(" \t\r\n") == std::string::npos) {
      Error("model", {}, "the model has no equations");
      return;
    }
    equations_ = ParseEquations(spec_.equations, "model", diagnostics_);
    if (!diagnostics_.empty()) return;
    equations_parsed_ = true;
    if (equations_.empty()) {
      Error("model", {}, "the model has no equations (only comments)");
      return;
    }
    absl::flat_hash_set<std::string> names;
    for (size_t k = 0; k < equations_.size(); ++k) {
      EquationAst& eq = equations_[k];
      if (std::string problem = CheckVariableName(eq.name); !problem.empty()) {
        Error("model", eq.location, problem);
        continue;
      }
      if (!names.insert(eq.name).second) {
        Error("model", eq.location,
              absl::StrCat("Duplicate definition of variable '", eq.name, "'"));
        continue;
      }
      Symbol symbol;
      symbol.name = eq.name;
      if (eq.special_unit == "boolean") {
        symbol.type = ValueType::kBoolean;
      } else if (eq.special_unit == "integer") {
        symbol.type = ValueType::kInteger;
      } else if (eq.special_unit.empty()) {
        std::string whole = AstToString(*eq.unit);
        if (whole.size() > 2 && whole.front() == '(' && whole.back() == ')') {
          whole = whole.substr(1, whole.size() - 2);
        }
        auto dim = UnitDimension(*eq.unit, whole);
        if (!dim) continue;
        symbol.dimension = *dim;
      }
      CheckFlags(eq);
      switch (eq.kind) {
        case EquationKind::kDifferential:
          if (symbol.type != ValueType::kFloat) {
            Error("model", eq.unit_location,
                  absl::StrCat("Differential equations can only define "
                               "floating point variables; '",
                               eq.name, "' is declared '", eq.special_unit,
                               "' (give a unit, or '1')."));
            continue;
          }
          symbol.kind = SymbolKind::kState;
          symbol.index = static_cast<int>(model_.states.size());
          model_.states.push_back(model_.AddSymbol(symbol));
          equation_symbol_[k] = model_.states.back();
          break;
        case EquationKind::kSubexpression:
          symbol.kind = SymbolKind::kSubexpression;
          equation_symbol_[k] = model_.AddSymbol(symbol);
          break;
        case EquationKind::kParameter:
          if (symbol.type != ValueType::kFloat) {
            Error("model", eq.unit_location,
                  absl::StrCat("The parameter '", eq.name,
                               "' is fitted and must be a real number with a "
                               "unit or '1', not '",
                               eq.special_unit, "'"));
            continue;
          }
          symbol.kind = SymbolKind::kParameter;
          symbol.index = static_cast<int>(model_.parameters.size());
          model_.parameters.push_back(model_.AddSymbol(symbol));
          equation_symbol_[k] = model_.parameters.back();
          break;
      }
    }
  }

  void CheckFlags(const EquationAst& eq) {
    std::vector<std::string> allowed;
    const char* type = "";
    switch (eq.kind) {
      case EquationKind::kDifferential:
        allowed = {"unless refractory"};
        type = "differential equation";
        break;
      case EquationKind::kSubexpression:
        type = "subexpression";
        break;
      case EquationKind::kParameter:
        allowed = {"constant"};
        type = "parameter";
        break;
    }
    for (size_t k = 0; k < eq.flags.size(); ++k) {
      const std::string& flag = eq.flags[k];
      const SourceLocation at = k < eq.flag_locations.size()
                                    ? eq.flag_locations[k]
                                    : eq.flags_location;
      bool ok = false;
      for (const std::string& a : allowed) ok = ok || a == flag;
      if (ok) continue;
      if (flag == "constant over dt") {
        Error("model", at,
              absl::StrCat(
                  "The flag 'constant over dt' of '", eq.name,
                  "' is not supported by cellfit. Without it the "
                  "subexpression is computed where it is used; with the "
                  "methods 'euler' and 'exponential_euler' that is once per "
                  "step, so the traces are the same."));
      } else if (flag == "shared" || flag == "linked") {
        Error("model", at,
              absl::StrCat("The flag '", flag, "' of '", eq.name,
                           "' is not supported by cellfit (each neuron of a "
                           "fit has its own values)."));
      } else if (allowed.empty()) {
        Error("model", at,
              absl::StrCat("Equations of type '", type,
                           "' cannot have any flags (found '", flag, "')."));
      } else {
        Error(
            "model", at,
            absl::StrCat("Equations of type '", type, "' cannot have a flag '",
                         flag, "', only the following flags are allowed: '",
                         absl::StrJoin(allowed, "', '"), "'"));
      }
    }
  }

  void DeclareBuiltins() {
    const Dimension second = Dimension::Of(0, 0, 1, 0);
    auto add = [&](const char* name, SymbolKind kind, Dimension dim,
                   ValueType type) {
      Symbol s;
      s.name = name;
      s.kind = kind;
      s.dimension = dim;
      s.type = type;
      return model_.AddSymbol(s);
    };
    model_.time = add("t", SymbolKind::kTime, second, ValueType::kFloat);
    model_.dt = add("dt", SymbolKind::kDt, second, ValueType::kFloat);
    model_.index =
        add("i", SymbolKind::kIndex, Dimension(), ValueType::kInteger);
    model_.iteration = add("iteration", SymbolKind::kIteration, Dimension(),
                           ValueType::kInteger);
    if (HasText(spec_.refractory)) {
      model_.lastspike =
          add("lastspike", SymbolKind::kLastspike, second, ValueType::kFloat);
      model_.not_refractory = add("not_refractory", SymbolKind::kNotRefractory,
                                  Dimension(), ValueType::kBoolean);
    }
  }

  static bool HasText(const std::string& s) {
    return s.find_first_not_of(" \t\r\n") != std::string::npos;
  }

  void DeclareInputsAndTargets() {
    absl::flat_hash_set<std::string> seen;
    for (size_t k = 0; k < spec_.inputs.size(); ++k) {
      const InputSpec& input = spec_.inputs[k];
      const std::string field = absl::StrCat("inputs.", input.name);
      if (std::string problem = CheckVariableName(input.name);
          !problem.empty()) {
        Error(field, {}, problem);
        continue;
      }
      if (model_.Find(input.name) >= 0) {
        Error(field, {},
              absl::StrCat("the input variable '", input.name,
                           "' is defined in the model; an input must be used "
                           "in the equations but not defined there"));
        continue;
      }
      if (!seen.insert(input.name).second) {
        Error(field, {},
              absl::StrCat("input '", input.name, "' is given twice"));
        continue;
      }
      Symbol s;
      s.name = input.name;
      s.kind = SymbolKind::kInput;
      s.dimension = input.dimension;
      s.index = static_cast<int>(model_.inputs.size());
      model_.inputs.push_back(model_.AddSymbol(s));
    }
    for (const std::string& output : spec_.outputs) {
      const std::string field = absl::StrCat("outputs.", output);
      if (output == "spikes") {
        if (!HasText(spec_.threshold)) {
          Error(field, {},
                "a spike output needs a threshold condition (e.g. "
                "'v > -50*mV')");
        }
        continue;
      }
      const int symbol = model_.Find(output);
      // Equations that did not parse define nothing, so an output's absence
      // says nothing: the syntax error is the one to report.
      if (symbol < 0 && !equations_parsed_) continue;
      if (symbol < 0 ||
          (model_.symbol(symbol).kind != SymbolKind::kState &&
           model_.symbol(symbol).kind != SymbolKind::kSubexpression)) {
        Error(field, {},
              absl::StrCat("the output '", output,
                           "' is not a state variable or subexpression of the "
                           "model"));
        continue;
      }
      const std::string target_name = absl::StrCat(output, "_target");
      if (model_.Find(target_name) >= 0) {
        Error(field, {},
              absl::StrCat("'", target_name,
                           "' is defined in the model, but the name is "
                           "reserved for the recorded values of output '",
                           output, "'"));
        continue;
      }
      Symbol s;
      s.name = target_name;
      s.kind = SymbolKind::kTarget;
      s.dimension = model_.symbol(symbol).dimension;
      s.index = static_cast<int>(model_.targets.size());
      model_.targets.push_back(model_.AddSymbol(s));
    }
  }

  // Which names an expression may refer to.
  struct Context {
    std::string field;
    bool allow_noise = false;  // xi in differential equations
    // param_init: evaluated once before the first step, as brian2modelfitting
    // sets each variable in turn; input and target traces have no value yet.
    bool initial_value = false;
    std::string what;                // for messages: "the threshold", ...
    std::string subexpression = {};  // the subexpression being defined
    std::string unit_context = {};   // prefix of unit errors (Brian2's)
  };

  void NoiseError(const AstNode& node, const Context& ctx) {
    if (ctx.subexpression.empty()) {
      Error(ctx.field, node.location,
            absl::StrCat("the noise term '", node.name,
                         "' can only be used in differential equations"));
    } else {
      Error(ctx.field, node.location,
            absl::StrCat("The equation defining '", ctx.subexpression,
                         "' contains the symbol '", node.name,
                         "' but is not a differential equation."));
    }
  }

  std::optional<Typed> ResolveName(const AstNode& node, const Context& ctx) {
    const std::string& name = node.name;
    const int symbol = model_.Find(name);
    if (symbol >= 0) {
      const Symbol& s = model_.symbol(symbol);
      if (ctx.initial_value) {
        // The trace a name reads, directly or through subexpressions.
        int trace = -1;
        if (s.kind == SymbolKind::kInput || s.kind == SymbolKind::kTarget) {
          trace = symbol;
        } else if (s.kind == SymbolKind::kSubexpression) {
          std::vector<int> used;
          CollectSymbols(model_.Inline(Sym(symbol)), used);
          for (int u : used) {
            const SymbolKind kind = model_.symbol(u).kind;
            if (kind == SymbolKind::kInput || kind == SymbolKind::kTarget) {
              trace = u;
              break;
            }
          }
        }
        if (trace >= 0) {
          Error(ctx.field, node.location,
                absl::StrCat(
                    ctx.what, " refers to '", name, "'",
                    trace == symbol ? ""
                                    : absl::StrCat(", which depends on '",
                                                   model_.NameOf(trace), "'"),
                    ", but input and target traces have no value before the "
                    "first time step"));
          return std::nullopt;
        }
      }
      if (s.kind == SymbolKind::kNoise && !ctx.allow_noise) {
        NoiseError(node, ctx);
        return std::nullopt;
      }
      return Typed{Sym(symbol), s.dimension, s.type};
    }
    if (IsNoiseName(name)) {
      if (!ctx.allow_noise) {
        NoiseError(node, ctx);
        return std::nullopt;
      }
      Symbol s;
      s.name = name;
      s.kind = SymbolKind::kNoise;
      s.dimension = Dimension::Base(BaseDimension::kTime, Rational(-1, 2));
      s.index = static_cast<int>(model_.noises.size());
      const int id = model_.AddSymbol(s);
      model_.noises.push_back(id);
      return Typed{Sym(id), s.dimension, ValueType::kFloat};
    }
    if (namespace_.Contains(name)) {
      auto q = namespace_.Get(name);
      if (!q) return std::nullopt;
      namespace_.MarkUsed(name);
      return Typed{Const(q->value), q->dimension, ValueType::kFloat};
    }
    if (auto unit = LookupUnit(name)) {
      return Typed{Const(unit->scale), unit->dimension, ValueType::kFloat};
    }
    if (auto value = DefaultConstant(name)) {
      return Typed{Const(*value), Dimension(), ValueType::kFloat};
    }
    if (IsFunctionName(name)) {
      Error(ctx.field, node.location,
            absl::StrCat("'", name,
                         "' was used like a variable/constant, but it is a "
                         "function."));
      return std::nullopt;
    }
    if ((name == "lastspike" || name == "not_refractory") &&
        !HasText(spec_.refractory)) {
      Error(ctx.field, node.location,
            absl::StrCat("The identifier '", name, "' could not be resolved: '",
                         name,
                         "' is only defined when the model has a refractory "
                         "period (set 'refractory')"));
      return std::nullopt;
    }
    namespace_.MarkUnresolved(name);
    Error(ctx.field, node.location,
          absl::StrCat("The identifier '", name,
                       "' could not be resolved: it is not a model variable, "
                       "an input, a unit or a namespace constant."));
    return std::nullopt;
  }

  std::optional<Typed> ConvertExpression(const AstNode& ast,
                                         const Context& ctx) {
    ExpressionConverter converter(
        ctx.field, diagnostics_,
        [&](const AstNode& node) { return ResolveName(node, ctx); });
    converter.set_unit_context(ctx.unit_context);
    return converter.Convert(ast);
  }

  void ConvertSubexpressions() {
    // Convert each, then order by dependencies (Brian2 resolves them by
    // topological sorting and rejects cycles).
    std::vector<std::pair<size_t, Subexpression>> converted;
    for (size_t k = 0; k < equations_.size(); ++k) {
      const EquationAst& eq = equations_[k];
      if (eq.kind != EquationKind::kSubexpression) continue;
      const int symbol = equation_symbol_.at(k);
      Context ctx{
          "model",
          false,
          false,
          "",
          eq.name,
          absl::StrCat("Inconsistent units in subexpression ", eq.name, ": ")};
      auto typed = ConvertExpression(*eq.expr, ctx);
      if (!typed) continue;
      const Symbol& s = model_.symbol(symbol);
      if (!CheckAssignedDimension(eq, s, *typed, "subexpression")) continue;
      converted.push_back({k, Subexpression{symbol, typed->expr}});
    }
    // Topological sort with cycle detection.
    std::map<int, const Subexpression*> by_symbol;
    for (const auto& [k, sub] : converted) by_symbol[sub.symbol] = &sub;
    std::map<int, int> state;  // 0 new, 1 visiting, 2 done
    std::vector<int> path;
    std::function<bool(int)> visit = [&](int symbol) -> bool {
      if (state[symbol] == 2) return true;
      if (state[symbol] == 1) {
        std::vector<std::string> cycle;
        bool in_cycle = false;
        for (int p : path) {
          in_cycle = in_cycle || p == symbol;
          if (in_cycle) cycle.push_back(model_.NameOf(p));
        }
        cycle.push_back(model_.NameOf(symbol));
        size_t eq_index = 0;
        for (const auto& [k, sub] : converted) {
          if (sub.symbol == symbol) eq_index = k;
        }
        Error("model", equations_[eq_index].location,
              absl::StrCat("Cannot resolve dependencies between static "
                           "equations, dependencies contain a cycle: ",
                           absl::StrJoin(cycle, " -> ")));
        return false;
      }
      state[symbol] = 1;
      path.push_back(symbol);
      std::vector<int> deps;
      CollectSymbols(by_symbol.at(symbol)->value, deps);
      for (int dep : deps) {
        if (by_symbol.contains(dep) && !visit(dep)) return false;
      }
      path.pop_back();
      state[symbol] = 2;
      model_.subexpressions.push_back(*by_symbol.at(symbol));
      return true;
    };
    for (const auto& [k, sub] : converted) {
      if (!visit(sub.symbol)) return;
    }
  }

  bool CheckAssignedDimension(const EquationAst& eq, const Symbol& s,
                              const Typed& typed, const char* what) {
    if (s.type == ValueType::kBoolean) {
      if (!typed.is_boolean()) {
        Error("model", eq.expr->start,
              absl::StrCat(
                  "The ", what, " '", eq.name, "' is declared boolean, but '",
                  AstToString(*eq.expr), "' is not a boolean expression"));
        return false;
      }
      return true;
    }
    if (!(typed.dimension == s.dimension)) {
      Error("model", eq.expr->start,
            absl::StrCat(
                "Inconsistent units in ", what, " ", eq.name, ": Expression '",
                AstToString(*eq.expr), "' has unit ", DimText(typed.dimension),
                ", but the declared unit is ", DimText(s.dimension), "."));
      return false;
    }
    return true;
  }

  void ConvertDifferentialEquations() {
    const Dimension per_second = Dimension::Of(0, 0, -1, 0);
    for (size_t k = 0; k < equations_.size(); ++k) {
      const EquationAst& eq = equations_[k];
      if (eq.kind != EquationKind::kDifferential) continue;
      const int symbol = equation_symbol_.at(k);
      Context ctx{"model",
                  true,
                  false,
                  "",
                  "",
                  absl::StrCat("Inconsistent units in differential equation "
                               "defining variable '",
                               eq.name, "': ")};
      auto typed = ConvertExpression(*eq.expr, ctx);
      if (!typed) continue;
      const Dimension expected = model_.symbol(symbol).dimension * per_second;
      if (!(typed->dimension == expected)) {
        Error("model", eq.expr->start,
              absl::StrCat("Inconsistent units in differential equation "
                           "defining variable '",
                           eq.name, "': Expression '", AstToString(*eq.expr),
                           "' has unit ", DimText(typed->dimension),
                           ", expected ", DimText(expected), "."));
        continue;
      }
      DifferentialEquation de;
      de.state = symbol;
      de.rhs = typed->expr;
      SourceLocation flag_location = eq.flags_location;
      for (size_t f = 0; f < eq.flags.size(); ++f) {
        if (eq.flags[f] != "unless refractory") continue;
        de.unless_refractory = true;
        if (f < eq.flag_locations.size()) flag_location = eq.flag_locations[f];
      }
      if (de.unless_refractory && !HasText(spec_.refractory)) {
        Error("model", flag_location,
              absl::StrCat("The equation for '", eq.name,
                           "' uses the flag 'unless refractory', but no "
                           "refractory period was given."));
        continue;
      }
      model_.equations.push_back(std::move(de));
    }
  }

  void ConvertThreshold() {
    if (HasText(spec_.threshold)) {
      Context ctx{"threshold", false, false, "the threshold"};
      auto ast = ParseExpression(spec_.threshold, "threshold", diagnostics_);
      if (ast) {
        auto typed = ConvertExpression(*ast, ctx);
        if (typed) {
          if (!typed->is_boolean()) {
            Error("threshold", ast->start,
                  absl::StrCat("Threshold condition '", AstToString(*ast),
                               "' is not a boolean expression"));
          } else {
            model_.threshold = typed->expr;
          }
        }
      }
    }
    if (!HasText(spec_.refractory)) return;
    Context ctx{"refractory", false, false, "the refractory period"};
    auto ast = ParseExpression(spec_.refractory, "refractory", diagnostics_);
    if (!ast) return;
    auto typed = ConvertExpression(*ast, ctx);
    if (!typed) return;
    if (typed->dimension == Dimension::Of(0, 0, 1, 0)) {
      model_.refractory_kind = RefractoryKind::kDuration;
      model_.refractory = typed->expr;
    } else if (typed->dimension.is_dimensionless()) {
      if (!typed->is_boolean()) {
        Error("refractory", ast->start,
              "Refractory expression is dimensionless but not a boolean "
              "value. It needs to either evaluate to a timespan or to a "
              "boolean value.");
        return;
      }
      model_.refractory_kind = RefractoryKind::kCondition;
      model_.refractory = typed->expr;
    } else {
      Error("refractory", ast->start,
            absl::StrCat("Refractory expression has to evaluate to a "
                         "timespan or a boolean value, expression '",
                         AstToString(*ast), "' has units ",
                         DimText(typed->dimension), " instead"));
    }
    if (!model_.threshold) {
      Error("refractory", {}, "a refractory period needs a threshold");
    }
  }

  void ConvertReset() {
    if (!HasText(spec_.reset)) return;
    if (!HasText(spec_.threshold)) {
      Error("reset", {}, "a reset needs a threshold condition");
      return;
    }
    auto statements = ParseStatements(spec_.reset, "reset", diagnostics_);
    for (const StatementAst& st : statements) {
      const int target = model_.Find(st.target);
      if (target < 0) {
        Error("reset", st.location,
              absl::StrCat("The reset assigns to '", st.target,
                           "', which is not a variable of the model."));
        continue;
      }
      const Symbol& s = model_.symbol(target);
      if (s.kind == SymbolKind::kParameter) {
        if (IsConstantParameter(st.target)) {
          Error("reset", st.location,
                absl::StrCat("The reset assigns to '", st.target,
                             "', which is a constant parameter."));
          continue;
        }
      } else if (s.kind != SymbolKind::kState) {
        Error("reset", st.location,
              absl::StrCat("The reset assigns to '", st.target,
                           "', which is read-only (only state variables and "
                           "non-constant parameters can be reset)."));
        continue;
      }
      Context ctx{"reset", false, false, "the reset"};
      auto value = ConvertExpression(*st.value, ctx);
      if (!value) continue;
      const bool scales = st.op == AssignOp::kMul || st.op == AssignOp::kDiv;
      if (!scales && !(value->dimension == s.dimension)) {
        Error("reset", st.value->start,
              absl::StrCat("The right-hand side of '", st.target, " ",
                           AssignSymbol(st.op), " ", AstToString(*st.value),
                           "' does not have the expected unit ",
                           DimText(s.dimension), " (unit is ",
                           DimText(value->dimension), ")."));
        continue;
      }
      ExprPtr rhs = value->expr;
      switch (st.op) {
        case AssignOp::kSet:
          break;
        case AssignOp::kAdd:
          rhs = Add(Sym(target), rhs);
          break;
        case AssignOp::kSub:
          rhs = Sub(Sym(target), rhs);
          break;
        case AssignOp::kMul:
        case AssignOp::kDiv:
          if (!value->dimension.is_dimensionless()) {
            const Dimension result = st.op == AssignOp::kMul
                                         ? s.dimension * value->dimension
                                         : s.dimension / value->dimension;
            Error("reset", st.value->start,
                  absl::StrCat("The right-hand side of '", st.target, " ",
                               AssignSymbol(st.op), " ", AstToString(*st.value),
                               "' does not have the expected unit ",
                               DimText(s.dimension), " (unit is ",
                               DimText(result), "); '", AssignSymbol(st.op),
                               "' needs a dimensionless value."));
            continue;
          }
          rhs = st.op == AssignOp::kMul ? Mul(Sym(target), rhs)
                                        : Div(Sym(target), rhs);
          break;
      }
      model_.reset.push_back({target, rhs});
    }
  }

  static const char* AssignSymbol(AssignOp op) {
    switch (op) {
      case AssignOp::kSet:
        return "=";
      case AssignOp::kAdd:
        return "+=";
      case AssignOp::kSub:
        return "-=";
      case AssignOp::kMul:
        return "*=";
      case AssignOp::kDiv:
        return "/=";
    }
    return "=";
  }

  bool IsConstantParameter(const std::string& name) const {
    for (const EquationAst& eq : equations_) {
      if (eq.name != name || eq.kind != EquationKind::kParameter) continue;
      for (const std::string& flag : eq.flags) {
        if (flag == "constant") return true;
      }
    }
    return false;
  }

  void ConvertInitialValues() {
    absl::flat_hash_set<std::string> seen;
    for (const auto& [name, text] : spec_.param_init) {
      const std::string field = absl::StrCat("param_init.", name);
      if (!seen.insert(name).second) {
        Error(field, {}, absl::StrCat("'", name, "' is initialised twice"));
        continue;
      }
      const int symbol = model_.Find(name);
      if (symbol < 0 ||
          (model_.symbol(symbol).kind != SymbolKind::kState &&
           model_.symbol(symbol).kind != SymbolKind::kParameter)) {
        Error(field, {},
              absl::StrCat(name,
                           " is not a model variable or a parameter in the "
                           "model"));
        continue;
      }
      Context ctx{field, false, true,
                  absl::StrCat("the initial value of '", name, "'")};
      auto ast = ParseExpression(text, field, diagnostics_);
      if (!ast) continue;
      auto typed = ConvertExpression(*ast, ctx);
      if (!typed) continue;
      const Symbol& s = model_.symbol(symbol);
      if (!(typed->dimension == s.dimension)) {
        Error(field, ast->start,
              absl::StrCat("The initial value '", text, "' of '", name,
                           "' has unit ", DimText(typed->dimension), ", but '",
                           name, "' has unit ", DimText(s.dimension), "."));
        continue;
      }
      model_.initial_values.push_back({symbol, typed->expr});
    }
  }

  void ConvertPenalty() {
    if (!HasText(spec_.penalty)) return;
    const int symbol = model_.Find(spec_.penalty);
    if (symbol < 0 ||
        (model_.symbol(symbol).kind != SymbolKind::kState &&
         model_.symbol(symbol).kind != SymbolKind::kSubexpression &&
         model_.symbol(symbol).kind != SymbolKind::kParameter)) {
      Error("penalty", {},
            absl::StrCat("the penalty '", spec_.penalty,
                         "' is not a variable of the model"));
      return;
    }
    model_.penalty = symbol;
  }

  const ModelSpec& spec_;
  Diagnostics diagnostics_;
  NamespaceTable namespace_;
  Model model_;
  std::vector<EquationAst> equations_;
  bool equations_parsed_ = false;
  std::map<size_t, int> equation_symbol_;
};

}  // namespace

CheckResult CheckModel(const ModelSpec& spec) { return Checker(spec).Run(); }

absl::StatusOr<Quantity> ParseQuantity(
    std::string_view text_view, std::string_view field,
    const std::vector<NamespaceEntry>& namespace_entries) {
  const std::string text(text_view);
  Diagnostics diagnostics;
  NamespaceTable table(namespace_entries, diagnostics);
  const std::string field_name(field);
  auto ast = ParseExpression(text, field_name, diagnostics);
  if (!ast) return diagnostics.ToStatus();
  ExpressionConverter converter(
      field_name, diagnostics,
      [&](const AstNode& node) -> std::optional<Typed> {
        return table.ResolveConstantName(node, field_name, diagnostics);
      });
  auto typed = converter.Convert(*ast);
  if (!diagnostics.empty()) return diagnostics.ToStatus();
  if (!typed) {
    return absl::InvalidArgumentError(
        absl::StrCat(field_name, ": error: could not evaluate '", text, "'"));
  }
  if (!IsConst(typed->expr)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field_name, ": error: '", text,
        "' is not a constant quantity (rand() and randn() are not allowed)"));
  }
  return Quantity{typed->expr->value, typed->dimension};
}

bool IsUnitName(std::string_view name) { return LookupUnit(name).has_value(); }

}  // namespace cellfit::model
