#include "model/parser.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "model/lexer.h"

namespace cellfit::model {
namespace {

// Debian's Abseil has its own string_view type; StrCat needs it.
absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

// Thrown inside the parser only, to unwind to the enclosing equation or
// statement after a syntax error has been recorded; never crosses the module
// boundary.
struct SyntaxError {};

class Parser {
 public:
  Parser(std::string_view text, std::string_view field,
         Diagnostics& diagnostics)
      : field_(field),
        diagnostics_(diagnostics),
        tokens_(Tokenize(text, field, diagnostics)) {}

  std::unique_ptr<AstNode> ParseWholeExpression() {
    skip_newlines_ = true;
    try {
      SkipNewlines();
      if (Peek().kind == TokenKind::kEnd) {
        Error(Peek().location, "expected an expression, found empty text");
      }
      auto expr = ParseExpr();
      SkipNewlines();
      if (Peek().kind != TokenKind::kEnd) {
        ErrorUnexpected(Peek(), " after the end of the expression");
      }
      return expr;
    } catch (const SyntaxError&) {
      return nullptr;
    }
  }

  std::vector<StatementAst> ParseStatementList() {
    std::vector<StatementAst> statements;
    while (true) {
      skip_newlines_ = false;
      while (Peek().kind == TokenKind::kNewline ||
             Peek().kind == TokenKind::kSemicolon) {
        Advance();
      }
      if (Peek().kind == TokenKind::kEnd) break;
      if (static_cast<int>(statements.size()) >= kMaxEquations) {
        Error(Peek().location,
              absl::StrCat("more than ", kMaxEquations, " statements"),
              /*raise=*/false);
        break;
      }
      try {
        statements.push_back(ParseStatement());
      } catch (const SyntaxError&) {
        SkipToStatementEnd();
      }
    }
    return statements;
  }

  std::vector<EquationAst> ParseEquationList() {
    std::vector<EquationAst> equations;
    while (true) {
      skip_newlines_ = false;
      SkipNewlines();
      if (Peek().kind == TokenKind::kEnd) break;
      if (static_cast<int>(equations.size()) >= kMaxEquations) {
        Error(Peek().location,
              absl::StrCat("more than ", kMaxEquations, " equations"),
              /*raise=*/false);
        break;
      }
      try {
        equations.push_back(ParseEquation());
      } catch (const SyntaxError&) {
        SkipToNextEquation();
      }
    }
    return equations;
  }

 private:
  const Token& Peek(int ahead = 0) const {
    size_t index = pos_;
    for (int seen = 0;; ++index) {
      if (index >= tokens_.size() - 1) return tokens_.back();
      if (skip_newlines_ && tokens_[index].kind == TokenKind::kNewline) {
        continue;
      }
      if (seen == ahead) return tokens_[index];
      ++seen;
    }
  }

  const Token& Advance() {
    if (skip_newlines_) {
      while (pos_ < tokens_.size() - 1 &&
             tokens_[pos_].kind == TokenKind::kNewline) {
        ++pos_;
      }
    }
    const Token& token = tokens_[pos_];
    if (pos_ < tokens_.size() - 1) ++pos_;
    return token;
  }

  bool Accept(TokenKind kind) {
    if (Peek().kind == kind) {
      Advance();
      return true;
    }
    return false;
  }

  const Token& Expect(TokenKind kind, std::string_view what) {
    if (Peek().kind != kind) {
      Error(Peek().location, absl::StrCat("expected ", Av(what), ", found ",
                                          DescribeToken(Peek())));
    }
    return Advance();
  }

  void SkipNewlines() {
    while (pos_ < tokens_.size() - 1 &&
           tokens_[pos_].kind == TokenKind::kNewline) {
      ++pos_;
    }
  }

  void Error(SourceLocation location, std::string message, bool raise = true) {
    diagnostics_.Add(std::string(field_), location, std::move(message));
    if (raise) throw SyntaxError{};
  }

