// Facts about the machine a worker runs on, as it reports them when it
// registers with the server.
#ifndef CELLFIT_WORKER_HOST_INFO_H_
#define CELLFIT_WORKER_HOST_INFO_H_

#include <optional>
#include <string>
#include <string_view>

namespace cellfit::worker {

// cellfit's version, as this binary was built.
std::string_view CellfitVersion();

// The host name (gethostname), or "unknown".
std::string HostName();

// The number of cores the process may run on (its CPU affinity mask, so a
// worker started by Slurm or taskset reports what it was given), at least 1.
unsigned AvailableCores();

// The C++ compiler the standalone backend would use: $CXX when set (a path or
// a name on PATH), else the first of c++, g++, clang++ found on PATH. nullopt
// when there is none; the worker then registers with has_compiler = false and
// the server sends it no standalone jobs.
std::optional<std::string> FindCxxCompiler();

}  // namespace cellfit::worker

#endif  // CELLFIT_WORKER_HOST_INFO_H_
