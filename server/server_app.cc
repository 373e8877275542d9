#include "server/server_app.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "glog/logging.h"
#include "grpcpp/grpcpp.h"
#include "server/auth.h"
#include "server/database_lock.h"
#include "server/dispatch/dispatcher.h"
#include "server/dispatch_events.h"
#include "server/fitting/fitter_manager.h"
#include "server/fitting_service.h"
#include "server/health_service.h"
#include "server/local_workers.h"
#include "server/version.h"
#include "server/worker_pool_service.h"
#include "storage/database.h"

namespace cellfit::server {
namespace {

sigset_t ServerSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGCHLD);
  return set;
}

// Splits "HOST:PORT" at the last colon ("[::1]:50051" keeps its brackets).
std::pair<std::string, std::string> SplitHostPort(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || absl::EndsWith(address, "]")) {
    return {address, ""};
  }
  return {address.substr(0, colon), address.substr(colon + 1)};
}

bool ListensOnAllInterfaces(const std::string& listen) {
  if (absl::StartsWith(listen, "unix:")) return false;
  const std::string host = SplitHostPort(listen).first;
  return host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::";
}

std::string ExecutableDirectory() {
  std::error_code error;
  std::filesystem::path self =
      std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return ".";
  return self.parent_path().string();
}

// Written to a temporary name and renamed, so a reader never sees half.
absl::Status WriteAddressFile(const std::string& path,
                              const std::string& address) {
  std::string temporary = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << address << "\n";
    if (!out.flush()) {
      return absl::InternalError(
          absl::StrCat("cannot write the address file '", path, "'"));
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot write the address file '",
                                            path, "': ", error.message()));
  }
  return absl::OkStatus();
}

}  // namespace

void BlockServerSignals() {
  sigset_t set = ServerSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

absl::Status CheckListenAddress(const std::string& listen) {
  if (absl::StartsWith(listen, "unix:")) return absl::OkStatus();
  auto [host, port] = SplitHostPort(listen);
  int number = -1;
  if (port.empty() || !absl::c_all_of(port, absl::ascii_isdigit) ||
      port.size() > 5 || !absl::SimpleAtoi(port, &number) || number > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--listen: '", listen,
        "' is not HOST:PORT with a PORT of 0..65535 (0 picks a free port), "
        "nor unix:PATH"));
  }
  return absl::OkStatus();
}

std::string DialAddress(const std::string& listen, int port) {
  if (absl::StartsWith(listen, "unix:")) return listen;
  auto [host, unused] = SplitHostPort(listen);
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "[::]" || host == "::") host = "[::1]";
  return absl::StrCat(host, ":", port);
}

std::string BoundAddress(const std::string& listen, int port) {
  if (absl::StartsWith(listen, "unix:")) return listen;
  auto [host, unused] = SplitHostPort(listen);
  return absl::StrCat(host, ":", port);
}