  // A token that cannot follow a complete expression or statement.
  void ErrorUnexpected(const Token& token, std::string_view where) {
    if (token.kind == TokenKind::kRParen) {
      Error(token.location, "unbalanced ')': no '(' to close");
    }
    Error(token.location,
          absl::StrCat("unexpected ", DescribeToken(token), Av(where)));
  }

  // ---- expressions (Python precedence) ----

  struct DepthGuard {
    DepthGuard(Parser& owner, SourceLocation location) : parser(owner) {
      if (++parser.depth_ > kMaxExpressionDepth) {
        // The destructor does not run when the constructor throws.
        --parser.depth_;
        parser.Error(location, TooDeepMessage());
      }
    }
    ~DepthGuard() { --parser.depth_; }
    Parser& parser;
  };

  static std::string TooDeepMessage() {
    return absl::StrCat("expression is nested too deeply (more than ",
                        kMaxExpressionDepth,
                        " levels of operators, calls and parentheses)");
  }

  // A tree higher than kMaxExpressionDepth is an error: later passes recurse
  // over it, and a long chain such as 'a - b - c - ...' is as deep as a
  // nested one.
  void CheckHeight(const AstNode& node) {
    if (node.height > kMaxExpressionDepth) {
      Error(node.location, TooDeepMessage());
    }
  }

  std::unique_ptr<AstNode> MakeBinary(BinaryOp op, std::unique_ptr<AstNode> lhs,
                                      std::unique_ptr<AstNode> rhs,
                                      SourceLocation location) {
    auto node = std::make_unique<AstNode>();
    node->kind = AstNode::Kind::kBinary;
    node->binary_op = op;
    node->location = location;
    node->start = lhs->start;
    node->height = std::max(lhs->height, rhs->height) + 1;
    node->children.push_back(std::move(lhs));
    node->children.push_back(std::move(rhs));
    CheckHeight(*node);
    return node;
  }

  std::unique_ptr<AstNode> MakeUnary(UnaryOp op,
                                     std::unique_ptr<AstNode> operand,
                                     SourceLocation location) {
    auto node = std::make_unique<AstNode>();
    node->kind = AstNode::Kind::kUnary;
    node->unary_op = op;
    node->location = location;
    node->start = location;
    node->height = operand->height + 1;
    node->children.push_back(std::move(operand));
    CheckHeight(*node);
    return node;
  }

  bool PeekKeyword(std::string_view word) const {
    return Peek().kind == TokenKind::kName && Peek().text == word;
  }

  std::unique_ptr<AstNode> ParseExpr() {
    DepthGuard guard(*this, Peek().location);
    auto lhs = ParseAnd();
    while (PeekKeyword("or")) {
      const SourceLocation location = Advance().location;
      lhs = MakeBinary(BinaryOp::kOr, std::move(lhs), ParseAnd(), location);
    }
    return lhs;
  }

  std::unique_ptr<AstNode> ParseAnd() {
    auto lhs = ParseNot();
    while (PeekKeyword("and")) {
      const SourceLocation location = Advance().location;
      lhs = MakeBinary(BinaryOp::kAnd, std::move(lhs), ParseNot(), location);
    }
    return lhs;
  }

  std::unique_ptr<AstNode> ParseNot() {
    if (PeekKeyword("not")) {
      const SourceLocation location = Advance().location;
      DepthGuard guard(*this, location);
      return MakeUnary(UnaryOp::kNot, ParseNot(), location);
    }
    return ParseComparison();
  }

  static bool ComparisonOp(TokenKind kind, BinaryOp* op) {
    switch (kind) {
      case TokenKind::kLess:
        *op = BinaryOp::kLess;
        return true;
      case TokenKind::kLessEqual:
        *op = BinaryOp::kLessEqual;
        return true;
      case TokenKind::kGreater:
        *op = BinaryOp::kGreater;
        return true;
      case TokenKind::kGreaterEqual:
        *op = BinaryOp::kGreaterEqual;
        return true;
      case TokenKind::kEqualEqual:
        *op = BinaryOp::kEqual;
        return true;
      case TokenKind::kNotEqual:
        *op = BinaryOp::kNotEqual;
        return true;
      default:
        return false;
    }
  }

