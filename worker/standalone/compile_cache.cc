#include "worker/standalone/compile_cache.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string_view>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace cellfit::standalone {
namespace {

namespace fs = std::filesystem;

std::string Compiler(const CompilerOptions& options) {
  if (!options.compiler.empty()) return options.compiler;
  if (const char* cxx = std::getenv("CXX"); cxx != nullptr && *cxx) return cxx;
  return "c++";
}

std::vector<std::string> Flags(const CompilerOptions& options) {
  return options.flags.empty() ? DefaultFlags() : options.flags;
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int k = 0; k < length; ++k) {
    absl::StrAppend(&hex, absl::Hex(digest[k], absl::kZeroPad2));
  }
  return hex;
}

struct ProcessResult {
  int exit_code = -1;
  bool timed_out = false;
  std::string output;  // stdout and stderr together
};

// Writes `text` to a file that only its owner may read or write from the
// moment it exists (the sources are users' models). False, with errno set,
// on failure.
bool WriteOwnerOnlyFile(const fs::path& path, const std::string& text) {
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
           S_IRUSR | S_IWUSR);
  if (fd < 0) return false;
  // An older file of the same name keeps its mode through O_CREAT.
  int error = fchmod(fd, S_IRUSR | S_IWUSR) == 0 ? 0 : errno;
  for (size_t written = 0; error == 0 && written < text.size();) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n >= 0) {
      written += static_cast<size_t>(n);
    } else if (errno != EINTR) {
      error = errno;
    }
  }
  if (close(fd) != 0 && error == 0) error = errno;
  errno = error;
  return error == 0;
}

// The file that execve would run for `name`: itself when it names a path,
// else the first executable of that name on $PATH. Resolved before the fork,
// where the child may only make async-signal-safe calls.
std::optional<std::string> ResolveExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(
           absl::string_view(path != nullptr ? path : "/usr/bin:/bin"), ':')) {
    const std::string candidate =
        absl::StrCat(dir.empty() ? "." : dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

// Runs argv with stdout/stderr to a file, killing it (and its children) after
// `timeout`. `memory_limit` > 0 caps the address space of the process and of
// the children it starts (the compiler driver's cc1plus and as), so that a
// huge model fails to compile instead of taking the node's memory.
absl::StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                         const std::string& output_path,
                                         absl::Duration timeout,
                                         int64_t memory_limit = 0) {
  const std::optional<std::string> executable = ResolveExecutable(argv[0]);
  if (!executable.has_value()) {
    return absl::UnavailableError(
        absl::StrCat("cannot run '", argv[0], "': not found on PATH"));
  }
  const int output = open(output_path.c_str(),
                          O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                          S_IRUSR | S_IWUSR);
  if (output < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot write ", output_path, ": ", std::strerror(errno)));
  }
  // The child reports a failed execve here; the pipe closes on a good one.
  int exec_error[2];
  if (pipe2(exec_error, O_CLOEXEC) != 0) {
    const int error = errno;
    close(output);
    return absl::UnavailableError(
        absl::StrCat("cannot create a pipe: ", std::strerror(error)));
  }
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here to execve. Its own process
    // group, so that a timeout also stops the compiler's children.
    setpgid(0, 0);
    dup2(output, STDOUT_FILENO);
    dup2(output, STDERR_FILENO);
    if (memory_limit > 0) {
      const rlimit limit = {static_cast<rlim_t>(memory_limit),
                            static_cast<rlim_t>(memory_limit)};
      setrlimit(RLIMIT_AS, &limit);
    }
    execve(executable->c_str(), args.data(), environ);
    const int error = errno;
    (void)!write(exec_error[1], &error, sizeof(error));
    _exit(127);
  }
  const int fork_error = errno;
  close(output);
  close(exec_error[1]);
  if (pid < 0) {
    close(exec_error[0]);
    return absl::UnavailableError(absl::StrCat(
        "cannot run '", argv[0], "': ", std::strerror(fork_error)));
  }
  int child_error = 0;
  ssize_t got;
  do {
    got = read(exec_error[0], &child_error, sizeof(child_error));
  } while (got < 0 && errno == EINTR);
  close(exec_error[0]);
  if (got == sizeof(child_error)) {
    waitpid(pid, nullptr, 0);
    return absl::UnavailableError(absl::StrCat(
        "cannot run '", argv[0], "': ", std::strerror(child_error)));
  }
  ProcessResult result;
  const auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  int status = 0;
  while (true) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!result.timed_out) {
    result.exit_code =
        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::ifstream in(output_path);
  std::stringstream text;
  text << in.rdbuf();
  result.output = text.str();
  return result;
}

