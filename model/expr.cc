#include "model/expr.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cellfit::model {
namespace {

uint64_t SymbolBit(int symbol) {
  return uint64_t{1} << (static_cast<unsigned>(symbol) & 63u);
}

// Builds a node and its summaries (expr.h).
ExprPtr Make(Expr e) {
  e.symbol_mask = e.op == Op::kSymbol ? SymbolBit(e.symbol) : 0;
  e.has_random = e.op == Op::kCall && IsRandom(e.func);
  e.tree_size = 1;
  e.height = 1;
  for (const ExprPtr& a : e.args) {
    e.height = std::max(e.height, a->height + 1);
    e.symbol_mask |= a->symbol_mask;
    e.has_random = e.has_random || a->has_random;
    e.tree_size = std::min(kMaxTreeSize, e.tree_size + a->tree_size);
  }
  return std::make_shared<const Expr>(std::move(e));
}

// Trees up to this size are walked without remembering visited nodes.
constexpr uint64_t kSmallTree = 64;

// Visits every distinct node of `e` once, parents before children, children
// in order; `visit` returns false to skip a node's children.
template <typename Visit>
void VisitOnce(const ExprPtr& e, Visit&& visit) {
  if (e->tree_size <= kSmallTree) {
    if (!visit(*e)) return;
    for (const ExprPtr& a : e->args) VisitOnce(a, visit);
    return;
  }
  absl::flat_hash_set<const Expr*> seen;
  std::vector<const Expr*> stack = {e.get()};
  while (!stack.empty()) {
    const Expr* node = stack.back();
    stack.pop_back();
    if (!seen.insert(node).second) continue;
    if (!visit(*node)) continue;
    for (auto it = node->args.rbegin(); it != node->args.rend(); ++it) {
      stack.push_back(it->get());
    }
  }
}

bool IsComparisonOp(Op op) {
  return op == Op::kLess || op == Op::kLessEqual || op == Op::kGreater ||
         op == Op::kGreaterEqual || op == Op::kEqual || op == Op::kNotEqual;
}

bool IsLogicalOp(Op op) {
  return IsComparisonOp(op) || op == Op::kAnd || op == Op::kOr ||
         op == Op::kNot;
}

}  // namespace

const char* FuncName(Func func) {
  switch (func) {
    case Func::kExp:
      return "exp";
    case Func::kLog:
      return "log";
    case Func::kLog10:
      return "log10";
    case Func::kSqrt:
      return "sqrt";
    case Func::kAbs:
      return "abs";
    case Func::kSin:
      return "sin";
    case Func::kCos:
      return "cos";
    case Func::kTan:
      return "tan";
    case Func::kSinh:
      return "sinh";
    case Func::kCosh:
      return "cosh";
    case Func::kTanh:
      return "tanh";
    case Func::kArcsin:
      return "arcsin";
    case Func::kArccos:
      return "arccos";
    case Func::kArctan:
      return "arctan";
    case Func::kFloor:
      return "floor";
    case Func::kCeil:
      return "ceil";
    case Func::kClip:
      return "clip";
    case Func::kExprel:
      return "exprel";
    case Func::kSign:
      return "sign";
    case Func::kInt:
      return "int";
    case Func::kExpm1:
      return "expm1";
    case Func::kLog1p:
      return "log1p";
    case Func::kRand:
      return "rand";
    case Func::kRandn:
      return "randn";
  }
  return "?";
}

int FuncArity(Func func) {
  switch (func) {
    case Func::kClip:
      return 3;
    case Func::kRand:
    case Func::kRandn:
      return 0;
    default:
      return 1;
  }
}

bool IsRandom(Func func) { return func == Func::kRand || func == Func::kRandn; }

