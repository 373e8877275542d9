#include "server/auth.h"

#include <sys/stat.h>

#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "glog/logging.h"

namespace cellfit::server {
namespace {

bool IsUserName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

// Compares without an early exit, so that the time a comparison takes does
// not tell an attacker how much of a guessed token was right.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

std::optional<std::string_view> AuthorizationHeader(
    const grpc::ServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return std::nullopt;
  return std::string_view(it->second.data(), it->second.size());
}

}  // namespace

absl::StatusOr<std::vector<TokenEntry>> ParseTokenFile(
    std::string_view text, std::string_view filename) {
  std::vector<TokenEntry> entries;
  absl::flat_hash_set<std::string> seen;
  int line_number = 0;
  for (absl::string_view raw :
       absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++line_number;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line.front() == '#') continue;
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    auto error = [&](std::string_view message) {
      return absl::InvalidArgumentError(absl::StrCat(
          std::string(filename), ":", line_number, ": ", std::string(message)));
    };
    if (words.size() != 2) {
      return error(
          "expected `TOKEN NAME` (NAME a user name or @worker), found " +
          std::to_string(words.size()) + " words");
    }
    std::string token(words[0]);
    std::string name(words[1]);
    if (token.size() < kMinTokenLength) {
      return error(absl::StrCat(
          "the token is ", token.size(), " characters long; use at least ",
          kMinTokenLength, " (e.g. `openssl rand -hex 16`, 32 hex digits)"));
    }
    if (absl::StartsWith(name, "@") ? name != kWorkerName : !IsUserName(name)) {
      return error(absl::StrCat(
          "'", name,
          "' is neither @worker nor a user name (letters, digits, '.', '_', "
          "'-'; at most 64)"));
    }
    if (!seen.insert(token).second) {
      return error("this token appears on an earlier line too");
    }
    entries.push_back({std::move(token), std::move(name), line_number});
  }
  return entries;
}

absl::StatusOr<std::vector<TokenEntry>> LoadTokenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read the token file '", path, "'"));
  }
  struct stat info;
  if (stat(path.c_str(), &info) == 0 && (info.st_mode & 0077) != 0) {
    LOG(WARNING) << "the token file " << path
                 << " is readable by other users; chmod 600 it";
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseTokenFile(text.str(), path);
}

std::string GenerateToken() {
  std::random_device random;  // /dev/urandom on Linux
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (int i = 0; i < 8; ++i) {
    uint32_t word = random();
    for (int j = 0; j < 8; ++j) {
      token.push_back(kHex[word & 0xf]);
      word >>= 4;
    }
  }
  return token;
}

Authenticator::Authenticator(std::optional<std::vector<TokenEntry>> tokens,
                             std::string local_worker_token)
    : tokens_(std::move(tokens)),
      local_worker_token_(std::move(local_worker_token)) {}

bool Authenticator::shared() const {
  if (!tokens_.has_value()) return false;
  std::set<std::string_view> users;
  for (const TokenEntry& entry : *tokens_) {
    if (entry.name != kWorkerName) users.insert(entry.name);
  }
  return users.size() >= 2;
}

absl::StatusOr<Principal> Authenticator::Authenticate(
    std::optional<std::string_view> authorization) const {
  std::optional<std::string_view> token;
  if (authorization.has_value()) {
    absl::string_view value(authorization->data(), authorization->size());
    // RFC 6750: the scheme is case-insensitive.
    if (value.size() > 7 &&
        absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) {
      absl::string_view rest = absl::StripAsciiWhitespace(value.substr(7));
      token = std::string_view(rest.data(), rest.size());
    } else if (enabled()) {
      return absl::UnauthenticatedError(
          "the authorization metadata must be `Bearer <token>`");
    }
  }
  if (token.has_value() && !local_worker_token_.empty() &&
      ConstantTimeEquals(*token, local_worker_token_)) {
    return Principal{std::string(kWorkerName), false, true, true};
  }
  if (!enabled()) {
    return Principal{std::string(kAnonymousUser), true, true, false};
  }
  if (!token.has_value()) {
    return absl::UnauthenticatedError(
        "this server needs a token: pass `authorization: Bearer <token>` "
        "(the cellfit CLI reads it from --token_file or CELLFIT_TOKEN)");
  }
  const TokenEntry* match = nullptr;
  for (const TokenEntry& entry : *tokens_) {
    // Look at every entry, matched or not, for the same reason as above.
    if (ConstantTimeEquals(*token, entry.token)) match = &entry;
  }
  if (match == nullptr) {
    return absl::UnauthenticatedError("the token is not known to this server");
  }
  if (match->name == kWorkerName) {
    return Principal{match->name, false, true, false};
  }
  return Principal{match->name, true, false, false};
}

absl::StatusOr<Principal> Authenticator::AuthenticateUser(
    const grpc::ServerContext& context) const {
  absl::StatusOr<Principal> principal =
      Authenticate(AuthorizationHeader(context));
  if (principal.ok() && !principal->may_use_fitting) {
    return absl::PermissionDeniedError(
        "a worker token cannot be used for the Fitting service; use a user's "
        "token");
  }
  return principal;
}

absl::StatusOr<Principal> Authenticator::AuthenticateWorker(
    const grpc::ServerContext& context) const {
  absl::StatusOr<Principal> principal =
      Authenticate(AuthorizationHeader(context));
  if (principal.ok() && !principal->may_connect_worker) {
    return absl::PermissionDeniedError(
        "a user's token cannot connect a worker; give the worker a token "
        "listed as @worker in the server's token file");
  }
  return principal;
}

}  // namespace cellfit::server
