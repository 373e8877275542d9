// The checked, resolved form of expressions: an immutable tree whose leaves are
// numbers and symbols of the model (state variables, parameters, inputs, ...).
// Units are gone (folded into numbers, in SI); names are symbol ids. Symbolic
// differentiation, substitution and the integration methods work on this form,
// and lowering turns it into the step program.
#ifndef CELLFIT_MODEL_EXPR_H_
#define CELLFIT_MODEL_EXPR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cellfit::model {

enum class Op : uint8_t {
  kConst,
  kSymbol,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kPow,
  kNeg,
  kMod,
  kFloorDiv,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  kEqual,
  kNotEqual,
  kAnd,
  kOr,
  kNot,
  kSelect,  // args: condition, value if true, value if false
  kCall,
};

enum class Func : uint8_t {
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
  kRand,
  kRandn,
};

const char* FuncName(Func func);
int FuncArity(Func func);
// rand() and randn() give a new value at every evaluation.
bool IsRandom(Func func);

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

struct Expr {
  Op op = Op::kConst;
  Func func = Func::kExp;  // kCall only
  double value = 0;        // kConst only
  int symbol = -1;         // kSymbol only
  std::vector<ExprPtr> args;

  // Summaries the builders compute, so that questions about large shared
  // trees are answered without walking them: a bit per symbol (symbol % 64)
  // that may occur below, whether rand()/randn() occurs, and the number of
  // nodes of the tree written out (shared sub-trees counted each time they
  // are used; saturates at kMaxTreeSize), and its height. Passes over
  // expressions recurse as deep as the height: the checker bounds it.
  uint64_t symbol_mask = 0;
  bool has_random = false;
  uint64_t tree_size = 1;
  uint32_t height = 1;  // levels of nodes, 1 for a leaf
};

// The largest tree size Expr::tree_size tells apart.
inline constexpr uint64_t kMaxTreeSize = uint64_t{1} << 62;

// Builders. They fold constants and apply identities that are exact in
// floating point (x+0, x*1, x*0 for finite x is not folded, 0-x -> -x, --x),
// keeping the order of the remaining operations so that results match a
// direct evaluation of the written expression.
ExprPtr Const(double value);
ExprPtr Sym(int symbol);
ExprPtr Unary(Op op, ExprPtr a);
ExprPtr Binary(Op op, ExprPtr a, ExprPtr b);
ExprPtr Select(ExprPtr condition, ExprPtr if_true, ExprPtr if_false);
ExprPtr Call(Func func, std::vector<ExprPtr> args);

inline ExprPtr Add(ExprPtr a, ExprPtr b) { return Binary(Op::kAdd, a, b); }
inline ExprPtr Sub(ExprPtr a, ExprPtr b) { return Binary(Op::kSub, a, b); }
inline ExprPtr Mul(ExprPtr a, ExprPtr b) { return Binary(Op::kMul, a, b); }
inline ExprPtr Div(ExprPtr a, ExprPtr b) { return Binary(Op::kDiv, a, b); }
inline ExprPtr Neg(ExprPtr a) { return Unary(Op::kNeg, a); }

bool IsConst(const ExprPtr& e, double value);
bool IsConst(const ExprPtr& e);
// Whether `e` refers to `symbol` anywhere.
bool DependsOn(const ExprPtr& e, int symbol);
// Whether `e` refers to any symbol for which `pred` is true.
bool DependsOnAny(const ExprPtr& e, const std::function<bool(int)>& pred);
// Whether `e` calls rand()/randn().
bool HasRandomCall(const ExprPtr& e);
// Collects the symbols `e` refers to (unique, in first-use order).
void CollectSymbols(const ExprPtr& e, std::vector<int>& out);

// Replaces symbols: `replace(symbol)` returns the replacement or null to keep.
ExprPtr Substitute(const ExprPtr& e,
                   const std::function<ExprPtr(int)>& replace);

// d e / d symbol, simplified. Symbols are independent variables (inline
// subexpressions first). Calls without a derivative (floor, int, sign, rand,
// comparisons) differentiate to 0 where their derivative is 0 almost
// everywhere, as sympy does for floor/sign.
ExprPtr Differentiate(const ExprPtr& e, int symbol);

// Structural equality.
bool Equal(const ExprPtr& a, const ExprPtr& b);

// Evaluates an expression with no symbols (or with `value_of` for symbols).
double Evaluate(const ExprPtr& e,
                const std::function<double(int)>& value_of = nullptr);

// Python-like text, with `name_of` naming symbols; used in messages and tests.
// Text beyond kMaxExprTextLength characters is cut off with "...".
inline constexpr size_t kMaxExprTextLength = 100000;
std::string ToString(const ExprPtr& e,
                     const std::function<std::string(int)>& name_of);

// Applies a function or operator to numbers, with the semantics both
// simulation backends implement (Python's % and //, C's int truncation,
// Brian2's exprel and clip).
double ApplyFunc(Func func, const double* args);
double ApplyBinary(Op op, double a, double b);

}  // namespace cellfit::model

#endif  // CELLFIT_MODEL_EXPR_H_
