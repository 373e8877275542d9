// The embedded default: a private cellfit-server started for the length of
// one command, with local workers and the database ./cellfit.db, when the
// user names no server. It listens on 127.0.0.1 on a free port and is made
// private with a token generated for this start only (other users of the
// machine can reach the port but not use it); it stops when the command ends
// (SIGTERM, a clean shutdown) and also if the command dies (it gets SIGTERM
// when its parent exits).
#ifndef CELLFIT_CLIENT_EMBEDDED_SERVER_H_
#define CELLFIT_CLIENT_EMBEDDED_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cellfit::client {

struct EmbeddedServerOptions {
  std::string server_binary;  // empty: cellfit-server next to this program
  std::string database = "cellfit.db";
  int local_workers = -1;  // -1: one per core
  // Start: from exec until healthy with every local worker registered.
  absl::Duration start_timeout = absl::Seconds(60);
  absl::Duration stop_timeout = absl::Seconds(30);
  std::string log_level = "warning";  // the server's and its workers' logs
};

class EmbeddedServer {
 public:
  // Starts the server and returns once it answers health checks as serving
  // and all its local workers have registered. UNAVAILABLE when it exits or
  // does not get there within start_timeout (it is stopped then).
  static absl::StatusOr<std::unique_ptr<EmbeddedServer>> Start(
      const EmbeddedServerOptions& options);

  ~EmbeddedServer();  // Stop(), ignoring its result
  EmbeddedServer(const EmbeddedServer&) = delete;
  EmbeddedServer& operator=(const EmbeddedServer&) = delete;

  const std::string& address() const { return address_; }
  // The token every call to this server must carry.
  const std::string& token() const { return token_; }
  pid_t pid() const { return pid_; }
  int local_workers() const { return local_workers_; }

  // SIGTERM, then waits for the exit (SIGKILL after stop_timeout). An error
  // when the server did not exit cleanly.
  absl::Status Stop();

 private:
  EmbeddedServer(pid_t pid, EmbeddedServerOptions options);

  pid_t pid_ = -1;
  EmbeddedServerOptions options_;
  std::string address_;
  std::string token_;
  int local_workers_ = 0;
};

// cellfit-server in the directory of the running program.
std::string DefaultServerBinary();

}  // namespace cellfit::client

#endif  // CELLFIT_CLIENT_EMBEDDED_SERVER_H_
