// cellfit-worker: runs simulation batches for a cellfit-server.
//
//   cellfit-worker --server HOST:PORT [--token_file FILE] [--threads N]
//
// The token comes from --token, else --token_file (the first word of its
// first line that is not a comment), else the environment variable
// CELLFIT_TOKEN (how a server hands its local workers their token without
// showing it in `ps`).
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "worker/host_info.h"
#include "worker/simulation_batch_runner.h"
#include "worker/standalone/compile_cache.h"
#include "worker/worker_client.h"

ABSL_FLAG(std::string, server, "",
          "HOST:PORT of the cellfit-server (required)");
ABSL_FLAG(std::string, token, "",
          "the worker token (visible to other users in `ps`: prefer "
          "--token_file or CELLFIT_TOKEN)");
ABSL_FLAG(std::string, token_file, "",
          "a file whose first word is the worker token");
ABSL_FLAG(int32_t, threads, 0,
          "batches run at once (a batch that comes alone gets them all as "
          "threads); 0: every core this process may use");
ABSL_FLAG(int64_t, compile_memory_mb,
          cellfit::standalone::kDefaultCompileMemoryMb,
          "address space the C++ compiler may use for a model's standalone "
          "code, in MiB (the HH example needs about 300); 0: no limit");
ABSL_FLAG(absl::Duration, max_backoff, absl::Seconds(30),
          "longest wait between attempts to reach a lost server");
ABSL_FLAG(std::string, log_level, "info",
          "lowest level of messages logged to stderr: info, warning or error");
ABSL_FLAG(int32_t, verbosity, 0, "verbose logging level (VLOG)");

namespace {

using cellfit::worker::WorkerClient;
using cellfit::worker::WorkerOptions;

absl::StatusOr<std::string> TokenFromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read the token file '", path, "'"));
  }
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text.front() == '#') continue;
    std::vector<absl::string_view> words =
        absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    return std::string(words.front());
  }
  return absl::InvalidArgumentError(
      absl::StrCat("the token file '", path, "' holds no token"));
}

absl::StatusOr<std::string> ResolveToken() {
  if (!absl::GetFlag(FLAGS_token).empty()) return absl::GetFlag(FLAGS_token);
  if (!absl::GetFlag(FLAGS_token_file).empty()) {
    return TokenFromFile(absl::GetFlag(FLAGS_token_file));
  }
  if (const char* env = std::getenv("CELLFIT_TOKEN"); env != nullptr) {
    return std::string(env);
  }
  return std::string();
}

// --help lists the flags defined in this file (absl's default looks for a
// file named after the program, which has none).
bool IsWorkerFlagFile(absl::string_view filename) {
  return absl::EndsWith(filename, "worker/main.cc");
}

// gRPC takes a port modulo 65536 (99999 dials 34463), so a bad one is refused
// here. Addresses gRPC resolves itself (unix:PATH, dns:///..., a host
// without a port) are left to it.
absl::Status CheckServerAddress(const std::string& server) {
  if (absl::StrContains(server, "/")) return absl::OkStatus();
  size_t colon = server.rfind(':');
  if (colon == std::string::npos || absl::EndsWith(server, "]")) {
    return absl::OkStatus();
  }
  absl::string_view port = absl::string_view(server).substr(colon + 1);
  int number = 0;
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port, &number) || number < 1 || number > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--server: '", server, "' is not HOST:PORT with a PORT of 1..65535"));
  }
  return absl::OkStatus();
}

