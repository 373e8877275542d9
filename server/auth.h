// Who is calling. With a token file, every call carries the metadata
// `authorization: Bearer <token>`, and the token names either a user (who
// owns fitters and sees only their own) or a remote worker. Without a token
// file the server is open: every caller is the user "local" and may also
// connect as a worker. Either way the server's own local workers present a
// token it generated at start-up and never wrote anywhere.
//
// Token file format (docs/server.md): one `TOKEN NAME` pair a line, NAME a
// user name or `@worker`; `#` starts a comment line; blank lines are skipped.
#ifndef CELLFIT_SERVER_AUTH_H_
#define CELLFIT_SERVER_AUTH_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"

namespace cellfit::server {

// The owner name of every fitter created while the server has no token file.
inline constexpr std::string_view kAnonymousUser = "local";
// The name that marks a worker token in the token file.
inline constexpr std::string_view kWorkerName = "@worker";
// Tokens shorter than this are refused: they could be guessed.
inline constexpr size_t kMinTokenLength = 16;

struct TokenEntry {
  std::string token;
  std::string name;  // a user name, or kWorkerName
  int line = 0;      // in the token file, for messages
};

// Parses a token file's text; `filename` only names it in errors, which give
// the line: "tokens.txt:3: ...". Rejects short or duplicate tokens, names
// that are not user names (letters, digits, '.', '_', '-', at most 64) and
// `@` names other than @worker.
absl::StatusOr<std::vector<TokenEntry>> ParseTokenFile(
    std::string_view text, std::string_view filename);
absl::StatusOr<std::vector<TokenEntry>> LoadTokenFile(const std::string& path);

// A fresh random token (256 bits, hex) for the server's local workers.
std::string GenerateToken();

struct Principal {
  std::string user;  // the fitter owner; kWorkerName for workers
  bool may_use_fitting = false;
  bool may_connect_worker = false;
  bool local_worker = false;  // presented this server's local-worker token
};

class Authenticator {
 public:
  // `tokens`: the token file's entries, or nullopt for an open server.
  Authenticator(std::optional<std::vector<TokenEntry>> tokens,
                std::string local_worker_token);

  bool enabled() const { return tokens_.has_value(); }
  // Two or more user names in the token file: users who must not learn
  // about each other or about the server's machine.
  bool shared() const;
  const std::string& local_worker_token() const { return local_worker_token_; }

  // The principal of an `authorization` header value (absent: nullopt).
  // UNAUTHENTICATED when a token is required and missing, malformed or
  // unknown; the message never echoes the token.
  absl::StatusOr<Principal> Authenticate(
      std::optional<std::string_view> authorization) const;

  // For the Fitting service: a user (PERMISSION_DENIED for worker tokens).
  absl::StatusOr<Principal> AuthenticateUser(
      const grpc::ServerContext& context) const;
  // For the WorkerPool service: a worker (PERMISSION_DENIED for user tokens).
  absl::StatusOr<Principal> AuthenticateWorker(
      const grpc::ServerContext& context) const;

 private:
  std::optional<std::vector<TokenEntry>> tokens_;
  std::string local_worker_token_;
};

}  // namespace cellfit::server

#endif  // CELLFIT_SERVER_AUTH_H_
