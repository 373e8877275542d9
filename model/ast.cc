#include "model/ast.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cellfit::model {

const char* BinaryOpSymbol(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kFloorDiv:
      return "//";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kPow:
      return "**";
    case BinaryOp::kLess:
      return "<";
    case BinaryOp::kLessEqual:
      return "<=";
    case BinaryOp::kGreater:
      return ">";
    case BinaryOp::kGreaterEqual:
      return ">=";
    case BinaryOp::kEqual:
      return "==";
    case BinaryOp::kNotEqual:
      return "!=";
    case BinaryOp::kAnd:
      return "and";
    case BinaryOp::kOr:
      return "or";
  }
  return "?";
}

bool IsComparison(BinaryOp op) {
  switch (op) {
    case BinaryOp::kLess:
    case BinaryOp::kLessEqual:
    case BinaryOp::kGreater:
    case BinaryOp::kGreaterEqual:
    case BinaryOp::kEqual:
    case BinaryOp::kNotEqual:
      return true;
    default:
      return false;
  }
}

std::string AstToString(const AstNode& node) {
  switch (node.kind) {
    case AstNode::Kind::kNumber:
      // Integer literals as integers while a long long holds them exactly
      // (converting a larger double would be undefined behaviour).
      if (node.integer_literal && std::fabs(node.number) < 9.0e15) {
        return absl::StrCat(static_cast<long long>(node.number));
      }
      return absl::StrCat(node.number);
    case AstNode::Kind::kName:
      return node.name;
    case AstNode::Kind::kUnary: {
      const std::string operand = AstToString(*node.children[0]);
      switch (node.unary_op) {
        case UnaryOp::kNegate:
          return absl::StrCat("-", operand);
        case UnaryOp::kPlus:
          return absl::StrCat("+", operand);
        case UnaryOp::kNot:
          return absl::StrCat("not ", operand);
      }
      return operand;
    }
    case AstNode::Kind::kBinary: {
      const char* symbol = BinaryOpSymbol(node.binary_op);
      const bool spaced = node.binary_op != BinaryOp::kMul &&
                          node.binary_op != BinaryOp::kDiv &&
                          node.binary_op != BinaryOp::kPow;
      return absl::StrCat("(", AstToString(*node.children[0]),
                          spaced ? " " : "", symbol, spaced ? " " : "",
                          AstToString(*node.children[1]), ")");
    }
    case AstNode::Kind::kCall: {
      std::vector<std::string> args;
      for (const auto& child : node.children)
        args.push_back(AstToString(*child));
      return absl::StrCat(node.name, "(", absl::StrJoin(args, ", "), ")");
    }
  }
  return "";
}

}  // namespace cellfit::model
