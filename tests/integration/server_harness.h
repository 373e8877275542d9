// Starting a real cellfit-server for a test, and asking the real `cellfit`
// CLI about it.
#ifndef CELLFIT_TESTS_INTEGRATION_SERVER_HARNESS_H_
#define CELLFIT_TESTS_INTEGRATION_SERVER_HARNESS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/records.h"
#include "tests/integration/process.h"

namespace cellfit::testing {

struct ServerHandle {
  std::unique_ptr<Process> process;
  std::string address;  // HOST:PORT it listens on
  std::string log;      // its stderr
  std::string stdout_path;
};

// Starts cellfit-server on 127.0.0.1 (a free port unless `listen` says
// otherwise) with `workers` local workers and returns once it listens.
absl::StatusOr<ServerHandle> StartServer(const std::string& dir,
                                         const std::string& db, int workers,
                                         std::vector<std::string> extra = {},
                                         std::string listen = "127.0.0.1:0");

// Runs `cellfit ARGS`, with CELLFIT_SERVER and CELLFIT_TOKEN unset unless
// `env` sets them.
RunResult Cli(std::vector<std::string> args, ProcessOptions options = {});

// Starts `cellfit ARGS` in the background, as Cli runs it, with its output in
// DIR/cli.out and DIR/cli.err.
absl::StatusOr<std::unique_ptr<Process>> StartCli(
    const std::string& dir, std::vector<std::string> args);

// Starts a one-thread cellfit-worker for the server at `address`, logging to
// DIR/LOG.
absl::StatusOr<std::unique_ptr<Process>> StartWorker(const std::string& dir,
                                                     const std::string& address,
                                                     const std::string& log);

// The `workers: N` line of `cellfit status` output.
std::optional<int> WorkersLine(const std::string& status_output);
// `cellfit status --server ADDRESS`'s worker count; nullopt if it failed.
std::optional<int> StatusWorkers(const std::string& address,
                                 const std::vector<std::string>& extra = {});

// A fitter record for the HH example (examples/hh/job.toml), as storage
// keeps it, to put straight into a database.
absl::StatusOr<storage::NewFitter> ExampleFitter(const std::string& id,
                                                 const std::string& owner);

}  // namespace cellfit::testing

#endif  // CELLFIT_TESTS_INTEGRATION_SERVER_HARNESS_H_
