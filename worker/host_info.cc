#include "worker/host_info.h"

#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"

namespace cellfit::worker {
namespace {

bool IsExecutableFile(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) &&
         access(path.c_str(), X_OK) == 0;
}

// `name` as given when it contains a slash, else the first match on PATH.
std::optional<std::string> ResolveProgram(std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string_view::npos) {
    if (IsExecutableFile(std::filesystem::path(name))) return std::string(name);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    std::filesystem::path candidate =
        std::filesystem::path(std::string(dir)) / name;
    if (IsExecutableFile(candidate)) return candidate.string();
  }
  return std::nullopt;
}

}  // namespace

std::string_view CellfitVersion() { return CELLFIT_VERSION; }

std::string HostName() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof(buffer) - 1) != 0 || buffer[0] == '\0') {
    return "unknown";
  }
  return buffer;
}

unsigned AvailableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int count = CPU_COUNT(&set);
    if (count > 0) return static_cast<unsigned>(count);
  }
  unsigned hardware = std::thread::hardware_concurrency();
  return hardware > 0 ? hardware : 1;
}

std::optional<std::string> FindCxxCompiler() {
  if (const char* cxx = std::getenv("CXX"); cxx != nullptr && *cxx != '\0') {
    // $CXX may carry arguments ("ccache g++"): the program is its first word.
    std::vector<absl::string_view> words =
        absl::StrSplit(cxx, ' ', absl::SkipEmpty());
    if (!words.empty()) {
      return ResolveProgram(
          std::string_view(words.front().data(), words.front().size()));
    }
    return std::nullopt;
  }
  for (std::string_view name : {"c++", "g++", "clang++"}) {
    if (auto found = ResolveProgram(name)) return found;
  }
  return std::nullopt;
}

}  // namespace cellfit::worker
