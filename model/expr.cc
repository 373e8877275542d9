#include "model/expr.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cellfit::model {
namespace {

ExprPtr Make(Expr e) { return std::make_shared<const Expr>(std::move(e)); }

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
    case Func::kExp: return "exp";
    case Func::kLog: return "log";
    case Func::kLog10: return "log10";
    case Func::kSqrt: return "sqrt";
    case Func::kAbs: return "abs";
    case Func::kSin: return "sin";
    case Func::kCos: return "cos";
    case Func::kTan: return "tan";
    case Func::kSinh: return "sinh";
    case Func::kCosh: return "cosh";
    case Func::kTanh: return "tanh";
    case Func::kArcsin: return "arcsin";
    case Func::kArccos: return "arccos";
    case Func::kArctan: return "arctan";
    case Func::kFloor: return "floor";
    case Func::kCeil: return "ceil";
    case Func::kClip: return "clip";
    case Func::kExprel: return "exprel";
    case Func::kSign: return "sign";
    case Func::kInt: return "int";
    case Func::kExpm1: return "expm1";
    case Func::kLog1p: return "log1p";
    case Func::kRand: return "rand";
    case Func::kRandn: return "randn";
  }
  return "?";
}

int FuncArity(Func func) {
  switch (func) {
    case Func::kClip: return 3;
    case Func::kRand:
    case Func::kRandn: return 0;
    default: return 1;
  }
}

bool IsRandom(Func func) { return func == Func::kRand || func == Func::kRandn; }

