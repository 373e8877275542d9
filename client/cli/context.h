// What a verb runs with: where its output goes, and the server connection,
// opened on first use and closed (the embedded server stopped) at the end.
#ifndef CELLFIT_CLIENT_CLI_CONTEXT_H_
#define CELLFIT_CLIENT_CLI_CONTEXT_H_

#include <iosfwd>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client/client.h"
#include "client/embedded_server.h"

namespace cellfit::client::cli {

// Options every verb accepts.
struct CommonOptions {
  std::string server;        // HOST:PORT; empty: CELLFIT_SERVER, else embedded
  std::string token_file;    // empty: CELLFIT_TOKEN, else no token
  int timeout_seconds = 60;  // per call
  // The embedded server only:
  std::string db = "cellfit.db";
  int workers = -1;      // local workers; -1: one per core
  bool verbose = false;  // the embedded server logs at info level
};

class Context {
 public:
  Context(CommonOptions options, std::ostream& out);
  ~Context();

  std::ostream& out() { return out_; }
  const CommonOptions& options() const { return options_; }

  // The connected client; starts the embedded server the first time when no
  // server was named. UNAVAILABLE when the server cannot be reached.
  absl::StatusOr<Client*> client();
  // How the server was chosen: "--server", "CELLFIT_SERVER" or "embedded".
  const std::string& server_source() const { return source_; }
  bool embedded() const { return embedded_ != nullptr; }

  // Stops the embedded server, if any; an error if it did not stop cleanly.
  absl::Status Finish();

 private:
  absl::StatusOr<std::string> Token() const;

  const CommonOptions options_;
  std::ostream& out_;
  std::string source_;
  std::unique_ptr<EmbeddedServer> embedded_;
  std::unique_ptr<Client> client_;
};

}  // namespace cellfit::client::cli

#endif  // CELLFIT_CLIENT_CLI_CONTEXT_H_
