// Parses model text into syntax trees (ast.h). Every syntax error is reported
// with its position; parsing continues with the next equation or statement so
// that one run reports all of them.
#ifndef CELLFIT_MODEL_PARSER_H_
#define CELLFIT_MODEL_PARSER_H_

#include <memory>
#include <string_view>
#include <vector>

#include "model/ast.h"
#include "model/diagnostics.h"

namespace cellfit::model {

// Deepest nesting of parentheses, operators and calls accepted; deeper input
// is an error rather than a stack overflow.
inline constexpr int kMaxExpressionDepth = 200;
// Most equations (or reset statements) in one text.
inline constexpr int kMaxEquations = 2000;

// One expression spanning the whole text (newlines allowed inside). Null on
// error (diagnostics say why).
std::unique_ptr<AstNode> ParseExpression(std::string_view text,
                                         std::string_view field,
                                         Diagnostics& diagnostics);

// Statements separated by newlines or ';' (reset code).
std::vector<StatementAst> ParseStatements(std::string_view text,
                                          std::string_view field,
                                          Diagnostics& diagnostics);

// Equations in Brian2's syntax: `dx/dt = expr : unit (flags)`,
// `x = expr : unit (flags)`, `x : unit (flags)`. An expression continues over
// following lines until its ':'.
std::vector<EquationAst> ParseEquations(std::string_view text,
                                        std::string_view field,
                                        Diagnostics& diagnostics);

}  // namespace cellfit::model

#endif  // CELLFIT_MODEL_PARSER_H_