  std::unique_ptr<AstNode> ParseComparison() {
    auto lhs = ParseSum();
    BinaryOp op;
    if (ComparisonOp(Peek().kind, &op)) {
      const SourceLocation location = Advance().location;
      lhs = MakeBinary(op, std::move(lhs), ParseSum(), location);
      BinaryOp second;
      if (ComparisonOp(Peek().kind, &second)) {
        Error(Peek().location,
              "chained comparisons such as 'a < b < c' are not supported; "
              "write 'a < b and b < c'");
      }
    }
    return lhs;
  }

  std::unique_ptr<AstNode> ParseSum() {
    auto lhs = ParseTerm();
    while (Peek().kind == TokenKind::kPlus ||
           Peek().kind == TokenKind::kMinus) {
      const Token& token = Advance();
      const BinaryOp op =
          token.kind == TokenKind::kPlus ? BinaryOp::kAdd : BinaryOp::kSub;
      lhs = MakeBinary(op, std::move(lhs), ParseTerm(), token.location);
    }
    return lhs;
  }

  std::unique_ptr<AstNode> ParseTerm() {
    auto lhs = ParseUnary();
    while (true) {
      BinaryOp op;
      switch (Peek().kind) {
        case TokenKind::kStar:
          op = BinaryOp::kMul;
          break;
        case TokenKind::kSlash:
          op = BinaryOp::kDiv;
          break;
        case TokenKind::kDoubleSlash:
          op = BinaryOp::kFloorDiv;
          break;
        case TokenKind::kPercent:
          op = BinaryOp::kMod;
          break;
        default:
          return lhs;
      }
      const SourceLocation location = Advance().location;
      lhs = MakeBinary(op, std::move(lhs), ParseUnary(), location);
    }
  }

  std::unique_ptr<AstNode> ParseUnary() {
    if (Peek().kind == TokenKind::kMinus || Peek().kind == TokenKind::kPlus) {
      const Token& token = Advance();
      DepthGuard guard(*this, token.location);
      const UnaryOp op =
          token.kind == TokenKind::kMinus ? UnaryOp::kNegate : UnaryOp::kPlus;
      return MakeUnary(op, ParseUnary(), token.location);
    }
    return ParsePower();
  }

  std::unique_ptr<AstNode> ParsePower() {
    auto base = ParsePrimary();
    if (Peek().kind == TokenKind::kPower) {
      const SourceLocation location = Advance().location;
      DepthGuard guard(*this, location);
      // Right-associative, and the exponent may carry a sign: x**-2.
      return MakeBinary(BinaryOp::kPow, std::move(base), ParseUnary(),
                        location);
    }
    return base;
  }