// Whether a compile that failed under a memory limit may have failed for it:
// GCC says so ("out of memory allocating ...", "virtual memory exhausted"),
// as does clang ("LLVM ERROR: out of memory"); a compiler squeezed harder
// crashes instead (cc1plus: "internal compiler error: Segmentation fault").
bool MayBeOutOfMemory(const ProcessResult& result) {
  if (result.exit_code > 128) return true;  // ended by a signal
  const std::string output = absl::AsciiStrToLower(result.output);
  for (const char* sign :
       {"out of memory", "memory exhausted", "cannot allocate memory",
        "std::bad_alloc", "internal compiler error", "signal terminated"}) {
    if (output.find(sign) != std::string::npos) return true;
  }
  return false;
}

// The compiler's identity: its path and first line of --version.
absl::StatusOr<std::string> CompilerIdentity(const CompilerOptions& options) {
  static std::mutex mutex;
  static std::map<std::string, std::string>* known =
      new std::map<std::string, std::string>;
  const std::string compiler = Compiler(options);
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = known->find(compiler); it != known->end()) return it->second;
  // A fresh file of its own (mkstemp): a fixed name in a shared /tmp could
  // be made a symlink to another file by another local user.
  std::string out =
      (fs::temp_directory_path() / "cellfit_cc_version_XXXXXX").string();
  const int fd = mkstemp(out.data());
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot create a temporary file like ", out, ": ",
                     std::strerror(errno)));
  }
  close(fd);
  auto result = RunProcess({compiler, "--version"}, out, absl::Seconds(30));
  fs::remove(out);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::UnavailableError(absl::StrCat(
        "the C++ compiler '", compiler, "' does not run: ", result->output));
  }
  const std::string identity = absl::StrCat(
      compiler, "\n", result->output.substr(0, result->output.find('\n')));
  (*known)[compiler] = identity;
  return identity;
}

class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0) flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) {
      flock(fd_, LOCK_UN);
      close(fd_);
    }
  }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Removes least recently used objects until the cache fits, keeping `keep`.
void Evict(const fs::path& dir, int64_t max_bytes, const fs::path& keep) {
  std::vector<std::pair<fs::file_time_type, fs::path>> objects;
  int64_t total = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".so") continue;
    total += static_cast<int64_t>(entry.file_size(ec));
    objects.push_back({entry.last_write_time(ec), entry.path()});
  }
  std::sort(objects.begin(), objects.end());
  for (const auto& [time, path] : objects) {
    if (total <= max_bytes) break;
    if (path == keep) continue;
    const int64_t size = static_cast<int64_t>(fs::file_size(path, ec));
    // A process that has it loaded keeps its mapping; new loads recompile.
    if (fs::remove(path, ec)) total -= size;
    fs::remove(fs::path(path).replace_extension(".cc"), ec);
  }
}

struct EntryPoints {
  CellfitRunGroupFn run_group = nullptr;
  CellfitRunGroupFn run_narrow_group = nullptr;
  int lane_width = 0;
};

