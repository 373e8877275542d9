#include "model/lexer.h"

#include <cctype>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cellfit::model {
namespace {

// Debian's Abseil has its own string_view type; StrCat needs it.
absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

bool IsIdentifierStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool IsIdentifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Decodes the UTF-8 code point starting at `s[i]` for error messages; returns
// the number of bytes it spans (1 for invalid bytes).
int DecodeCodePoint(std::string_view s, size_t i, uint32_t* code_point) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  int length = 1;
  uint32_t cp = c;
  if ((c & 0xE0) == 0xC0) {
    length = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    length = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    length = 4;
    cp = c & 0x07;
  } else {
    *code_point = c;
    return 1;
  }
  if (i + length > s.size()) {
    *code_point = c;
    return 1;
  }
  for (int k = 1; k < length; ++k) {
    const unsigned char next = static_cast<unsigned char>(s[i + k]);
    if ((next & 0xC0) != 0x80) {
      *code_point = c;
      return 1;
    }
    cp = (cp << 6) | (next & 0x3F);
  }
  *code_point = cp;
  return length;
}

}  // namespace

std::vector<Token> Tokenize(std::string_view source, std::string_view field,
                            Diagnostics& diagnostics) {
  std::vector<Token> tokens;
  const std::string field_name(field);
  if (source.size() > kMaxSourceBytes) {
    diagnostics.Add(
        field_name, {1, 1},
        absl::StrCat("text is ", source.size(), " bytes long; at most ",
                     kMaxSourceBytes, " bytes are accepted"));
    tokens.push_back({TokenKind::kEnd, source.substr(0, 0), {1, 1}});
    return tokens;
  }
  int line = 1;
  size_t line_start = 0;
  size_t i = 0;
  bool line_reported = false;
  auto location = [&](size_t pos) {
    return SourceLocation{line, static_cast<int>(pos - line_start) + 1};
  };
  auto add = [&](TokenKind kind, size_t start, size_t length) {
    tokens.push_back({kind, source.substr(start, length), location(start)});
  };
  while (i < source.size()) {
    const char c = source[i];
    if (i - line_start >= static_cast<size_t>(kMaxLineLength) &&
        !line_reported && c != '\n') {
      diagnostics.Add(
          field_name, {line, kMaxLineLength + 1},
          absl::StrCat("line is longer than ", kMaxLineLength, " characters"));
      line_reported = true;
    }
    if (c == '\n') {
      add(TokenKind::kNewline, i, 1);
      ++i;
      ++line;
      line_start = i;
      line_reported = false;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      ++i;
      continue;
    }
    if (c == '\\' && i + 1 < source.size() && source[i + 1] == '\n') {
      // Python-style explicit line continuation.
      i += 2;
      ++line;
      line_start = i;
      continue;
    }
    if (c == '#') {
      while (i < source.size() && source[i] != '\n') ++i;
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80) {
      uint32_t cp = 0;
      const int length = DecodeCodePoint(source, i, &cp);
      if (length == 1) {
        diagnostics.Add(field_name, location(i),
                        absl::StrFormat("byte 0x%02X is not valid UTF-8; "
                                        "model text must be ASCII",
                                        static_cast<unsigned char>(c)));
      } else {
        diagnostics.Add(field_name, location(i),
                        absl::StrFormat("non-ASCII character U+%04X is not "
                                        "allowed in model text",
                                        cp));
      }
      i += length;
      continue;
    }
    if (IsIdentifierStart(c)) {
      const size_t start = i;
      while (i < source.size() && IsIdentifierChar(source[i])) ++i;
      if (i - start > kMaxIdentifierLength) {
        diagnostics.Add(field_name, location(start),
                        absl::StrCat("identifier is longer than ",
                                     kMaxIdentifierLength, " characters"));
      }
      add(TokenKind::kName, start, i - start);
      continue;
    }
    if (IsDigit(c) ||
        (c == '.' && i + 1 < source.size() && IsDigit(source[i + 1]))) {
      const size_t start = i;
      while (i < source.size() && IsDigit(source[i])) ++i;
      if (i < source.size() && source[i] == '.') {
        ++i;
        while (i < source.size() && IsDigit(source[i])) ++i;
      }
      if (i < source.size() && (source[i] == 'e' || source[i] == 'E')) {
        size_t j = i + 1;
        if (j < source.size() && (source[j] == '+' || source[j] == '-')) ++j;
        if (j < source.size() && IsDigit(source[j])) {
          i = j;
          while (i < source.size() && IsDigit(source[i])) ++i;
        } else {
          diagnostics.Add(
              field_name, location(start),
              absl::StrCat("malformed number '",
                           Av(source.substr(start, j - start)),
                           "': expected digits after the exponent"));
          i = j;
          continue;
        }
      }
      if (i < source.size() && IsIdentifierStart(source[i])) {
        size_t end = i;
        while (end < source.size() && IsIdentifierChar(source[end])) ++end;
        diagnostics.Add(
            field_name, location(start),
            absl::StrCat("malformed number '",
                         Av(source.substr(start, end - start)),
                         "': a number cannot run into a name (write '",
                         Av(source.substr(start, i - start)), "*",
                         Av(source.substr(i, end - i)), "')"));
        i = end;
        continue;
      }
      add(TokenKind::kNumber, start, i - start);
      continue;
    }
    const size_t start = i;
    const char next = i + 1 < source.size() ? source[i + 1] : '\0';
    auto two = [&](TokenKind kind) {
      add(kind, start, 2);
      i += 2;
    };
    auto one = [&](TokenKind kind) {
      add(kind, start, 1);
      i += 1;
    };
    switch (c) {
      case '+':
        next == '=' ? two(TokenKind::kPlusAssign) : one(TokenKind::kPlus);
        break;
      case '-':
        next == '=' ? two(TokenKind::kMinusAssign) : one(TokenKind::kMinus);
        break;
      case '*':
        if (next == '*') {
          two(TokenKind::kPower);
        } else if (next == '=') {
          two(TokenKind::kStarAssign);
        } else {
          one(TokenKind::kStar);
        }
        break;
      case '/':
        if (next == '/') {
          two(TokenKind::kDoubleSlash);
        } else if (next == '=') {
          two(TokenKind::kSlashAssign);
        } else {
          one(TokenKind::kSlash);
        }
        break;
      case '%':
        one(TokenKind::kPercent);
        break;
      case '(':
        one(TokenKind::kLParen);
        break;
      case ')':
        one(TokenKind::kRParen);
        break;
      case ',':
        one(TokenKind::kComma);
        break;
      case ':':
        one(TokenKind::kColon);
        break;
      case ';':
        one(TokenKind::kSemicolon);
        break;
      case '<':
        next == '=' ? two(TokenKind::kLessEqual) : one(TokenKind::kLess);
        break;
      case '>':
        next == '=' ? two(TokenKind::kGreaterEqual) : one(TokenKind::kGreater);
        break;
      case '=':
        next == '=' ? two(TokenKind::kEqualEqual) : one(TokenKind::kAssign);
        break;
      case '!':
        if (next == '=') {
          two(TokenKind::kNotEqual);
        } else {
          diagnostics.Add(field_name, location(start),
                          "unexpected character '!' (write 'not' for logical "
                          "negation)");
          ++i;
        }
        break;
      default:
        if (std::isprint(static_cast<unsigned char>(c))) {
          diagnostics.Add(
              field_name, location(start),
              absl::StrCat("unexpected character '", std::string(1, c), "'"));
        } else {
          diagnostics.Add(field_name, location(start),
                          absl::StrFormat("unexpected control character 0x%02X",
                                          static_cast<unsigned char>(c)));
        }
        ++i;
    }
  }
  tokens.push_back({TokenKind::kEnd, source.substr(source.size(), 0),
                    location(source.size())});
  return tokens;
}

std::string DescribeToken(const Token& token) {
  switch (token.kind) {
    case TokenKind::kNewline:
      return "end of line";
    case TokenKind::kEnd:
      return "end of text";
    case TokenKind::kNumber:
      return absl::StrCat("number '", Av(token.text), "'");
    case TokenKind::kName:
      return absl::StrCat("name '", Av(token.text), "'");
    default:
      return absl::StrCat("'", Av(token.text), "'");
  }
}

}  // namespace cellfit::model
