// The syntax tree of model text: expressions, statements and equations as
// written, with source positions. Meaning (names, units) is attached later by
// the checker.
#ifndef CELLFIT_MODEL_AST_H_
#define CELLFIT_MODEL_AST_H_

#include <memory>
#include <string>
#include <vector>

#include "model/diagnostics.h"

namespace cellfit::model {

enum class UnaryOp { kNegate, kPlus, kNot };

enum class BinaryOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kFloorDiv,
  kMod,
  kPow,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  kEqual,
  kNotEqual,
  kAnd,
  kOr,
};

// The operator as written ("+", "<=", "and").
const char* BinaryOpSymbol(BinaryOp op);
bool IsComparison(BinaryOp op);

struct AstNode {
  enum class Kind { kNumber, kName, kUnary, kBinary, kCall };

  Kind kind = Kind::kNumber;
  // The token that defines the node: the operator of a unary or binary
  // operation, the function name of a call, the number or name itself.
  SourceLocation location;
  // Where the node's text begins (an opening parenthesis included), for
  // messages about the whole sub-expression.
  SourceLocation start;
  // Levels of operators below and including this node (1 for a leaf); the
  // parser rejects trees higher than kMaxExpressionDepth.
  int height = 1;
  double number = 0;             // kNumber
  bool integer_literal = false;  // kNumber written without '.' or exponent
  std::string name;              // kName; the function for kCall
  UnaryOp unary_op = UnaryOp::kNegate;
  BinaryOp binary_op = BinaryOp::kAdd;
  std::vector<std::unique_ptr<AstNode>> children;  // operands or arguments
};

// Python-like rendering used in messages: "(13.0*mV - v)".
std::string AstToString(const AstNode& node);

enum class AssignOp { kSet, kAdd, kSub, kMul, kDiv };

// `target = expr`, `target += expr`, ... in reset code.
struct StatementAst {
  std::string target;
  SourceLocation location;
  AssignOp op = AssignOp::kSet;
  std::unique_ptr<AstNode> value;
};

enum class EquationKind { kDifferential, kSubexpression, kParameter };

struct EquationAst {
  EquationKind kind = EquationKind::kParameter;
  std::string name;
  SourceLocation location;        // start of the equation
  std::unique_ptr<AstNode> expr;  // right-hand side; null for parameters
  std::unique_ptr<AstNode> unit;  // null for the special units below
  std::string special_unit;       // "1", "boolean" or "integer" when used
  SourceLocation unit_location;
  std::vector<std::string> flags;
  SourceLocation flags_location;               // the '(' before the flags
  std::vector<SourceLocation> flag_locations;  // one per flag
};

}  // namespace cellfit::model

#endif  // CELLFIT_MODEL_AST_H_