absl::StatusOr<EntryPoints> Load(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot load ", path, ": ", dlerror()));
  }
  auto version =
      reinterpret_cast<int (*)()>(dlsym(handle, "cellfit_abi_version"));
  EntryPoints entry;
  entry.run_group =
      reinterpret_cast<CellfitRunGroupFn>(dlsym(handle, "cellfit_run_group"));
  entry.run_narrow_group = reinterpret_cast<CellfitRunGroupFn>(
      dlsym(handle, "cellfit_run_narrow_group"));
  auto lane_width =
      reinterpret_cast<int (*)()>(dlsym(handle, "cellfit_lane_width"));
  if (lane_width != nullptr) entry.lane_width = lane_width();
  if (version == nullptr || entry.run_group == nullptr ||
      entry.run_narrow_group == nullptr || version() != CELLFIT_ABI_VERSION ||
      (entry.lane_width != 4 && entry.lane_width != 8)) {
    return absl::UnavailableError(absl::StrCat(
        path, " is not a cellfit program of ABI ", CELLFIT_ABI_VERSION));
  }
  return entry;
}

}  // namespace

std::vector<std::string> DefaultFlags() {
  return {"-O3",   "-march=native", "-ffp-contract=off", "-fno-math-errno",
          "-fPIC", "-shared",       "-std=c++17",        "-w"};
}

const std::string& CpuDescription() {
  static const std::string* const description = [] {
    // The lines that decide the instructions -march=native picks; not
    // "cpu MHz" or "bogomips", which differ between identical nodes.
    static constexpr std::string_view kKeys[] = {
        "vendor_id",        "cpu family",  "model",
        "model name",       "flags",       "CPU implementer",
        "CPU architecture", "CPU variant", "CPU part",
        "Features",         "isa"};
    std::ifstream in("/proc/cpuinfo");
    std::string text, line;
    while (std::getline(in, line)) {
      if (line.empty()) {
        if (!text.empty()) break;  // the first processor is enough
        continue;
      }
      std::string key = line.substr(0, line.find(':'));
      absl::StripAsciiWhitespace(&key);
      if (std::find(std::begin(kKeys), std::end(kKeys), key) !=
          std::end(kKeys)) {
        absl::StrAppend(&text, line, "\n");
      }
    }
    return new std::string(text.empty() ? "unknown cpu" : text);
  }();
  return *description;
}

std::string DefaultCacheDir() {
  if (const char* dir = std::getenv("CELLFIT_CACHE_DIR"); dir && *dir)
    return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    return (fs::path(xdg) / "cellfit" / "standalone").string();
  }
  const char* home = std::getenv("HOME");
  return (fs::path(home && *home ? home : "/tmp") / ".cache" / "cellfit" /
          "standalone")
      .string();
}

absl::Status CheckCompiler(const CompilerOptions& options) {
  return CompilerIdentity(options).status();
}

