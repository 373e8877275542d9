// The lexer and parser: Python's precedence and associativity, numbers,
// equations spanning lines, flags, statements, positions, and the bounds that
// keep hostile input from exhausting the stack.
#include "model/parser.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/checker.h"
#include "model/lexer.h"

namespace cellfit::model {
namespace {

// The parsed expression written back with explicit parentheses, or the
// first diagnostic.
std::string Parsed(std::string_view text) {
  Diagnostics diagnostics;
  auto ast = ParseExpression(text, "test", diagnostics);
  if (!ast) return diagnostics.items().at(0).ToString();
  return AstToString(*ast);
}

TEST(ParserTest, FollowsPythonPrecedence) {
  EXPECT_EQ(Parsed("a + b*c"), "(a + (b*c))");
  EXPECT_EQ(Parsed("a*b + c"), "((a*b) + c)");
  EXPECT_EQ(Parsed("a - b - c"), "((a - b) - c)");
  EXPECT_EQ(Parsed("a/b/c"), "((a/b)/c)");
  EXPECT_EQ(Parsed("a/b*c"), "((a/b)*c)");
  EXPECT_EQ(Parsed("a // b % c"), "((a // b) % c)");
  EXPECT_EQ(Parsed("(a + b)*c"), "((a + b)*c)");
}

TEST(ParserTest, PowerBindsRightAndTighterThanUnaryMinus) {
  EXPECT_EQ(Parsed("a**b**c"), "(a**(b**c))");
  EXPECT_EQ(Parsed("-a**2"), "-(a**2)");
  EXPECT_EQ(Parsed("a**-2"), "(a**-2)");
  EXPECT_EQ(Parsed("2*x**-1*y"), "((2*(x**-1))*y)");
  EXPECT_EQ(Parsed("--a"), "--a");
  EXPECT_EQ(Parsed("+a"), "+a");
}

TEST(ParserTest, ComparisonsBindTighterThanNotAndOr) {
  EXPECT_EQ(Parsed("not a < b and c >= d or e == f"),
            "((not (a < b) and (c >= d)) or (e == f))");
  EXPECT_EQ(Parsed("a != b"), "(a != b)");
  EXPECT_EQ(Parsed("a + 1 <= b*2"), "((a + 1) <= (b*2))");
}

TEST(ParserTest, ChainedComparisonIsAnError) {
  EXPECT_EQ(Parsed("a < b < c"),
            "test:1:7: error: chained comparisons such as 'a < b < c' are not "
            "supported; write 'a < b and b < c'");
}

TEST(ParserTest, ReadsNumbersAsPythonDoes) {
  Diagnostics diagnostics;
  for (const auto& [text, value, integer] :
       std::vector<std::tuple<std::string, double, bool>>{{"42", 42, true},
                                                          {"1e-3", 1e-3, false},
                                                          {".5", 0.5, false},
                                                          {"1.", 1.0, false},
                                                          {"2E+2", 200, false},
                                                          {"0.1", 0.1, false},
                                                          {"True", 1, true},
                                                          {"False", 0, true}}) {
    auto ast = ParseExpression(text, "test", diagnostics);
    ASSERT_NE(ast, nullptr) << text;
    EXPECT_EQ(ast->kind, AstNode::Kind::kNumber) << text;
    EXPECT_EQ(ast->number, value) << text;
    EXPECT_EQ(ast->integer_literal, integer) << text;
  }
  EXPECT_TRUE(diagnostics.empty());
}

TEST(ParserTest, CallsTakeSeveralArgumentsAndNest) {
  EXPECT_EQ(Parsed("clip(v, -1, exp(x))"), "clip(v, -1, exp(x))");
  EXPECT_EQ(Parsed("rand()"), "rand()");
  EXPECT_EQ(Parsed("f(a, b"),
            "test:1:7: error: expected ',' or ')' in the call of 'f', found "
            "end of text");
}

TEST(ParserTest, ExpressionMaySpanLines) {
  EXPECT_EQ(Parsed("a +\n  b"), "(a + b)");
  EXPECT_EQ(Parsed("(a\n + b)\n"), "(a + b)");
}

TEST(ParserTest, RendersHugeIntegerLiteralsWithoutOverflow) {
  // Found by the fuzzer: a literal beyond the range of long long.
  const std::string huge = "1" + std::string(120, '3');
  EXPECT_EQ(Parsed(huge), "1.33333e+120");
  auto q = ParseQuantity(absl::StrCat("e % -", huge, " + 1*mV"), "test");
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("'(e % -1.33333e+120)' has unit 1"),
            std::string::npos)
      << q.status();
}

TEST(ParserTest, RecordsWhereEachSubExpressionStarts) {
  Diagnostics diagnostics;
  auto ast = ParseExpression("x + (a\n  - b)*c", "test", diagnostics);
  ASSERT_NE(ast, nullptr);
  EXPECT_EQ(ast->location.line, 1);
  EXPECT_EQ(ast->location.column, 3);  // the '+'
  EXPECT_EQ(ast->start.column, 1);
  const AstNode& product = *ast->children[1];
  EXPECT_EQ(product.start.line, 1);
  EXPECT_EQ(product.start.column, 5);  // the '(' of (a - b)
  EXPECT_EQ(product.location.line, 2);
  EXPECT_EQ(product.location.column, 7);  // the '*'
  EXPECT_EQ(product.height, 3);
}

TEST(ParserTest, EquationsOfEveryKindWithUnitsAndFlags) {
  Diagnostics diagnostics;
  auto equations = ParseEquations(
      "dv/dt = (I - v)/tau : volt (unless refractory)\n"
      "# a comment line\n"
      "I = g*(E - v) : amp  # trailing comment\n"
      "g : siemens/metre**2 (constant, shared)\n"
      "b = v > 0*mV : boolean\n"
      "n : 1\n",
      "model", diagnostics);
  ASSERT_TRUE(diagnostics.empty()) << diagnostics.ToStatus();
  ASSERT_EQ(equations.size(), 5u);
  EXPECT_EQ(equations[0].kind, EquationKind::kDifferential);
  EXPECT_EQ(equations[0].name, "v");
  EXPECT_EQ(equations[0].flags, std::vector<std::string>{"unless refractory"});
  EXPECT_EQ(equations[0].flag_locations.at(0).column, 29);
  EXPECT_EQ(equations[1].kind, EquationKind::kSubexpression);
  EXPECT_EQ(equations[1].location.line, 3);
  EXPECT_EQ(equations[2].kind, EquationKind::kParameter);
  EXPECT_EQ(AstToString(*equations[2].unit), "(siemens/(metre**2))");
  EXPECT_EQ(equations[2].flags,
            (std::vector<std::string>{"constant", "shared"}));
  EXPECT_EQ(equations[2].flag_locations.at(1).column, 33);
  EXPECT_EQ(equations[3].special_unit, "boolean");
  EXPECT_EQ(equations[4].special_unit, "1");
}

TEST(ParserTest, ContinuedLinesBelongToTheEquationTheyContinue) {
  Diagnostics diagnostics;
  auto equations = ParseEquations(
      "dm/dt = 0.32*(mV**-1)*(13.*mV-v+VT)/\n"
      "    (exp((13.*mV-v+VT)/(4.*mV))-1.)/ms*(1-m) : 1\n"
      "alpha = ((-0.32/mV) * (v - VT))\n"
      "        / (exp(-v/(4.*mV)) - 1) / ms : Hz\n"
      "x = a \\\n"
      "    + b : 1\n",
      "model", diagnostics);
  ASSERT_TRUE(diagnostics.empty()) << diagnostics.ToStatus();
  ASSERT_EQ(equations.size(), 3u);
  EXPECT_EQ(equations[1].name, "alpha");
  EXPECT_EQ(equations[1].location.line, 3);
  // The '/' that starts line 4 divides the whole first line.
  EXPECT_EQ(equations[1].expr->location.line, 4);
  EXPECT_EQ(equations[2].location.line, 5);
  EXPECT_EQ(AstToString(*equations[2].expr), "(a + b)");
}

TEST(ParserTest, ReportsEveryBadEquationAndGoesOn) {
  Diagnostics diagnostics;
  auto equations = ParseEquations(
      "dv/dt = (1 - v/ms : 1\n"
      "w : 1\n"
      "dx/dt = x + : 1\n"
      "y : 1\n",
      "model", diagnostics);
  ASSERT_EQ(diagnostics.size(), 2u) << diagnostics.ToStatus();
  EXPECT_EQ(diagnostics.items()[0].location.line, 1);
  EXPECT_EQ(diagnostics.items()[1].location.line, 3);
  ASSERT_EQ(equations.size(), 2u);
  EXPECT_EQ(equations[0].name, "w");
  EXPECT_EQ(equations[1].name, "y");
}

TEST(ParserTest, StatementsSeparatedByNewlinesAndSemicolons) {
  Diagnostics diagnostics;
  auto statements = ParseStatements(
      "v = 0*mV; w += b\n\nx -= 1\ny *= 2; z /= 3;", "reset", diagnostics);
  ASSERT_TRUE(diagnostics.empty()) << diagnostics.ToStatus();
  ASSERT_EQ(statements.size(), 5u);
  EXPECT_EQ(statements[0].op, AssignOp::kSet);
  EXPECT_EQ(statements[1].op, AssignOp::kAdd);
  EXPECT_EQ(statements[1].location.column, 11);
  EXPECT_EQ(statements[2].op, AssignOp::kSub);
  EXPECT_EQ(statements[2].location.line, 3);
  EXPECT_EQ(statements[3].op, AssignOp::kMul);
  EXPECT_EQ(statements[4].op, AssignOp::kDiv);
  EXPECT_EQ(statements[4].target, "z");
}

TEST(ParserTest, AcceptsNestingUpToTheBoundAndRejectsBeyond) {
  // The whole expression is one level; each parenthesis adds one.
  const int levels = kMaxExpressionDepth - 1;
  EXPECT_EQ(Parsed(std::string(levels, '(') + "x" + std::string(levels, ')')),
            "x");
  EXPECT_NE(
      Parsed(std::string(levels + 1, '(') + "x" + std::string(levels + 1, ')'))
          .find("nested too deeply"),
      std::string::npos);
  // A chain of n binary operators is n + 1 levels high.
  std::string chain = "x";
  for (int k = 1; k < kMaxExpressionDepth; ++k) chain += "-x";
  EXPECT_EQ(Parsed(chain).find("error"), std::string::npos);
  EXPECT_NE(Parsed(chain + "-x").find("nested too deeply"), std::string::npos);
}

TEST(ParserTest, DepthBudgetIsRestoredAfterAnError) {
  // A too-deep first equation must not shrink the budget of the next one.
  Diagnostics diagnostics;
  const int levels = kMaxExpressionDepth - 1;
  const std::string deep_ok =
      std::string(levels - 1, '(') + "x" + std::string(levels - 1, ')');
  std::string text;
  for (int k = 0; k < 5; ++k) {
    absl::StrAppend(&text, "a", k, " = ", std::string(400, '('), "x : 1\n");
  }
  absl::StrAppend(&text, "y = ", deep_ok, " : 1\n");
  auto equations = ParseEquations(text, "model", diagnostics);
  EXPECT_EQ(diagnostics.size(), 5u) << diagnostics.ToStatus();
  ASSERT_EQ(equations.size(), 1u);
  EXPECT_EQ(equations[0].name, "y");
}

TEST(LexerTest, TokensCarryLineAndColumn) {
  Diagnostics diagnostics;
  auto tokens = Tokenize("a += 1e3\n  b**c # note\n", "test", diagnostics);
  ASSERT_TRUE(diagnostics.empty());
  ASSERT_EQ(tokens.size(), 9u);
  EXPECT_EQ(tokens[1].kind, TokenKind::kPlusAssign);
  EXPECT_EQ(tokens[2].text, "1e3");
  EXPECT_EQ(tokens[2].location.column, 6);
  EXPECT_EQ(tokens[4].text, "b");
  EXPECT_EQ(tokens[4].location.line, 2);
  EXPECT_EQ(tokens[4].location.column, 3);
  EXPECT_EQ(tokens[5].kind, TokenKind::kPower);
  EXPECT_EQ(tokens[8].kind, TokenKind::kEnd);
  EXPECT_EQ(DescribeToken(tokens[7]), "end of line");
}

TEST(LexerTest, ReportsEachProblemOnceAndSkipsIt) {
  Diagnostics diagnostics;
  auto tokens = Tokenize("a \xe2\x82\xac b @ c", "test", diagnostics);
  ASSERT_EQ(diagnostics.size(), 2u);
  EXPECT_EQ(diagnostics.items()[0].message,
            "non-ASCII character U+20AC is not allowed in model text");
  EXPECT_EQ(diagnostics.items()[1].location.column, 9);
  EXPECT_EQ(tokens.size(), 4u);  // a b c end
}

}  // namespace
}  // namespace cellfit::model
