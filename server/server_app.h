// The cellfit-server process from start to clean exit: the database, the
// gRPC services (Fitting, WorkerPool, health), the local workers, and the
// orderly shutdown on SIGINT/SIGTERM.
#ifndef CELLFIT_SERVER_SERVER_APP_H_
#define CELLFIT_SERVER_SERVER_APP_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/worker_registry.h"

namespace cellfit::server {

struct ServerOptions {
  std::string listen = "127.0.0.1:0";  // HOST:PORT; port 0 picks a free one
  std::string address_file;  // where to write the bound HOST:PORT; optional
  std::string database = "cellfit.db";
  // fsync every commit (SQLite synchronous=FULL) so that recorded rounds
  // survive a power cut; otherwise (NORMAL) they survive any crash of the
  // server process, and the database stays consistent either way.
  bool durable = false;
  int local_workers = -1;         // -1: one per core
  bool pin_local_workers = true;  // see LocalWorkerOptions::pin_to_cores
  std::string token_file;         // empty: an open server
  std::string worker_binary;      // empty: cellfit-worker next to this program
  std::vector<std::string> worker_args;  // extra flags for local workers
  WorkerRegistryOptions registry;
  // How long shutdown waits for workers to leave and children to exit.
  absl::Duration shutdown_grace = absl::Seconds(10);
  int max_message_bytes = 256 << 20;
};

// Blocks SIGINT, SIGTERM and SIGCHLD in the calling thread; call it first in
// main, before any thread exists, so that every thread inherits the mask and
// RunServer's main loop is the one place that receives them.
void BlockServerSignals();

// Serves until SIGINT or SIGTERM, then shuts down in order: stop admitting
// calls and workers, tell local workers to shut down and end remote workers'
// streams, stop the gRPC server (waiting up to the grace period for calls in
// flight), wait for the local worker processes (killing stragglers), close
// the database. Returns the process exit code: 0 after a clean shutdown, 1
// when start-up failed (the reason is logged).
int RunServer(const ServerOptions& options);

// OK when `listen` is unix:PATH or HOST:PORT with a PORT of 0..65535 (gRPC
// would otherwise take 99999 modulo 65536, or a random port for 65536).
absl::Status CheckListenAddress(const std::string& listen);

// The address local workers should dial for a server listening on `listen`
// with the bound `port`: a wildcard host becomes the loopback address.
std::string DialAddress(const std::string& listen, int port);
// The bound address as `listening on` shows it.
std::string BoundAddress(const std::string& listen, int port);

}  // namespace cellfit::server

#endif  // CELLFIT_SERVER_SERVER_APP_H_