absl::StatusOr<std::shared_ptr<const CompiledProgram>> CompileOrLoad(
    const std::string& source, const CompilerOptions& options) {
  if (source.size() > kMaxGeneratedSourceBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the model's generated code is ", source.size(),
                     " bytes, more than the standalone backend compiles (",
                     kMaxGeneratedSourceBytes >> 20,
                     " MiB); fit it with the runtime backend"));
  }
  auto identity = CompilerIdentity(options);
  if (!identity.ok()) return identity.status();
  const std::vector<std::string> flags = Flags(options);
  const std::string key = Sha256Hex(absl::StrCat(
      "abi ", CELLFIT_ABI_VERSION, "\n", *identity, "\n",
      absl::StrJoin(flags, " "), "\n",
      options.cpu.empty() ? CpuDescription() : options.cpu, "\n", source));

  static std::mutex table_mutex;
  static auto* table =
      new std::map<std::string, std::shared_ptr<const CompiledProgram>>;
  {
    std::lock_guard<std::mutex> lock(table_mutex);
    if (auto it = table->find(key); it != table->end()) return it->second;
  }

  const fs::path dir =
      options.cache_dir.empty() ? DefaultCacheDir() : options.cache_dir;
  std::error_code ec;
  // The sources are users' models: a cache this worker creates is its own
  // (an existing one keeps the mode its operator gave it).
  if (fs::create_directories(dir, ec) && !ec) {
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  if (ec) {
    return absl::UnavailableError(absl::StrCat(
        "cannot create the compile cache ", dir.string(), ": ", ec.message()));
  }
  const fs::path object = dir / (key + ".so");
  auto program = std::make_shared<CompiledProgram>();
  program->key = key;
  program->path = object.string();
  {
    FileLock lock((dir / (key + ".lock")).string());
    if (!lock.ok()) {
      return absl::UnavailableError(
          absl::StrCat("cannot lock the compile cache in ", dir.string()));
    }
    if (!fs::exists(object)) {
      const std::string stem = absl::StrCat(key, ".", getpid());
      const fs::path source_path = dir / (stem + ".cc");
      const fs::path temp_object = dir / (stem + ".so.tmp");
      const fs::path log = dir / (stem + ".log");
      if (!WriteOwnerOnlyFile(source_path, source)) {
        return absl::UnavailableError(absl::StrCat(
            "cannot write ", source_path.string(), ": ", std::strerror(errno)));
      }
      std::vector<std::string> argv = {Compiler(options)};
      argv.insert(argv.end(), flags.begin(), flags.end());
      argv.insert(argv.end(),
                  {source_path.string(), "-o", temp_object.string()});
      const auto start = std::chrono::steady_clock::now();
      auto result = RunProcess(argv, log.string(), options.timeout,
                               options.max_memory_bytes);
      program->compile_seconds = std::chrono::duration<double>(
                                     std::chrono::steady_clock::now() - start)
                                     .count();
      fs::remove(log, ec);
      if (!result.ok()) {
        fs::remove(source_path, ec);
        return result.status();
      }
      if (result->timed_out) {
        fs::remove(source_path, ec);
        fs::remove(temp_object, ec);
        return absl::UnavailableError(
            absl::StrCat("compiling the model took longer than ",
                         absl::FormatDuration(options.timeout),
                         " on this worker (its compile timeout)"));
      }
      if (result->exit_code != 0 && options.max_memory_bytes > 0 &&
          MayBeOutOfMemory(*result)) {
        fs::remove(source_path, ec);
        fs::remove(temp_object, ec);
        return absl::UnavailableError(absl::StrCat(
            "compiling the model failed under this worker's memory limit for "
            "its compiler (",
            options.max_memory_bytes >> 20, " MiB); the compiler said:\n",
            result->output.substr(0, 2000)));
      }
      if (result->exit_code != 0) {
        fs::remove(temp_object, ec);
        return absl::InvalidArgumentError(absl::StrCat(
            "the C++ compiler failed on the generated model (kept at ",
            source_path.string(), "):\n", result->output.substr(0, 8000)));
      }
      fs::rename(source_path, dir / (key + ".cc"), ec);
      fs::rename(temp_object, object, ec);  // atomic: others see all or nothing
      if (ec) {
        return absl::UnavailableError(
            absl::StrCat("cannot store ", object.string(), ": ", ec.message()));
      }
      Evict(dir, options.max_cache_bytes, object);
    } else {
      // Mark as recently used for eviction.
      fs::last_write_time(object, fs::file_time_type::clock::now(), ec);
    }
  }
  auto entry = Load(object.string());
  if (!entry.ok()) return entry.status();
  program->run_group = entry->run_group;
  program->run_narrow_group = entry->run_narrow_group;
  program->lane_width = entry->lane_width;
  std::lock_guard<std::mutex> lock(table_mutex);
  auto [it, inserted] = table->emplace(key, std::move(program));
  return it->second;
}

}  // namespace cellfit::standalone