double ApplyBinary(Op op, double a, double b) {
  switch (op) {
    case Op::kAdd:
      return a + b;
    case Op::kSub:
      return a - b;
    case Op::kMul:
      return a * b;
    case Op::kDiv:
      return a / b;
    case Op::kPow:
      return std::pow(a, b);
    case Op::kMod: {
      // Python's modulo: the result has the sign of the divisor.
      double r = std::fmod(a, b);
      if (r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    }
    case Op::kFloorDiv:
      return std::floor(a / b);
    case Op::kLess:
      return a < b ? 1.0 : 0.0;
    case Op::kLessEqual:
      return a <= b ? 1.0 : 0.0;
    case Op::kGreater:
      return a > b ? 1.0 : 0.0;
    case Op::kGreaterEqual:
      return a >= b ? 1.0 : 0.0;
    case Op::kEqual:
      return a == b ? 1.0 : 0.0;
    case Op::kNotEqual:
      return a != b ? 1.0 : 0.0;
    case Op::kAnd:
      return (a != 0 && b != 0) ? 1.0 : 0.0;
    case Op::kOr:
      return (a != 0 || b != 0) ? 1.0 : 0.0;
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
}

double ApplyFunc(Func func, const double* args) {
  const double x = args[0];
  switch (func) {
    case Func::kExp:
      return std::exp(x);
    case Func::kLog:
      return std::log(x);
    case Func::kLog10:
      return std::log10(x);
    case Func::kSqrt:
      return std::sqrt(x);
    case Func::kAbs:
      return std::fabs(x);
    case Func::kSin:
      return std::sin(x);
    case Func::kCos:
      return std::cos(x);
    case Func::kTan:
      return std::tan(x);
    case Func::kSinh:
      return std::sinh(x);
    case Func::kCosh:
      return std::cosh(x);
    case Func::kTanh:
      return std::tanh(x);
    case Func::kArcsin:
      return std::asin(x);
    case Func::kArccos:
      return std::acos(x);
    case Func::kArctan:
      return std::atan(x);
    case Func::kFloor:
      return std::floor(x);
    case Func::kCeil:
      return std::ceil(x);
    case Func::kClip:
      return x < args[1] ? args[1] : (x > args[2] ? args[2] : x);
    case Func::kExprel:
      // Brian2's exprel: 1 near 0, expm1(x)/x elsewhere.
      if (std::fabs(x) < 1e-16) return 1.0;
      if (x > 717) return std::numeric_limits<double>::infinity();
      return std::expm1(x) / x;
    case Func::kSign:
      return static_cast<double>((0 < x) - (x < 0));
    case Func::kInt:
      return std::trunc(x);
    case Func::kExpm1:
      return std::expm1(x);
    case Func::kLog1p:
      return std::log1p(x);
    case Func::kRand:
    case Func::kRandn:
      return std::numeric_limits<double>::quiet_NaN();
  }
  return std::numeric_limits<double>::quiet_NaN();
}

ExprPtr Const(double value) {
  Expr e;
  e.op = Op::kConst;
  e.value = value;
  return Make(std::move(e));
}

ExprPtr Sym(int symbol) {
  Expr e;
  e.op = Op::kSymbol;
  e.symbol = symbol;
  return Make(std::move(e));
}

bool IsConst(const ExprPtr& e) { return e->op == Op::kConst; }
bool IsConst(const ExprPtr& e, double value) {
  return e->op == Op::kConst && e->value == value;
}

ExprPtr Unary(Op op, ExprPtr a) {
  if (op == Op::kNeg) {
    if (IsConst(a)) return Const(-a->value);
    if (a->op == Op::kNeg) return a->args[0];
  }
  if (op == Op::kNot && IsConst(a)) return Const(a->value == 0 ? 1.0 : 0.0);
  Expr e;
  e.op = op;
  e.args = {std::move(a)};
  return Make(std::move(e));
}

ExprPtr Binary(Op op, ExprPtr a, ExprPtr b) {
  if (IsConst(a) && IsConst(b))
    return Const(ApplyBinary(op, a->value, b->value));
  switch (op) {
    case Op::kAdd:
      if (IsConst(a, 0)) return b;
      if (IsConst(b, 0)) return a;
      break;
    case Op::kSub:
      if (IsConst(b, 0)) return a;
      if (IsConst(a, 0)) return Neg(b);
      break;
    case Op::kMul:
      // x*0 -> 0 as sympy does; it keeps derivatives and linear coefficients
      // free of spurious terms.
      if (IsConst(a, 0) || IsConst(b, 0)) return Const(0);
      if (IsConst(a, 1)) return b;
      if (IsConst(b, 1)) return a;
      if (IsConst(a, -1)) return Neg(b);
      if (IsConst(b, -1)) return Neg(a);
      break;
    case Op::kDiv:
      if (IsConst(a, 0)) return Const(0);
      if (IsConst(b, 1)) return a;
      if (IsConst(b, -1)) return Neg(a);
      break;
    case Op::kPow:
      if (IsConst(b, 1)) return a;
      if (IsConst(b, 0)) return Const(1);
      break;
    default:
      break;
  }
  Expr e;
  e.op = op;
  e.args = {std::move(a), std::move(b)};
  return Make(std::move(e));
}

ExprPtr Select(ExprPtr condition, ExprPtr if_true, ExprPtr if_false) {
  if (IsConst(condition)) return condition->value != 0 ? if_true : if_false;
  if (Equal(if_true, if_false)) return if_true;
  Expr e;
  e.op = Op::kSelect;
  e.args = {std::move(condition), std::move(if_true), std::move(if_false)};
  return Make(std::move(e));
}

ExprPtr Call(Func func, std::vector<ExprPtr> args) {
  if (!IsRandom(func)) {
    bool all_const = true;
    for (const auto& a : args) all_const = all_const && IsConst(a);
    if (all_const) {
      double values[3] = {0, 0, 0};
      for (size_t k = 0; k < args.size(); ++k) values[k] = args[k]->value;
      return Const(ApplyFunc(func, values));
    }
  }
  Expr e;
  e.op = Op::kCall;
  e.func = func;
  e.args = std::move(args);
  return Make(std::move(e));
}

bool DependsOn(const ExprPtr& e, int symbol) {
  const uint64_t bit = SymbolBit(symbol);
  if (!(e->symbol_mask & bit)) return false;
  bool found = false;
  VisitOnce(e, [&](const Expr& node) {
    if (found || !(node.symbol_mask & bit)) return false;
    if (node.op == Op::kSymbol && node.symbol == symbol) found = true;
    return !found;
  });
  return found;
}

bool DependsOnAny(const ExprPtr& e, const std::function<bool(int)>& pred) {
  bool found = false;
  VisitOnce(e, [&](const Expr& node) {
    if (found || node.symbol_mask == 0) return false;
    if (node.op == Op::kSymbol && pred(node.symbol)) found = true;
    return !found;
  });
  return found;
}

bool HasRandomCall(const ExprPtr& e) { return e->has_random; }

void CollectSymbols(const ExprPtr& e, std::vector<int>& out) {
  absl::flat_hash_set<int> known(out.begin(), out.end());
  VisitOnce(e, [&](const Expr& node) {
    if (node.symbol_mask == 0) return false;
    if (node.op == Op::kSymbol && known.insert(node.symbol).second) {
      out.push_back(node.symbol);
    }
    return true;
  });
}

namespace {

ExprPtr Rebuild(const Expr& e, std::vector<ExprPtr> args) {
  switch (e.op) {
    case Op::kNeg:
    case Op::kNot:
      return Unary(e.op, args[0]);
    case Op::kSelect:
      return Select(args[0], args[1], args[2]);
    case Op::kCall:
      return Call(e.func, std::move(args));
    default:
      return Binary(e.op, args[0], args[1]);
  }
}

// Substitution over a shared tree, each distinct node once.
class Substituter {
 public:
  explicit Substituter(const std::function<ExprPtr(int)>& replace)
      : replace_(replace) {}

  ExprPtr Run(const ExprPtr& e) {
    if (e->op == Op::kConst || e->symbol_mask == 0) return e;
    if (e->op == Op::kSymbol) {
      auto it = symbols_.find(e->symbol);
      if (it == symbols_.end()) {
        ExprPtr r = replace_(e->symbol);
        it = symbols_.emplace(e->symbol, r ? r : e).first;
      }
      return it->second;
    }
    const bool memo = e->tree_size > kSmallTree;
    if (memo) {
      if (auto it = memo_.find(e.get()); it != memo_.end()) return it->second;
    }
    std::vector<ExprPtr> args;
    args.reserve(e->args.size());
    bool changed = false;
    for (const auto& a : e->args) {
      args.push_back(Run(a));
      changed = changed || args.back() != a;
    }
    ExprPtr result = changed ? Rebuild(*e, std::move(args)) : e;
    if (memo) memo_[e.get()] = result;
    return result;
  }

 private:
  const std::function<ExprPtr(int)>& replace_;
  absl::flat_hash_map<int, ExprPtr> symbols_;
  absl::flat_hash_map<const Expr*, ExprPtr> memo_;
};

}  // namespace

ExprPtr Substitute(const ExprPtr& e,
                   const std::function<ExprPtr(int)>& replace) {
  return Substituter(replace).Run(e);
}

namespace {

// Symbolic differentiation over a shared tree: each distinct node is
// differentiated once, and whether it depends on the symbol is remembered.
class Differentiator {
 public:
  explicit Differentiator(int symbol) : symbol_(symbol) {}

  ExprPtr Run(const ExprPtr& e) {
    if (!Dep(e)) return Const(0);
    if (auto it = memo_.find(e.get()); it != memo_.end()) return it->second;
    ExprPtr result = Compute(e);
    memo_[e.get()] = result;
    return result;
  }

 private:
  bool Dep(const ExprPtr& e) {
    if (!(e->symbol_mask & SymbolBit(symbol_))) return false;
    if (e->op == Op::kSymbol) return e->symbol == symbol_;
    if (auto it = depends_.find(e.get()); it != depends_.end()) {
      return it->second;
    }
    bool result = false;
    for (const ExprPtr& a : e->args) {
      if (Dep(a)) {
        result = true;
        break;
      }
    }
    depends_[e.get()] = result;
    return result;
  }

  ExprPtr Compute(const ExprPtr& e);

  int symbol_;
  absl::flat_hash_map<const Expr*, bool> depends_;
  absl::flat_hash_map<const Expr*, ExprPtr> memo_;
};

ExprPtr Differentiator::Compute(const ExprPtr& e) {
  const int symbol = symbol_;
  const auto d = [this](const ExprPtr& x) { return Run(x); };
  switch (e->op) {
    case Op::kConst:
      return Const(0);
    case Op::kSymbol:
      return Const(e->symbol == symbol ? 1 : 0);
    case Op::kAdd:
      return Add(d(e->args[0]), d(e->args[1]));
    case Op::kSub:
      return Sub(d(e->args[0]), d(e->args[1]));
    case Op::kNeg:
      return Neg(d(e->args[0]));
    case Op::kMul: {
      const ExprPtr& a = e->args[0];
      const ExprPtr& b = e->args[1];
      return Add(Mul(d(a), b), Mul(a, d(b)));
    }
    case Op::kDiv: {
      const ExprPtr& a = e->args[0];
      const ExprPtr& b = e->args[1];
      if (!Dep(b)) return Div(d(a), b);
      // (a/b)' = a'/b - a*b'/b**2
      return Sub(Div(d(a), b), Div(Mul(a, d(b)), Mul(b, b)));
    }
    case Op::kPow: {
      const ExprPtr& a = e->args[0];
      const ExprPtr& b = e->args[1];
      if (!Dep(b)) {
        // (a**n)' = n*a**(n-1)*a'
        return Mul(Mul(b, Binary(Op::kPow, a, Sub(b, Const(1)))), d(a));
      }
      // (a**b)' = a**b*(b'*log(a) + b*a'/a)
      return Mul(e,
                 Add(Mul(d(b), Call(Func::kLog, {a})), Div(Mul(b, d(a)), a)));
    }
    case Op::kMod: {
      // a % b = a - b*floor(a/b): (a % b)' = a' - b'*floor(a/b)
      const ExprPtr& a = e->args[0];
      const ExprPtr& b = e->args[1];
      if (!Dep(b)) return d(a);
      return Sub(d(a), Mul(d(b), Call(Func::kFloor, {Div(a, b)})));
    }
    case Op::kSelect:
      return Select(e->args[0], d(e->args[1]), d(e->args[2]));
    case Op::kCall: {
      const ExprPtr& x = e->args.empty() ? nullptr : e->args[0];
      switch (e->func) {
        case Func::kExp:
          return Mul(e, d(x));
        case Func::kLog:
          return Div(d(x), x);
        case Func::kLog10:
          return Div(d(x), Mul(x, Const(std::log(10.0))));
        case Func::kSqrt:
          return Div(d(x), Mul(Const(2), e));
        case Func::kAbs:
          return Mul(Call(Func::kSign, {x}), d(x));
        case Func::kSin:
          return Mul(Call(Func::kCos, {x}), d(x));
        case Func::kCos:
          return Neg(Mul(Call(Func::kSin, {x}), d(x)));
        case Func::kTan:
          return Div(d(x), Binary(Op::kPow, Call(Func::kCos, {x}), Const(2)));
        case Func::kSinh:
          return Mul(Call(Func::kCosh, {x}), d(x));
        case Func::kCosh:
          return Mul(Call(Func::kSinh, {x}), d(x));
        case Func::kTanh:
          return Mul(Sub(Const(1), Binary(Op::kPow, e, Const(2))), d(x));
        case Func::kArcsin:
          return Div(d(x),
                     Call(Func::kSqrt,
                          {Sub(Const(1), Binary(Op::kPow, x, Const(2)))}));
        case Func::kArccos:
          return Neg(
              Div(d(x), Call(Func::kSqrt,
                             {Sub(Const(1), Binary(Op::kPow, x, Const(2)))})));
        case Func::kArctan:
          return Div(d(x), Add(Const(1), Binary(Op::kPow, x, Const(2))));
        case Func::kExpm1:
          return Mul(Call(Func::kExp, {x}), d(x));
        case Func::kLog1p:
          return Div(d(x), Add(Const(1), x));
        case Func::kExprel: {
          // exprel'(x) = (x*exp(x) - exp(x) + 1)/x**2
          const ExprPtr ex = Call(Func::kExp, {x});
          return Mul(Div(Add(Sub(Mul(x, ex), ex), Const(1)),
                         Binary(Op::kPow, x, Const(2))),
                     d(x));
        }
        case Func::kClip: {
          // Derivative of the selected branch.
          const ExprPtr& lo = e->args[1];
          const ExprPtr& hi = e->args[2];
          return Select(Binary(Op::kLess, x, lo), d(lo),
                        Select(Binary(Op::kGreater, x, hi), d(hi), d(x)));
        }
        case Func::kFloor:
        case Func::kCeil:
        case Func::kSign:
        case Func::kInt:
        case Func::kRand:
        case Func::kRandn:
          return Const(0);
      }
      return Const(0);
    }
    default:
      // Comparisons, logic and floor division are piecewise constant.
      if (IsLogicalOp(e->op) || e->op == Op::kFloorDiv) return Const(0);
      return Const(0);
  }
}

}  // namespace

ExprPtr Differentiate(const ExprPtr& e, int symbol) {
  return Differentiator(symbol).Run(e);
}

namespace {

class EqualChecker {
 public:
  bool Run(const ExprPtr& a, const ExprPtr& b) {
    if (a == b) return true;
    if (a->op != b->op || a->args.size() != b->args.size() ||
        a->tree_size != b->tree_size || a->symbol_mask != b->symbol_mask ||
        a->has_random || b->has_random) {
      return false;
    }
    switch (a->op) {
      case Op::kConst:
        // Bitwise, so that 0.0 and -0.0 (or NaNs) are not merged.
        return std::signbit(a->value) == std::signbit(b->value) &&
               (a->value == b->value ||
                (std::isnan(a->value) && std::isnan(b->value)));
      case Op::kSymbol:
        return a->symbol == b->symbol;
      case Op::kCall:
        if (a->func != b->func) return false;
        break;
      default:
        break;
    }
    const bool memo = a->tree_size > kSmallTree;
    if (memo && equal_.contains({a.get(), b.get()})) return true;
    for (size_t k = 0; k < a->args.size(); ++k) {
      if (!Run(a->args[k], b->args[k])) return false;
    }
    if (memo) equal_.insert({a.get(), b.get()});
    return true;
  }

 private:
  absl::flat_hash_set<std::pair<const Expr*, const Expr*>> equal_;
};

class Evaluator {
 public:
  explicit Evaluator(const std::function<double(int)>& value_of)
      : value_of_(value_of) {}

  double Run(const ExprPtr& e) {
    if (e->op == Op::kConst) return e->value;
    const bool memo = e->tree_size > kSmallTree && !e->has_random;
    if (memo) {
      if (auto it = memo_.find(e.get()); it != memo_.end()) return it->second;
    }
    const double result = Compute(*e);
    if (memo) memo_[e.get()] = result;
    return result;
  }

 private:
  double Compute(const Expr& e) {
    switch (e.op) {
      case Op::kConst:
        return e.value;
      case Op::kSymbol:
        return value_of_ ? value_of_(e.symbol)
                         : std::numeric_limits<double>::quiet_NaN();
      case Op::kNeg:
        return -Run(e.args[0]);
      case Op::kNot:
        return Run(e.args[0]) == 0 ? 1.0 : 0.0;
      case Op::kSelect:
        return Run(e.args[0]) != 0 ? Run(e.args[1]) : Run(e.args[2]);
      case Op::kCall: {
        double values[3] = {0, 0, 0};
        for (size_t k = 0; k < e.args.size() && k < 3; ++k) {
          values[k] = Run(e.args[k]);
        }
        return ApplyFunc(e.func, values);
      }
      default:
        return ApplyBinary(e.op, Run(e.args[0]), Run(e.args[1]));
    }
  }

  const std::function<double(int)>& value_of_;
  absl::flat_hash_map<const Expr*, double> memo_;
};

}  // namespace

bool Equal(const ExprPtr& a, const ExprPtr& b) {
  return EqualChecker().Run(a, b);
}

double Evaluate(const ExprPtr& e, const std::function<double(int)>& value_of) {
  return Evaluator(value_of).Run(e);
}

namespace {

const char* OpSymbol(Op op) {
  switch (op) {
    case Op::kAdd:
      return " + ";
    case Op::kSub:
      return " - ";
    case Op::kMul:
      return "*";
    case Op::kDiv:
      return "/";
    case Op::kPow:
      return "**";
    case Op::kMod:
      return " % ";
    case Op::kFloorDiv:
      return "//";
    case Op::kLess:
      return " < ";
    case Op::kLessEqual:
      return " <= ";
    case Op::kGreater:
      return " > ";
    case Op::kGreaterEqual:
      return " >= ";
    case Op::kEqual:
      return " == ";
    case Op::kNotEqual:
      return " != ";
    case Op::kAnd:
      return " and ";
    case Op::kOr:
      return " or ";
    default:
      return " ? ";
  }
}

}  // namespace

namespace {

// Writes the text of an expression, stopping at kMaxExprTextLength.
class Printer {
 public:
  explicit Printer(const std::function<std::string(int)>& name_of)
      : name_of_(name_of) {}

  std::string Run(const ExprPtr& e) {
    Print(e);
    if (out_.size() > kMaxExprTextLength) {
      out_.resize(kMaxExprTextLength);
      out_ += "...";
    }
    return std::move(out_);
  }

 private:
  void Put(std::string_view text) {
    if (out_.size() <= kMaxExprTextLength) {
      out_.append(text.data(), text.size());
    }
  }

  void Print(const ExprPtr& e) {
    if (out_.size() > kMaxExprTextLength) return;
    switch (e->op) {
      case Op::kConst:
        Put(std::string(absl::StrCat(e->value)));
        return;
      case Op::kSymbol:
        Put(name_of_(e->symbol));
        return;
      case Op::kNeg:
        Put("-(");
        Print(e->args[0]);
        Put(")");
        return;
      case Op::kNot:
        Put("not (");
        Print(e->args[0]);
        Put(")");
        return;
      case Op::kSelect:
        Put("(");
        Print(e->args[1]);
        Put(" if ");
        Print(e->args[0]);
        Put(" else ");
        Print(e->args[2]);
        Put(")");
        return;
      case Op::kCall:
        Put(FuncName(e->func));
        Put("(");
        for (size_t k = 0; k < e->args.size(); ++k) {
          if (k > 0) Put(", ");
          Print(e->args[k]);
        }
        Put(")");
        return;
      default:
        Put("(");
        Print(e->args[0]);
        Put(OpSymbol(e->op));
        Print(e->args[1]);
        Put(")");
        return;
    }
  }

  const std::function<std::string(int)>& name_of_;
  std::string out_;
};

}  // namespace

std::string ToString(const ExprPtr& e,
                     const std::function<std::string(int)>& name_of) {
  return Printer(name_of).Run(e);
}

}  // namespace cellfit::model
