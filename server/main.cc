// cellfit-server: the fitting service, its worker pool and its database.
//
//   cellfit-server [--listen HOST:PORT] [--db FILE] [--local_workers N]
//                  [--token_file FILE] [--worker_binary PATH]
//
// Prints `listening on HOST:PORT` on stdout once it accepts calls (and writes
// the same address to --address_file), logs to stderr, and shuts down
// cleanly on SIGINT or SIGTERM. docs/server.md describes every flag.
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "server/server_app.h"
#include "server/version.h"
#include "worker/standalone/compile_cache.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "HOST:PORT to listen on; port 0 picks a free port (printed as "
          "`listening on HOST:PORT`); 0.0.0.0:PORT for remote workers and "
          "clients");
ABSL_FLAG(std::string, address_file, "",
          "also write the bound HOST:PORT to this file once listening");
ABSL_FLAG(std::string, db, "cellfit.db", "the SQLite database file");
ABSL_FLAG(bool, durable, false,
          "fsync the database at every round (SQLite synchronous=FULL), so "
          "that recorded rounds survive a power cut; without it they survive "
          "any crash of the server, and the database is consistent either "
          "way");
ABSL_FLAG(int32_t, local_workers, -1,
          "worker processes to start on this machine; -1: one per core, 0: "
          "none (remote workers only)");
ABSL_FLAG(bool, pin_local_workers, true,
          "bind each local worker to a core of its own when there is one "
          "per core (two or more); --nopin_local_workers leaves them to the "
          "scheduler");
ABSL_FLAG(int64_t, compile_memory_mb,
          cellfit::standalone::kDefaultCompileMemoryMb,
          "passed to the local workers: the address space their C++ compiler "
          "may use for a model's standalone code, in MiB; 0: no limit");
ABSL_FLAG(std::string, token_file, "",
          "file of `TOKEN USER` and `TOKEN @worker` lines; without it the "
          "server accepts every caller");
ABSL_FLAG(std::string, worker_binary, "",
          "the cellfit-worker program for local workers; default: the one "
          "next to this program");
ABSL_FLAG(absl::Duration, heartbeat_interval, absl::Seconds(2),
          "how often workers send a heartbeat");
ABSL_FLAG(absl::Duration, heartbeat_timeout, absl::Seconds(10),
          "a worker silent for this long is dropped");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "how long shutdown waits for workers and calls in flight");
ABSL_FLAG(int32_t, max_message_mib, 256,
          "largest message accepted or sent, in MiB");
ABSL_FLAG(std::string, log_level, "info",
          "lowest level of messages logged to stderr: info, warning or error "
          "(local workers inherit it)");
ABSL_FLAG(int32_t, verbosity, 0, "verbose logging level (VLOG)");

namespace {

std::optional<int> LogLevel(const std::string& name) {
  std::string level = absl::AsciiStrToLower(name);
  if (level == "info") return google::GLOG_INFO;
  if (level == "warning") return google::GLOG_WARNING;
  if (level == "error") return google::GLOG_ERROR;
  return std::nullopt;
}

// --help lists the flags defined in this file (absl's default looks for a
// file named after the program, which has none).
bool IsServerFlagFile(absl::string_view filename) {
  return absl::EndsWith(filename, "server/main.cc");
}

int Fail(const std::string& message) {
  std::cerr << "cellfit-server: error: " << message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil is built with Mutex deadlock detection, which takes a
  // global lock and records a stack trace at every acquisition: a few percent
  // of the server's and workers' time per round. The unit tests keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  cellfit::server::BlockServerSignals();
  absl::SetProgramUsageMessage(
      "the cellfit fitting service, its worker pool and its database.\n\n"
      "  cellfit-server [--listen HOST:PORT] [--db FILE] [--local_workers N]\n"
      "                 [--token_file FILE] [--worker_binary PATH]");
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = IsServerFlagFile;
  usage_config.contains_helpshort_flags = IsServerFlagFile;
  usage_config.version_string = [] {
    return absl::StrCat("cellfit-server ",
                        std::string(cellfit::server::CellfitVersion()), "\n");
  };
  absl::SetFlagsUsageConfig(usage_config);
  absl::ParseCommandLine(argc, argv);

  std::optional<int> level = LogLevel(absl::GetFlag(FLAGS_log_level));
  if (!level.has_value()) {
    return Fail(absl::StrCat("--log_level: '", absl::GetFlag(FLAGS_log_level),
                             "' is not one of info, warning, error"));
  }
  FLAGS_logtostderr = true;
  FLAGS_minloglevel = *level;
  FLAGS_v = absl::GetFlag(FLAGS_verbosity);
  google::InitGoogleLogging(argv[0]);

  cellfit::server::ServerOptions options;
  if (absl::Status listen =
          cellfit::server::CheckListenAddress(absl::GetFlag(FLAGS_listen));
      !listen.ok()) {
    return Fail(std::string(listen.message()));
  }
  options.listen = absl::GetFlag(FLAGS_listen);
  options.address_file = absl::GetFlag(FLAGS_address_file);
  options.database = absl::GetFlag(FLAGS_db);
  options.durable = absl::GetFlag(FLAGS_durable);
  options.local_workers = absl::GetFlag(FLAGS_local_workers);
  options.pin_local_workers = absl::GetFlag(FLAGS_pin_local_workers);
  options.token_file = absl::GetFlag(FLAGS_token_file);
  options.worker_binary = absl::GetFlag(FLAGS_worker_binary);
  options.registry.heartbeat_interval = absl::GetFlag(FLAGS_heartbeat_interval);
  options.registry.heartbeat_timeout = absl::GetFlag(FLAGS_heartbeat_timeout);
  options.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  int mib = absl::GetFlag(FLAGS_max_message_mib);
  if (options.local_workers < -1 || options.local_workers > 4096) {
    return Fail("--local_workers must be -1 (one per core) or 0..4096");
  }
  if (options.registry.heartbeat_interval <= absl::ZeroDuration() ||
      options.registry.heartbeat_timeout <=
          options.registry.heartbeat_interval) {
    return Fail(
        "--heartbeat_timeout must be longer than a positive "
        "--heartbeat_interval");
  }
  if (options.shutdown_grace < absl::ZeroDuration()) {
    return Fail(absl::StrCat("--shutdown_grace must be 0s or longer, not ",
                             absl::FormatDuration(options.shutdown_grace)));
  }
  if (mib < 1 || mib > 2047) {
    return Fail("--max_message_mib must be 1..2047");
  }
  options.max_message_bytes = mib << 20;
  const int64_t compile_memory_mb = absl::GetFlag(FLAGS_compile_memory_mb);
  if (const std::string problem =
          cellfit::standalone::CompileMemoryMbProblem(compile_memory_mb);
      !problem.empty()) {
    return Fail(problem);
  }
  options.worker_args = {
      absl::StrCat("--log_level=", absl::GetFlag(FLAGS_log_level)),
      absl::StrCat("--verbosity=", absl::GetFlag(FLAGS_verbosity)),
      absl::StrCat("--compile_memory_mb=", compile_memory_mb)};
  return cellfit::server::RunServer(options);
}