int RunServer(const ServerOptions& options) {
  const absl::Time started = absl::Now();

  std::optional<std::vector<TokenEntry>> tokens;
  if (!options.token_file.empty()) {
    absl::StatusOr<std::vector<TokenEntry>> loaded =
        LoadTokenFile(options.token_file);
    if (!loaded.ok()) {
      LOG(ERROR) << loaded.status().message();
      return 1;
    }
    int users = 0, workers = 0;
    for (const TokenEntry& entry : *loaded) {
      (entry.name == kWorkerName ? workers : users)++;
    }
    LOG(INFO) << "token file " << options.token_file << ": " << users
              << " user token(s), " << workers << " worker token(s)";
    tokens = *std::move(loaded);
  } else if (ListensOnAllInterfaces(options.listen)) {
    LOG(WARNING) << "no token file and listening on " << options.listen
                 << ": anyone who can reach this port can use the server and "
                    "connect workers; give --token_file FILE (see "
                    "docs/server.md, Authentication), or listen on "
                    "127.0.0.1";
  } else {
    LOG(INFO) << "no token file: every client is user '" << kAnonymousUser
              << "' and any worker may connect";
  }
  Authenticator auth(std::move(tokens), GenerateToken());

  std::error_code path_error;
  std::string database_path =
      options.database == ":memory:"
          ? options.database
          : std::filesystem::absolute(options.database, path_error)
                .lexically_normal()
                .string();
  // Two servers on one database would each resume the other's running fits
  // and fail them, so the lock comes before the database is even opened.
  std::optional<DatabaseLock> database_lock;
  if (database_path != ":memory:") {
    absl::StatusOr<DatabaseLock> locked = DatabaseLock::Acquire(database_path);
    if (!locked.ok()) {
      LOG(ERROR) << locked.status().message();
      return 1;
    }
    database_lock = *std::move(locked);
    if (absl::Status created = CreatePrivateDatabaseFile(database_path);
        !created.ok()) {
      LOG(ERROR) << created.message();
      return 1;
    }
  }
  storage::DatabaseOptions database_options;
  database_options.durable = options.durable;
  absl::StatusOr<std::unique_ptr<storage::Database>> database =
      storage::Database::Open(database_path, database_options);
  if (!database.ok()) {
    LOG(ERROR) << "cannot open the database " << database_path << ": "
               << database.status().message();
    return 1;
  }
  const std::vector<int>& applied = (*database)->migrations_applied_at_open();
  LOG(INFO) << "database " << database_path << ": schema version "
            << (*database)->schema_version()
            << (applied.empty()
                    ? std::string(" (up to date)")
                    : absl::StrCat(" (applied migrations ",
                                   absl::StrJoin(applied, ", "), ")"));

  auto registry = std::make_unique<WorkerRegistry>(options.registry);
  dispatch::Dispatcher dispatcher;
  DispatchEvents events(&dispatcher);
  auto manager =
      std::make_unique<fitting::FitterManager>(database->get(), &dispatcher);
  FittingService fitting(&auth, database->get(), registry.get(), manager.get(),
                         started);
  WorkerPoolService pool(&auth, registry.get(), &events);

  // Fits a previous server process left running continue (they wait for the
  // workers that start below), before any client can ask about them.
  if (absl::Status resumed = manager->ResumeInterruptedFits(); !resumed.ok()) {
    LOG(WARNING) << "cannot resume interrupted fits: " << resumed.message();
  }

  HealthService health;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(),
                           &port);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.RegisterService(&fitting);
  builder.RegisterService(&pool);
  builder.RegisterService(&health);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr ||
      (port == 0 && !absl::StartsWith(options.listen, "unix:"))) {
    LOG(ERROR) << "cannot listen on " << options.listen
               << " (address in use, or not an address of this machine?)";
    return 1;
  }
  const std::string bound = BoundAddress(options.listen, port);

  const int local_count =
      options.local_workers < 0 ? AvailableCores() : options.local_workers;
  LocalWorkers local_workers(LocalWorkerOptions{
      options.worker_binary.empty() ? ExecutableDirectory() + "/cellfit-worker"
                                    : options.worker_binary,
      DialAddress(options.listen, port), auth.local_worker_token(),
      options.worker_args, options.pin_local_workers});
  if (absl::Status spawned = local_workers.Spawn(local_count); !spawned.ok()) {
    LOG(ERROR) << spawned.message();
    server->Shutdown(std::chrono::system_clock::now());
    return 1;
  }
  if (!options.address_file.empty()) {
    if (absl::Status written = WriteAddressFile(options.address_file, bound);
        !written.ok()) {
      LOG(ERROR) << written.message();
      server->Shutdown(std::chrono::system_clock::now());
      return 1;
    }
  }
  // Announced last: whoever waits for this line (or the address file) may
  // rely on a server that has nothing left to fail at start-up.
  std::cout << "listening on " << bound << std::endl;
  LOG(INFO) << "cellfit-server " << CellfitVersion() << " listening on "
            << bound;

  // The main loop: this thread receives the signals every thread blocks.
  // The timeout reaps children even if a SIGCHLD were ever coalesced away.
  const sigset_t signals = ServerSignals();
  int received = 0;
  for (;;) {
    timespec timeout{1, 0};
    int signal_number = sigtimedwait(&signals, nullptr, &timeout);
    if (signal_number == SIGINT || signal_number == SIGTERM) {
      received = signal_number;
      break;
    }
    for (pid_t pid : local_workers.Reap()) {
      registry->DropLocalPid(static_cast<uint64_t>(pid));
    }
  }

  LOG(INFO) << "received " << strsignal(received) << "; shutting down";
  const absl::Time deadline = absl::Now() + options.shutdown_grace;
  health.SetServing(false);
  fitting.BeginDrain();
  // Running fits stop where they are and stay marked running: the next
  // server on this database resumes them from their last recorded round.
  manager->Shutdown();
  registry->BeginShutdown("the server is shutting down");
  if (!registry->WaitUntilEmpty(deadline)) {
    LOG(WARNING) << "workers still connected at the end of the grace period";
  }
  // The fits have stopped and the workers left, so the calls still in flight
  // are short ones: give them a moment, not the whole grace period (gRPC's
  // shutdown would otherwise also wait for idle client connections to go).
  server->Shutdown(absl::ToChronoTime(
      std::min(deadline, absl::Now() + absl::Milliseconds(500))));
  int killed = local_workers.WaitAll(deadline);
  server.reset();
  manager.reset();
  registry.reset();
  database->reset();
  LOG(INFO) << "database closed; cellfit-server stopped"
            << (killed > 0 ? absl::StrCat(" (", killed,
                                          " local workers had to be killed)")
                           : "");
  return 0;
}

}  // namespace cellfit::server