  std::unique_ptr<AstNode> ParsePrimary() {
    const Token& token = Peek();
    switch (token.kind) {
      case TokenKind::kNumber: {
        Advance();
        auto node = std::make_unique<AstNode>();
        node->kind = AstNode::Kind::kNumber;
        node->location = token.location;
        node->start = token.location;
        const std::string text(Av(token.text));
        node->number = std::strtod(text.c_str(), nullptr);
        node->integer_literal = text.find_first_of(".eE") == std::string::npos;
        return node;
      }
      case TokenKind::kName: {
        static constexpr std::string_view kKeywords[] = {
            "and", "or",    "not", "if",     "else",   "lambda", "in",  "is",
            "for", "while", "def", "return", "import", "from",   "None"};
        for (std::string_view keyword : kKeywords) {
          if (token.text == keyword) {
            Error(token.location,
                  absl::StrCat("unexpected keyword '", Av(keyword), "'"));
          }
        }
        Advance();
        auto node = std::make_unique<AstNode>();
        node->location = token.location;
        node->start = token.location;
        node->name = std::string(Av(token.text));
        if (token.text == "True" || token.text == "False") {
          node->kind = AstNode::Kind::kNumber;
          node->number = token.text == "True" ? 1.0 : 0.0;
          node->integer_literal = true;
          node->name = std::string(Av(token.text));
          return node;
        }
        if (Peek().kind == TokenKind::kLParen) {
          Advance();  // each argument counts a level in ParseExpr
          node->kind = AstNode::Kind::kCall;
          if (Peek().kind != TokenKind::kRParen) {
            node->children.push_back(ParseExpr());
            while (Accept(TokenKind::kComma)) {
              node->children.push_back(ParseExpr());
            }
          }
          for (const auto& child : node->children) {
            node->height = std::max(node->height, child->height + 1);
          }
          CheckHeight(*node);
          if (Peek().kind != TokenKind::kRParen) {
            Error(Peek().location,
                  absl::StrCat("expected ',' or ')' in the call of '",
                               node->name, "', found ", DescribeToken(Peek())));
          }
          Advance();
          return node;
        }
        node->kind = AstNode::Kind::kName;
        return node;
      }
      case TokenKind::kLParen: {
        const SourceLocation open = Advance().location;
        auto inner = ParseExpr();  // counts the level
        inner->start = open;
        if (Peek().kind != TokenKind::kRParen) {
          Error(Peek().location,
                absl::StrCat("expected ')' to close the '(' at line ",
                             open.line, ", column ", open.column, ", found ",
                             DescribeToken(Peek())));
        }
        Advance();
        return inner;
      }
      case TokenKind::kRParen:
        Error(token.location, "unbalanced ')': no '(' to close");
        break;
      default:
        Error(token.location, absl::StrCat("expected a number, a name or '(', "
                                           "found ",
                                           DescribeToken(token)));
    }
    return nullptr;
  }

  // ---- statements ----

  StatementAst ParseStatement() {
    StatementAst statement;
    const Token& target = Expect(TokenKind::kName, "a variable to assign to");
    statement.target = std::string(Av(target.text));
    statement.location = target.location;
    switch (Peek().kind) {
      case TokenKind::kAssign:
        statement.op = AssignOp::kSet;
        break;
      case TokenKind::kPlusAssign:
        statement.op = AssignOp::kAdd;
        break;
      case TokenKind::kMinusAssign:
        statement.op = AssignOp::kSub;
        break;
      case TokenKind::kStarAssign:
        statement.op = AssignOp::kMul;
        break;
      case TokenKind::kSlashAssign:
        statement.op = AssignOp::kDiv;
        break;
      default:
        Error(
            Peek().location,
            absl::StrCat("expected '=', '+=', '-=', '*=' or '/=' after '",
                         statement.target, "', found ", DescribeToken(Peek())));
    }
    Advance();
    statement.value = ParseExpr();
    if (Peek().kind != TokenKind::kNewline &&
        Peek().kind != TokenKind::kSemicolon &&
        Peek().kind != TokenKind::kEnd) {
      ErrorUnexpected(Peek(), " after the statement");
    }
    return statement;
  }

  void SkipToStatementEnd() {
    skip_newlines_ = false;
    while (Peek().kind != TokenKind::kNewline &&
           Peek().kind != TokenKind::kSemicolon &&
           Peek().kind != TokenKind::kEnd) {
      Advance();
    }
  }

  // ---- equations ----

  // Whether the tokens at `index` start an equation: `d x / dt =`, `x =`, `x
  // :`.
  bool StartsEquation(size_t index) const {
    auto kind = [&](size_t k) {
      return k < tokens_.size() ? tokens_[k].kind : TokenKind::kEnd;
    };
    if (kind(index) != TokenKind::kName) return false;
    if (kind(index + 1) == TokenKind::kAssign ||
        kind(index + 1) == TokenKind::kColon) {
      return true;
    }
    return tokens_[index].text.size() > 1 && tokens_[index].text[0] == 'd' &&
           kind(index + 1) == TokenKind::kSlash &&
           kind(index + 2) == TokenKind::kName &&
           tokens_[index + 2].text == "dt" &&
           kind(index + 3) == TokenKind::kAssign;
  }

