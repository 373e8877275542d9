#include "client/embedded_server.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/client.h"

namespace cellfit::client {
namespace {

int AvailableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) {
    return CPU_COUNT(&set);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

std::string RandomToken() {
  std::random_device random;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (int i = 0; i < 64; ++i) token.push_back(kHex[random() & 0xf]);
  return token;
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) {
    return absl::StrCat("exited with status ", WEXITSTATUS(wait_status));
  }
  if (WIFSIGNALED(wait_status)) {
    return absl::StrCat("was killed by signal ", WTERMSIG(wait_status));
  }
  return absl::StrCat("ended with wait status ", wait_status);
}

// A private directory for the token and address files, removed as soon as
// the server has read the one and written the other.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "cellfit-embedded-XXXXXX")
            .string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;  // mode 0700
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  bool ok() const { return !path_.empty(); }
  std::string File(std::string_view name) const {
    return path_ + "/" + std::string(name);
  }

 private:
  std::string path_;
};

}  // namespace

std::string DefaultServerBinary() {
  std::error_code error;
  std::filesystem::path self =
      std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return "cellfit-server";
  return (self.parent_path() / "cellfit-server").string();
}

EmbeddedServer::EmbeddedServer(pid_t pid, EmbeddedServerOptions options)
    : pid_(pid), options_(std::move(options)) {}

EmbeddedServer::~EmbeddedServer() { Stop().IgnoreError(); }

absl::StatusOr<std::unique_ptr<EmbeddedServer>> EmbeddedServer::Start(
    const EmbeddedServerOptions& options) {
  const std::string binary = options.server_binary.empty()
                                 ? DefaultServerBinary()
                                 : options.server_binary;
  if (access(binary.c_str(), X_OK) != 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot start a local server: '", binary, "' is not executable (",
        strerror(errno), "); pass --server HOST:PORT to use a running one"));
  }
  ScratchDirectory scratch;
  if (!scratch.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot create a temporary directory: ", strerror(errno)));
  }
  const std::string token = RandomToken();
  const std::string token_file = scratch.File("tokens");
  const std::string address_file = scratch.File("address");
  {
    int fd = open(token_file.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    std::string line = token + " local\n";
    if (fd < 0 || write(fd, line.data(), line.size()) !=
                      static_cast<ssize_t>(line.size())) {
      if (fd >= 0) close(fd);
      return absl::InternalError(
          absl::StrCat("cannot write '", token_file, "': ", strerror(errno)));
    }
    close(fd);
  }
  const int workers =
      options.local_workers < 0 ? AvailableCores() : options.local_workers;
  std::error_code path_error;
  std::vector<std::string> args = {
      binary,
      "--listen=127.0.0.1:0",
      "--address_file=" + address_file,
      "--db=" + std::filesystem::absolute(options.database, path_error)
                    .lexically_normal()
                    .string(),
      absl::StrCat("--local_workers=", workers),
      "--token_file=" + token_file,
      "--log_level=" + options.log_level};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) {
    return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  }
  if (pid == 0) {
    // Only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    // A process group of its own: a Ctrl-C reaches this command, whose exit
    // then stops the server in order (via the parent-death signal).
    setpgid(0, 0);
    int null_fd = open("/dev/null", O_WRONLY);
    if (null_fd >= 0) dup2(null_fd, STDOUT_FILENO);  // `listening on` line
    execv(argv[0], argv.data());
    _exit(127);
  }

  std::unique_ptr<EmbeddedServer> server(new EmbeddedServer(pid, options));
  server->token_ = token;
  server->local_workers_ = workers;
  const absl::Time deadline = absl::Now() + options.start_timeout;
  auto exited = [&server]() -> std::optional<std::string> {
    int wait_status = 0;
    if (waitpid(server->pid_, &wait_status, WNOHANG) == server->pid_) {
      server->pid_ = -1;
      return DescribeWaitStatus(wait_status);
    }
    return std::nullopt;
  };
  auto failed = [&](std::string_view why) {
    return absl::UnavailableError(absl::StrCat(
        "the local cellfit-server (", binary, ") ", std::string(why),
        "; its messages are above. Pass --server HOST:PORT to use a running "
        "server"));
  };

  // 1. The address file appears once it listens.
  while (server->address_.empty()) {
    if (auto how = exited()) return failed(*how + " while starting");
    std::ifstream in(address_file);
    std::string address;
    if (in && std::getline(in, address) && !address.empty()) {
      server->address_ = std::string(absl::StripAsciiWhitespace(address));
      break;
    }
    if (absl::Now() > deadline)
      return failed("did not start listening in time");
    absl::SleepFor(absl::Milliseconds(20));
  }

  // 2. It answers as serving and its workers have registered.
  ClientOptions client_options;
  client_options.address = server->address_;
  client_options.token = token;
  client_options.connect_timeout =
      std::max(absl::Seconds(1), deadline - absl::Now());
  client_options.call_timeout = absl::Seconds(10);
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(client_options);
  if (!client.ok())
    return failed(
        absl::StrCat("cannot be reached: ", client.status().message()));
  size_t registered = 0;
  for (;;) {
    if (auto how = exited()) return failed(*how + " while starting");
    absl::StatusOr<bool> serving = (*client)->IsServing();
    if (serving.ok() && *serving) {
      absl::StatusOr<cellfit::v1::ServerStatus> status = (*client)->GetStatus();
      if (status.ok()) {
        registered = static_cast<size_t>(status->workers_size());
        if (registered >= static_cast<size_t>(workers)) break;
      }
    }
    if (absl::Now() > deadline) {
      return failed(absl::StrCat("had ", registered, " of its ", workers,
                                 " local workers registered after ",
                                 absl::FormatDuration(options.start_timeout)));
    }
    absl::SleepFor(absl::Milliseconds(25));
  }
  return server;
}

absl::Status EmbeddedServer::Stop() {
  if (pid_ <= 0) return absl::OkStatus();
  const pid_t pid = pid_;
  pid_ = -1;
  kill(pid, SIGTERM);
  const absl::Time deadline = absl::Now() + options_.stop_timeout;
  int wait_status = 0;
  for (;;) {
    pid_t done = waitpid(pid, &wait_status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return absl::OkStatus();  // not ours
    if (absl::Now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &wait_status, 0);
      return absl::InternalError(absl::StrCat(
          "the local cellfit-server did not stop within ",
          absl::FormatDuration(options_.stop_timeout), " and was killed"));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
    return absl::InternalError(absl::StrCat("the local cellfit-server ",
                                            DescribeWaitStatus(wait_status)));
  }
  return absl::OkStatus();
}

}  // namespace cellfit::client