double ApplyBinary(Op op, double a, double b) {
  switch (op) {
    case Op::kAdd: return a + b;
    case Op::kSub: return a - b;
    case Op::kMul: return a * b;
    case Op::kDiv: return a / b;
    case Op::kPow: return std::pow(a, b);
    case Op::kMod: {
      // Python's modulo: the result has the sign of the divisor.
      double r = std::fmod(a, b);
      if (r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    }
    case Op::kFloorDiv: return std::floor(a / b);
    case Op::kLess: return a < b ? 1.0 : 0.0;
    case Op::kLessEqual: return a <= b ? 1.0 : 0.0;
    case Op::kGreater: return a > b ? 1.0 : 0.0;
    case Op::kGreaterEqual: return a >= b ? 1.0 : 0.0;
    case Op::kEqual: return a == b ? 1.0 : 0.0;
    case Op::kNotEqual: return a != b ? 1.0 : 0.0;
    case Op::kAnd: return (a != 0 && b != 0) ? 1.0 : 0.0;
    case Op::kOr: return (a != 0 || b != 0) ? 1.0 : 0.0;
    default: return std::numeric_limits<double>::quiet_NaN();
  }
}

double ApplyFunc(Func func, const double* args) {
  const double x = args[0];
  switch (func) {
    case Func::kExp: return std::exp(x);
    case Func::kLog: return std::log(x);
    case Func::kLog10: return std::log10(x);
    case Func::kSqrt: return std::sqrt(x);
    case Func::kAbs: return std::fabs(x);
    case Func::kSin: return std::sin(x);
    case Func::kCos: return std::cos(x);
    case Func::kTan: return std::tan(x);
    case Func::kSinh: return std::sinh(x);
    case Func::kCosh: return std::cosh(x);
    case Func::kTanh: return std::tanh(x);
    case Func::kArcsin: return std::asin(x);
    case Func::kArccos: return std::acos(x);
    case Func::kArctan: return std::atan(x);
    case Func::kFloor: return std::floor(x);
    case Func::kCeil: return std::ceil(x);
    case Func::kClip: return x < args[1] ? args[1] : (x > args[2] ? args[2] : x);
    case Func::kExprel:
      // Brian2's exprel: 1 near 0, expm1(x)/x elsewhere.
      if (std::fabs(x) < 1e-16) return 1.0;
      if (x > 717) return std::numeric_limits<double>::infinity();
      return std::expm1(x) / x;
    case Func::kSign: return static_cast<double>((0 < x) - (x < 0));
    case Func::kInt: return std::trunc(x);
    case Func::kExpm1: return std::expm1(x);
    case Func::kLog1p: return std::log1p(x);
    case Func::kRand:
    case Func::kRandn: return std::numeric_limits<double>::quiet_NaN();
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
  if (IsConst(a) && IsConst(b)) return Const(ApplyBinary(op, a->value, b->value));
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
  if (e->op == Op::kSymbol) return e->symbol == symbol;
  for (const auto& a : e->args) {
    if (DependsOn(a, symbol)) return true;
  }
  return false;
}

bool DependsOnAny(const ExprPtr& e, const std::function<bool(int)>& pred) {
  if (e->op == Op::kSymbol) return pred(e->symbol);
  for (const auto& a : e->args) {
    if (DependsOnAny(a, pred)) return true;
  }
  return false;
}

bool HasRandomCall(const ExprPtr& e) {
  if (e->op == Op::kCall && IsRandom(e->func)) return true;
  for (const auto& a : e->args) {
    if (HasRandomCall(a)) return true;
  }
  return false;
}

void CollectSymbols(const ExprPtr& e, std::vector<int>& out) {
  if (e->op == Op::kSymbol) {
    for (int s : out) {
      if (s == e->symbol) return;
    }
    out.push_back(e->symbol);
    return;
  }
  for (const auto& a : e->args) CollectSymbols(a, out);
}

ExprPtr Substitute(const ExprPtr& e,
                   const std::function<ExprPtr(int)>& replace) {
  switch (e->op) {
    case Op::kConst:
      return e;
    case Op::kSymbol: {
      ExprPtr r = replace(e->symbol);
      return r ? r : e;
    }
    default:
      break;
  }
  std::vector<ExprPtr> args;
  args.reserve(e->args.size());
  bool changed = false;
  for (const auto& a : e->args) {
    args.push_back(Substitute(a, replace));
    changed = changed || args.back() != a;
  }
  if (!changed) return e;
  switch (e->op) {
    case Op::kNeg:
    case Op::kNot:
      return Unary(e->op, args[0]);
    case Op::kSelect:
      return Select(args[0], args[1], args[2]);
    case Op::kCall:
      return Call(e->func, std::move(args));
    default:
      return Binary(e->op, args[0], args[1]);
  }
}

ExprPtr Differentiate(const ExprPtr& e, int symbol) {
  if (!DependsOn(e, symbol)) return Const(0);
  const auto d = [symbol](const ExprPtr& x) { return Differentiate(x, symbol); };
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
      if (!DependsOn(b, symbol)) return Div(d(a), b);
      // (a/b)' = a'/b - a*b'/b**2
      return Sub(Div(d(a), b), Div(Mul(a, d(b)), Mul(b, b)));
    }
    case Op::kPow: {
      const ExprPtr& a = e->args[0];
      const ExprPtr& b = e->args[1];
      if (!DependsOn(b, symbol)) {
        // (a**n)' = n*a**(n-1)*a'
        return Mul(Mul(b, Binary(Op::kPow, a, Sub(b, Const(1)))), d(a));
      }
      // (a**b)' = a**b*(b'*log(a) + b*a'/a)
      return Mul(e, Add(Mul(d(b), Call(Func::kLog, {a})),
                        Div(Mul(b, d(a)), a)));
    }
    case Op::kMod:
      return d(e->args[0]);
    case Op::kSelect:
      return Select(e->args[0], d(e->args[1]), d(e->args[2]));
    case Op::kCall: {
      const ExprPtr& x = e->args.empty() ? nullptr : e->args[0];
      switch (e->func) {
        case Func::kExp: return Mul(e, d(x));
        case Func::kLog: return Div(d(x), x);
        case Func::kLog10:
          return Div(d(x), Mul(x, Const(std::log(10.0))));
        case Func::kSqrt: return Div(d(x), Mul(Const(2), e));
        case Func::kAbs: return Mul(Call(Func::kSign, {x}), d(x));
        case Func::kSin: return Mul(Call(Func::kCos, {x}), d(x));
        case Func::kCos: return Neg(Mul(Call(Func::kSin, {x}), d(x)));
        case Func::kTan:
          return Div(d(x), Binary(Op::kPow, Call(Func::kCos, {x}), Const(2)));
        case Func::kSinh: return Mul(Call(Func::kCosh, {x}), d(x));
        case Func::kCosh: return Mul(Call(Func::kSinh, {x}), d(x));
        case Func::kTanh:
          return Mul(Sub(Const(1), Binary(Op::kPow, e, Const(2))), d(x));
        case Func::kArcsin:
          return Div(d(x), Call(Func::kSqrt,
                                {Sub(Const(1), Binary(Op::kPow, x, Const(2)))}));
        case Func::kArccos:
          return Neg(Div(d(x), Call(Func::kSqrt, {Sub(Const(1),
                                                      Binary(Op::kPow, x,
                                                             Const(2)))})));
        case Func::kArctan:
          return Div(d(x), Add(Const(1), Binary(Op::kPow, x, Const(2))));
        case Func::kExpm1: return Mul(Call(Func::kExp, {x}), d(x));
        case Func::kLog1p: return Div(d(x), Add(Const(1), x));
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

bool Equal(const ExprPtr& a, const ExprPtr& b) {
  if (a == b) return true;
  if (a->op != b->op || a->args.size() != b->args.size()) return false;
  switch (a->op) {
    case Op::kConst:
      // Bitwise, so that 0.0 and -0.0 (or NaNs) are not merged.
      return std::signbit(a->value) == std::signbit(b->value) &&
             (a->value == b->value ||
              (std::isnan(a->value) && std::isnan(b->value)));
    case Op::kSymbol:
      return a->symbol == b->symbol;
    case Op::kCall:
      if (a->func != b->func || IsRandom(a->func)) return false;
      break;
    default:
      break;
  }
  for (size_t k = 0; k < a->args.size(); ++k) {
    if (!Equal(a->args[k], b->args[k])) return false;
  }
  return true;
}

double Evaluate(const ExprPtr& e, const std::function<double(int)>& value_of) {
  switch (e->op) {
    case Op::kConst:
      return e->value;
    case Op::kSymbol:
      return value_of ? value_of(e->symbol)
                      : std::numeric_limits<double>::quiet_NaN();
    case Op::kNeg:
      return -Evaluate(e->args[0], value_of);
    case Op::kNot:
      return Evaluate(e->args[0], value_of) == 0 ? 1.0 : 0.0;
    case Op::kSelect:
      return Evaluate(e->args[0], value_of) != 0
                 ? Evaluate(e->args[1], value_of)
                 : Evaluate(e->args[2], value_of);
    case Op::kCall: {
      double values[3] = {0, 0, 0};
      for (size_t k = 0; k < e->args.size(); ++k) {
        values[k] = Evaluate(e->args[k], value_of);
      }
      return ApplyFunc(e->func, values);
    }
    default:
      return ApplyBinary(e->op, Evaluate(e->args[0], value_of),
                         Evaluate(e->args[1], value_of));
  }
}

namespace {

const char* OpSymbol(Op op) {
  switch (op) {
    case Op::kAdd: return " + ";
    case Op::kSub: return " - ";
    case Op::kMul: return "*";
    case Op::kDiv: return "/";
    case Op::kPow: return "**";
    case Op::kMod: return " % ";
    case Op::kFloorDiv: return "//";
    case Op::kLess: return " < ";
    case Op::kLessEqual: return " <= ";
    case Op::kGreater: return " > ";
    case Op::kGreaterEqual: return " >= ";
    case Op::kEqual: return " == ";
    case Op::kNotEqual: return " != ";
    case Op::kAnd: return " and ";
    case Op::kOr: return " or ";
    default: return " ? ";
  }
}

}  // namespace

std::string ToString(const ExprPtr& e,
                     const std::function<std::string(int)>& name_of) {
  const auto s = [&](const ExprPtr& x) { return ToString(x, name_of); };
  switch (e->op) {
    case Op::kConst:
      return absl::StrCat(e->value);
    case Op::kSymbol:
      return name_of(e->symbol);
    case Op::kNeg:
      return absl::StrCat("-(", s(e->args[0]), ")");
    case Op::kNot:
      return absl::StrCat("not (", s(e->args[0]), ")");
    case Op::kSelect:
      return absl::StrCat("(", s(e->args[1]), " if ", s(e->args[0]), " else ",
                          s(e->args[2]), ")");
    case Op::kCall: {
      std::vector<std::string> args;
      for (const auto& a : e->args) args.push_back(s(a));
      return absl::StrCat(FuncName(e->func), "(", absl::StrJoin(args, ", "),
                          ")");
    }
    default:
      return absl::StrCat("(", s(e->args[0]), OpSymbol(e->op), s(e->args[1]),
                          ")");
  }
}

}  // namespace cellfit::model
