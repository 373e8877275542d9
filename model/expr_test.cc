// The resolved expression tree: symbolic differentiation checked against
// central finite differences at random points, substitution, the builders'
// simplifications, evaluation semantics, and behaviour on shared trees (a
// subexpression used twice at each of 40 levels must not cost 2**40).
#include "model/expr.h"

#include <cmath>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/checker.h"

namespace cellfit::model {
namespace {

// An expression of the dimensionless symbols x, y, z, converted by the
// checker (so that the tests use the language as users write it).
struct Parsed {
  Model model;
  ExprPtr expr;
  int x, y, z;
};

Parsed Parse(const std::string& text) {
  ModelSpec spec;
  spec.equations = absl::StrCat("x : 1\ny : 1\nz : 1\nf = ", text, " : 1\n");
  CheckResult result = CheckModel(spec);
  EXPECT_TRUE(result.model.has_value()) << text << "\n"
                                        << result.diagnostics.ToStatus();
  if (!result.model) return {};
  Parsed p;
  p.model = *result.model;
  p.x = p.model.Find("x");
  p.y = p.model.Find("y");
  p.z = p.model.Find("z");
  p.expr = p.model.Inline(Sym(p.model.Find("f")));
  return p;
}

double EvalAt(const Parsed& p, const ExprPtr& e, double x, double y, double z) {
  return Evaluate(e, [&](int s) {
    if (s == p.x) return x;
    if (s == p.y) return y;
    if (s == p.z) return z;
    ADD_FAILURE() << "unexpected symbol " << s;
    return 0.0;
  });
}

class DifferentiationTest : public testing::TestWithParam<std::string> {};

TEST_P(DifferentiationTest, MatchesCentralDifferencesAtRandomPoints) {
  const Parsed p = Parse(GetParam());
  ASSERT_NE(p.expr, nullptr);
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> uniform(0.15, 0.85);
  for (int trial = 0; trial < 20; ++trial) {
    const double point[3] = {uniform(rng), uniform(rng), uniform(rng)};
    for (int which = 0; which < 3; ++which) {
      const int symbol = which == 0 ? p.x : which == 1 ? p.y : p.z;
      const ExprPtr derivative = Differentiate(p.expr, symbol);
      const double h = 1e-6;
      double plus[3] = {point[0], point[1], point[2]};
      double minus[3] = {point[0], point[1], point[2]};
      plus[which] += h;
      minus[which] -= h;
      const double numeric = (EvalAt(p, p.expr, plus[0], plus[1], plus[2]) -
                              EvalAt(p, p.expr, minus[0], minus[1], minus[2])) /
                             (2 * h);
      const double symbolic =
          EvalAt(p, derivative, point[0], point[1], point[2]);
      EXPECT_NEAR(symbolic, numeric, 1e-5 * std::max(1.0, std::fabs(numeric)))
          << GetParam() << " d/d"
          << "xyz"[which] << " at (" << point[0] << ", " << point[1] << ", "
          << point[2] << ")";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Functions, DifferentiationTest,
    testing::Values(
        "x + y - z", "x*y*z", "x/y", "(x + 1)/(y*z + 2)", "x**3", "x**-2",
        "x**0.5", "x**y", "2**x", "y**(x*z)", "-x*y", "exp(x*y)", "log(x + y)",
        "log10(x*z)", "sqrt(x + y*z)", "abs(x - 2)", "sin(x)*cos(y)", "tan(z)",
        "sinh(x) + cosh(y) + tanh(z)", "arcsin(x)", "arccos(y)", "arctan(x*y)",
        "expm1(x) + log1p(y)", "exprel(x - y)", "exprel(3*z)",
        "clip(x, 0.3, 0.6) * y", "clip(2*x, y, z + 1)", "x % 0.3",
        "(x + y) % z", "exp(-(x - y)**2/(2*z**2))/z",
        "0.32*(13 - x*10 + y)/(exp((13 - x*10 + y)/4) - 1)",
        "x*(1 - y) - z*y**3*(x - 0.5)", "floor(3*x)*y + int(4*y) + sign(z)*x",
        "(x > y)*x + (x <= y)*y"));

TEST(DifferentiateTest, IsZeroForOtherSymbolsAndPiecewiseConstants) {
  const Parsed p = Parse("y*z + floor(y)");
  EXPECT_TRUE(IsConst(Differentiate(p.expr, p.x), 0));
  const Parsed q = Parse("floor(x) + sign(x) + int(x) + (x > 0.5)");
  EXPECT_TRUE(IsConst(Differentiate(q.expr, q.x), 0));
}

TEST(DifferentiateTest, LinearCoefficientIsExact) {
  const Parsed p = Parse("(0.3 - x)*y/0.2 + z");
  const ExprPtr d = Differentiate(p.expr, p.x);
  EXPECT_FALSE(DependsOn(d, p.x));
  EXPECT_DOUBLE_EQ(EvalAt(p, d, 0.1, 0.4, 0.7), -0.4 / 0.2);
}

// a0 = x, a_k = a_{k-1}*a_{k-1}: f = x**(2**levels), a tree of 2**levels
// leaves shared as a chain of 2*levels nodes.
ExprPtr DoublingChain(int x, int levels) {
  ExprPtr a = Sym(x);
  for (int k = 0; k < levels; ++k) a = Mul(a, a);
  return a;
}

TEST(SharedTreeTest, SummariesCountTheTreeWrittenOut) {
  const ExprPtr e = DoublingChain(0, 40);
  EXPECT_EQ(e->height, 41u);
  EXPECT_EQ(e->tree_size, (uint64_t{1} << 41) - 1);
  EXPECT_EQ(DoublingChain(0, 70)->tree_size, kMaxTreeSize);
  EXPECT_FALSE(e->has_random);
  EXPECT_TRUE(Add(e, Call(Func::kRand, {}))->has_random);
}

TEST(SharedTreeTest, WalksEachSharedNodeOnce) {
  // Each of these would visit 2**40 nodes if it walked the tree.
  const ExprPtr e = DoublingChain(3, 40);
  EXPECT_TRUE(DependsOn(e, 3));
  EXPECT_FALSE(DependsOn(e, 4));
  EXPECT_FALSE(DependsOn(e, 3 + 64));  // the same bit of the symbol mask
  std::vector<int> symbols;
  CollectSymbols(e, symbols);
  EXPECT_EQ(symbols, std::vector<int>{3});
  EXPECT_EQ(Evaluate(e, [](int) { return 1.0; }), 1.0);
  // d/dx x**(2**40) at x = 1 is 2**40.
  const ExprPtr d = Differentiate(e, 3);
  EXPECT_EQ(Evaluate(d, [](int) { return 1.0; }), std::ldexp(1.0, 40));
  const ExprPtr replaced =
      Substitute(e, [](int s) { return s == 3 ? Sym(5) : nullptr; });
  EXPECT_TRUE(DependsOn(replaced, 5));
  EXPECT_FALSE(DependsOn(replaced, 3));
  EXPECT_EQ(replaced->tree_size, e->tree_size);
  EXPECT_TRUE(Equal(e, DoublingChain(3, 40)));
  EXPECT_FALSE(Equal(e, DoublingChain(5, 40)));
  const std::string text = ToString(e, [](int) { return "x"; });
  EXPECT_EQ(text.size(), kMaxExprTextLength + 3);
  EXPECT_EQ(text.substr(text.size() - 3), "...");
}

TEST(SubstituteTest, ReplacesSymbolsAndKeepsUntouchedTrees) {
  const Parsed p = Parse("x*y + exp(z)");
  const ExprPtr same = Substitute(p.expr, [](int) { return nullptr; });
  EXPECT_EQ(same, p.expr);
  const ExprPtr shifted = Substitute(p.expr, [&](int s) -> ExprPtr {
    return s == p.x ? Add(Sym(p.y), Const(1)) : nullptr;
  });
  EXPECT_FALSE(DependsOn(shifted, p.x));
  for (double y : {0.2, 0.7}) {
    EXPECT_DOUBLE_EQ(EvalAt(p, shifted, 0, y, 0.3),
                     EvalAt(p, p.expr, y + 1, y, 0.3));
  }
  // Substituting constants folds what becomes constant.
  const ExprPtr folded = Substitute(
      p.expr, [&](int s) -> ExprPtr { return s == p.z ? Const(0) : nullptr; });
  EXPECT_EQ(ToString(folded, [&](int s) { return p.model.NameOf(s); }),
            "((x*y) + 1)");
}

TEST(BuilderTest, SimplifiesOnlyExactIdentities) {
  const ExprPtr x = Sym(0);
  EXPECT_EQ(Add(x, Const(0)), x);
  EXPECT_EQ(Add(Const(0), x), x);
  EXPECT_EQ(Sub(x, Const(0)), x);
  EXPECT_EQ(Mul(x, Const(1)), x);
  EXPECT_EQ(Mul(Const(1), x), x);
  EXPECT_EQ(Div(x, Const(1)), x);
  EXPECT_EQ(Binary(Op::kPow, x, Const(1)), x);
  EXPECT_TRUE(IsConst(Binary(Op::kPow, x, Const(0)), 1));
  EXPECT_TRUE(IsConst(Mul(x, Const(0)), 0));
  EXPECT_EQ(Neg(Neg(x)), x);
  EXPECT_EQ(Sub(Const(0), x)->op, Op::kNeg);
  EXPECT_TRUE(IsConst(Mul(Const(2), Const(3)), 6));
  EXPECT_TRUE(IsConst(Call(Func::kExp, {Const(0)}), 1));
  EXPECT_TRUE(IsConst(Select(Const(1), Const(2), x), 2));
  EXPECT_EQ(Select(Sym(1), x, x), x);
  // rand() is never folded, and (x*2)*3 keeps its written order.
  EXPECT_EQ(Call(Func::kRand, {})->op, Op::kCall);
  const ExprPtr product = Mul(Mul(x, Const(2)), Const(3));
  EXPECT_EQ(product->op, Op::kMul);
  EXPECT_TRUE(IsConst(product->args[1], 3));
}

TEST(EvaluateTest, FollowsPythonAndBrian2Semantics) {
  EXPECT_EQ(ApplyBinary(Op::kMod, -7, 3), 2);
  EXPECT_EQ(ApplyBinary(Op::kMod, 7, -3), -2);
  EXPECT_EQ(ApplyBinary(Op::kFloorDiv, -7, 2), -4);
  EXPECT_EQ(ApplyBinary(Op::kPow, 2, -1), 0.5);
  double args[3] = {-2.5, 0, 0};
  EXPECT_EQ(ApplyFunc(Func::kInt, args), -2);
  EXPECT_EQ(ApplyFunc(Func::kSign, args), -1);
  EXPECT_EQ(ApplyFunc(Func::kFloor, args), -3);
  args[0] = 0;
  EXPECT_EQ(ApplyFunc(Func::kExprel, args), 1);
  args[0] = 1e-20;
  EXPECT_EQ(ApplyFunc(Func::kExprel, args), 1);
  args[0] = 2;
  EXPECT_DOUBLE_EQ(ApplyFunc(Func::kExprel, args), std::expm1(2.0) / 2);
  double clip[3] = {5, -1, 1};
  EXPECT_EQ(ApplyFunc(Func::kClip, clip), 1);
  clip[0] = -5;
  EXPECT_EQ(ApplyFunc(Func::kClip, clip), -1);
}

TEST(EqualTest, IsStructuralAndKeepsSignedZerosApart) {
  const Parsed p = Parse("x*y + exp(z)");
  const Parsed q = Parse("x*y + exp(z)");
  EXPECT_TRUE(Equal(p.expr, q.expr));
  EXPECT_FALSE(Equal(Const(0.0), Const(-0.0)));
  EXPECT_FALSE(Equal(Call(Func::kRand, {}), Call(Func::kRand, {})));
  EXPECT_FALSE(Equal(Parse("x*y").expr, Parse("y*x").expr));
}

}  // namespace
}  // namespace cellfit::model
