// Splits model text into tokens with their line and column. Comments (`#` to
// the end of the line) are dropped; newlines are tokens because equations end
// at the end of their unit specification.
#ifndef CELLFIT_MODEL_LEXER_H_
#define CELLFIT_MODEL_LEXER_H_

#include <string>
#include <string_view>
#include <vector>

#include "model/diagnostics.h"

namespace cellfit::model {

enum class TokenKind {
  kNumber,        // 1, 2.5, .5, 1e-3
  kName,          // identifiers and keywords (and, or, not, True, False)
  kPlus,          // +
  kMinus,         // -
  kStar,          // *
  kSlash,         // /
  kDoubleSlash,   // //
  kPercent,       // %
  kPower,         // **
  kLParen,        // (
  kRParen,        // )
  kComma,         // ,
  kColon,         // :
  kSemicolon,     // ;
  kLess,          // <
  kLessEqual,     // <=
  kGreater,       // >
  kGreaterEqual,  // >=
  kEqualEqual,    // ==
  kNotEqual,      // !=
  kAssign,        // =
  kPlusAssign,    // +=
  kMinusAssign,   // -=
  kStarAssign,    // *=
  kSlashAssign,   // /=
  kNewline,
  kEnd,
};

struct Token {
  TokenKind kind;
  std::string_view text;  // a view into the lexed source
  SourceLocation location;
};

// Limits that keep hostile input from exhausting the server.
inline constexpr size_t kMaxSourceBytes = 1 << 20;
inline constexpr int kMaxLineLength = 4000;
inline constexpr size_t kMaxIdentifierLength = 200;

// Tokenizes `source`. Problems (non-ASCII or unexpected characters, lines over
// kMaxLineLength, malformed numbers) go to `diagnostics` under `field`; the
// offending characters are skipped so that later problems are found too.
std::vector<Token> Tokenize(std::string_view source, std::string_view field,
                            Diagnostics& diagnostics);

// Human-readable name of a token for error messages: "'+'", "end of line".
std::string DescribeToken(const Token& token);

}  // namespace cellfit::model

#endif  // CELLFIT_MODEL_LEXER_H_