  void SkipToNextEquation() {
    skip_newlines_ = false;
    while (true) {
      while (pos_ < tokens_.size() - 1 &&
             tokens_[pos_].kind != TokenKind::kNewline) {
        ++pos_;
      }
      if (pos_ >= tokens_.size() - 1) return;
      ++pos_;  // the newline
      if (StartsEquation(pos_)) return;
    }
  }

  EquationAst ParseEquation() {
    EquationAst equation;
    const Token& first = Peek();
    equation.location = first.location;
    if (first.kind != TokenKind::kName) {
      Error(first.location,
            absl::StrCat("expected an equation ('dx/dt = ...', 'x = ...' or "
                         "'x : unit'), found ",
                         DescribeToken(first)));
    }
    const Token& second = Peek(1);
    if (first.text.size() > 1 && first.text[0] == 'd' &&
        second.kind == TokenKind::kSlash) {
      Advance();
      Advance();
      const Token& dt = Peek();
      if (dt.kind != TokenKind::kName || dt.text != "dt") {
        Error(dt.location, absl::StrCat("expected 'dt' in the derivative 'd",
                                        Av(first.text.substr(1)),
                                        "/dt', found ", DescribeToken(dt)));
      }
      Advance();
      Expect(TokenKind::kAssign, "'=' after the derivative");
      equation.kind = EquationKind::kDifferential;
      equation.name = std::string(first.text.substr(1));
    } else if (second.kind == TokenKind::kAssign) {
      Advance();
      Advance();
      equation.kind = EquationKind::kSubexpression;
      equation.name = std::string(Av(first.text));
    } else if (second.kind == TokenKind::kColon) {
      Advance();
      equation.kind = EquationKind::kParameter;
      equation.name = std::string(Av(first.text));
    } else {
      Error(second.location,
            absl::StrCat("expected '=' or ':' after '", Av(first.text),
                         "' (an equation is 'dx/dt = expr : unit', "
                         "'x = expr : unit' or 'x : unit'), found ",
                         DescribeToken(second)));
    }
    if (equation.kind != EquationKind::kParameter) {
      skip_newlines_ = true;
      if (Peek().kind == TokenKind::kColon) {
        Error(Peek().location,
              absl::StrCat("missing expression for '", equation.name, "'"));
      }
      equation.expr = ParseExpr();
      if (Peek().kind == TokenKind::kRParen) ErrorUnexpected(Peek(), "");
      if (Peek().kind != TokenKind::kColon) {
        Error(Peek().location,
              absl::StrCat("expected ':' and a unit after the expression for '",
                           equation.name, "', found ", DescribeToken(Peek())));
      }
    }
    Advance();  // the ':' (possibly after newlines inside the expression)
    skip_newlines_ = false;
    ParseUnitSpecification(equation);
    if (Peek().kind == TokenKind::kLParen) ParseFlags(equation);
    if (Peek().kind != TokenKind::kNewline && Peek().kind != TokenKind::kEnd) {
      Error(Peek().location,
            absl::StrCat("unexpected ", DescribeToken(Peek()),
                         " after the unit of '", equation.name, "'"));
    }
    return equation;
  }

  void ParseUnitSpecification(EquationAst& equation) {
    const Token& token = Peek();
    equation.unit_location = token.location;
    if (token.kind == TokenKind::kNewline || token.kind == TokenKind::kEnd ||
        token.kind == TokenKind::kLParen) {
      if (token.kind != TokenKind::kLParen) {
        Error(token.location,
              absl::StrCat("missing unit for '", equation.name,
                           "' (write '1' for a dimensionless variable)"));
      }
    }
    const Token& after = Peek(1);
    const bool single = after.kind == TokenKind::kNewline ||
                        after.kind == TokenKind::kEnd ||
                        after.kind == TokenKind::kLParen;
    if (single && token.kind == TokenKind::kNumber && token.text == "1") {
      Advance();
      equation.special_unit = std::string(token.text);
      return;
    }
    if (single && token.kind == TokenKind::kName &&
        (token.text == "boolean" || token.text == "integer")) {
      Advance();
      equation.special_unit = std::string(Av(token.text));
      return;
    }
    equation.unit = ParseUnitTerm();
  }