absl::Status SetUpLogging(const char* argv0) {
  FLAGS_logtostderr = true;
  std::string level = absl::AsciiStrToLower(absl::GetFlag(FLAGS_log_level));
  if (level == "info") {
    FLAGS_minloglevel = google::GLOG_INFO;
  } else if (level == "warning") {
    FLAGS_minloglevel = google::GLOG_WARNING;
  } else if (level == "error") {
    FLAGS_minloglevel = google::GLOG_ERROR;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--log_level: '", level, "' is not one of info, warning, error"));
  }
  FLAGS_v = absl::GetFlag(FLAGS_verbosity);
  google::InitGoogleLogging(argv0);
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil is built with Mutex deadlock detection, which takes a
  // global lock and records a stack trace at every acquisition: a few percent
  // of the server's and workers' time per round. The unit tests keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Block the termination signals before any thread exists, so that every
  // thread inherits the mask and only the waiter below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::SetProgramUsageMessage(
      "runs simulation batches for a cellfit-server.\n\n"
      "  cellfit-worker --server HOST:PORT [--token_file FILE] [--threads N]");
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = IsWorkerFlagFile;
  usage_config.contains_helpshort_flags = IsWorkerFlagFile;
  usage_config.version_string = [] {
    return absl::StrCat("cellfit-worker ",
                        std::string(cellfit::worker::CellfitVersion()), "\n");
  };
  absl::SetFlagsUsageConfig(usage_config);
  absl::ParseCommandLine(argc, argv);
  if (absl::Status status = SetUpLogging(argv[0]); !status.ok()) {
    std::cerr << "cellfit-worker: error: " << status.message() << "\n";
    return 1;
  }

  WorkerOptions options;
  options.server = absl::GetFlag(FLAGS_server);
  if (options.server.empty()) {
    std::cerr << "cellfit-worker: error: --server HOST:PORT is required\n";
    return 1;
  }
  if (absl::Status address = CheckServerAddress(options.server);
      !address.ok()) {
    std::cerr << "cellfit-worker: error: " << address.message() << "\n";
    return 1;
  }
  absl::StatusOr<std::string> token = ResolveToken();
  if (!token.ok()) {
    std::cerr << "cellfit-worker: error: " << token.status().message() << "\n";
    return 1;
  }
  options.token = *token;
  int threads = absl::GetFlag(FLAGS_threads);
  if (threads < 0 || threads > 4096) {
    std::cerr << "cellfit-worker: error: --threads must be 0..4096, not "
              << threads << "\n";
    return 1;
  }
  options.threads = threads > 0 ? static_cast<unsigned>(threads)
                                : cellfit::worker::AvailableCores();
  options.has_compiler = cellfit::worker::FindCxxCompiler().has_value();
  options.max_backoff = absl::GetFlag(FLAGS_max_backoff);
  if (options.max_backoff < options.initial_backoff) {
    std::cerr << "cellfit-worker: error: --max_backoff must be at least "
              << absl::FormatDuration(options.initial_backoff)
              << " (the first retry's wait), not "
              << absl::FormatDuration(options.max_backoff) << "\n";
    return 1;
  }

  const int64_t compile_memory_mb = absl::GetFlag(FLAGS_compile_memory_mb);
  if (const std::string problem =
          cellfit::standalone::CompileMemoryMbProblem(compile_memory_mb);
      !problem.empty()) {
    std::cerr << "cellfit-worker: error: " << problem << "\n";
    return 1;
  }
  cellfit::standalone::CompilerOptions compiler;
  compiler.max_memory_bytes = compile_memory_mb << 20;

  WorkerClient client(
      options,
      std::make_unique<cellfit::worker::SimulationBatchRunner>(
          static_cast<int>(options.threads), options.has_compiler, compiler));
  LOG(INFO) << "cellfit-worker " << cellfit::worker::CellfitVersion() << " on "
            << cellfit::worker::HostName() << ": " << options.threads
            << " threads, C++ compiler "
            << (options.has_compiler ? "found" : "not found")
            << "; connecting to " << options.server;

  std::atomic<bool> finished{false};
  std::thread waiter([&] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    if (finished.load()) return;  // woken by main below, not by a user
    LOG(INFO) << "received " << strsignal(signal_number) << "; stopping";
    client.Stop();
  });

  absl::Status status = client.Run();
  finished.store(true);
  pthread_kill(waiter.native_handle(), SIGTERM);  // wake the waiter if idle
  waiter.join();
  if (!status.ok()) {
    LOG(ERROR) << status.message();
    return 1;
  }
  LOG(INFO) << "cellfit-worker stopped";
  return 0;
}