  // A unit is a product/quotient of powers of names (and '1' as in 1/second).
  std::unique_ptr<AstNode> ParseUnitTerm() {
    auto lhs = ParseUnitFactor();
    while (Peek().kind == TokenKind::kStar ||
           Peek().kind == TokenKind::kSlash) {
      const Token& token = Advance();
      lhs = MakeBinary(
          token.kind == TokenKind::kStar ? BinaryOp::kMul : BinaryOp::kDiv,
          std::move(lhs), ParseUnitFactor(), token.location);
    }
    return lhs;
  }

  std::unique_ptr<AstNode> ParseUnitFactor() {
    const Token& token = Peek();
    std::unique_ptr<AstNode> base;
    if (token.kind == TokenKind::kLParen) {
      const SourceLocation open = Advance().location;
      DepthGuard guard(*this, open);
      base = ParseUnitTerm();
      base->start = open;
      if (Peek().kind != TokenKind::kRParen) {
        Error(Peek().location, absl::StrCat("expected ')' in the unit, found ",
                                            DescribeToken(Peek())));
      }
      Advance();
    } else if (token.kind == TokenKind::kNumber) {
      base = ParsePrimary();
    } else if (token.kind == TokenKind::kName) {
      // Not ParsePrimary: a '(' after a unit name starts the flags.
      Advance();
      base = std::make_unique<AstNode>();
      base->kind = AstNode::Kind::kName;
      base->location = token.location;
      base->start = token.location;
      base->name = std::string(token.text);
    } else {
      Error(token.location,
            absl::StrCat("expected a unit name, found ", DescribeToken(token)));
    }
    if (Peek().kind == TokenKind::kPower) {
      const SourceLocation location = Advance().location;
      DepthGuard guard(*this, location);
      base =
          MakeBinary(BinaryOp::kPow, std::move(base), ParseUnary(), location);
    }
    return base;
  }

  void ParseFlags(EquationAst& equation) {
    equation.flags_location = Advance().location;  // '('
    while (true) {
      const Token& token = Peek();
      if (token.kind != TokenKind::kName) {
        Error(token.location, absl::StrCat("expected a flag name, found ",
                                           DescribeToken(token)));
      }
      // Flags may contain spaces ("unless refractory", "constant over dt").
      equation.flag_locations.push_back(token.location);
      std::string flag(Av(Advance().text));
      while (Peek().kind == TokenKind::kName) {
        absl::StrAppend(&flag, " ", Av(Advance().text));
      }
      equation.flags.push_back(flag);
      if (Accept(TokenKind::kComma)) continue;
      if (Peek().kind != TokenKind::kRParen) {
        Error(Peek().location,
              absl::StrCat("expected ',' or ')' in the flags "
                           "of '",
                           equation.name, "', found ", DescribeToken(Peek())));
      }
      Advance();
      return;
    }
  }

  std::string_view field_;
  Diagnostics& diagnostics_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  bool skip_newlines_ = false;
};

}  // namespace

std::unique_ptr<AstNode> ParseExpression(std::string_view text,
                                         std::string_view field,
                                         Diagnostics& diagnostics) {
  Diagnostics local;
  Parser parser(text, field, local);
  auto result = parser.ParseWholeExpression();
  diagnostics.Append(local);
  return local.empty() ? std::move(result) : nullptr;
}

std::vector<StatementAst> ParseStatements(std::string_view text,
                                          std::string_view field,
                                          Diagnostics& diagnostics) {
  Parser parser(text, field, diagnostics);
  return parser.ParseStatementList();
}

std::vector<EquationAst> ParseEquations(std::string_view text,
                                        std::string_view field,
                                        Diagnostics& diagnostics) {
  Parser parser(text, field, diagnostics);
  return parser.ParseEquationList();
}

}  // namespace cellfit::model
