// Compiling generated sources into shared objects, once: a disk cache keyed by
// a SHA-256 of the source, the compiler's identity, its flags and the CPU
// (-march=native code from one node must not be loaded on an older one that
// shares the cache over a network home directory), safe when
// several workers (processes) compile the same model at once (one compiles,
// the others wait on a file lock and load; objects appear by atomic rename),
// bounded in size with least-recently-used eviction.
#ifndef CELLFIT_WORKER_STANDALONE_COMPILE_CACHE_H_
#define CELLFIT_WORKER_STANDALONE_COMPILE_CACHE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "worker/standalone/abi.h"

namespace cellfit::standalone {

// --compile_memory_mb, of the worker and of the server for its local workers.
inline constexpr int64_t kDefaultCompileMemoryMb = 4096;
inline constexpr int64_t kMaxCompileMemoryMb = int64_t{1} << 24;
// Why `mb` is not a valid --compile_memory_mb; empty when it is.
inline std::string CompileMemoryMbProblem(int64_t mb) {
  if (mb >= 0 && mb <= kMaxCompileMemoryMb) return "";
  return absl::StrCat("--compile_memory_mb must be 0 (no limit) to ",
                      kMaxCompileMemoryMb, ", not ", mb);
}

struct CompilerOptions {
  std::string compiler;            // empty: $CXX, else "c++" on PATH
  std::vector<std::string> flags;  // empty: DefaultFlags()
  std::string cache_dir;           // empty: DefaultCacheDir()
  std::string cpu;                 // empty: CpuDescription()
  int64_t max_cache_bytes = int64_t{1} << 30;
  absl::Duration timeout = absl::Seconds(300);
  // Address space the compiler may use (cc1plus took 200-300 MB for the HH
  // example); 0 for no limit. A model that needs more fails on this worker
  // (UNAVAILABLE) rather than taking the memory of the node it shares.
  int64_t max_memory_bytes = kDefaultCompileMemoryMb << 20;
};

// Generated sources longer than this are not compiled (INVALID_ARGUMENT, as
// on every worker): the HH example's is 65 kB, and one of this size would
// take the compiler minutes and gigabytes. The runtime backend runs any model.
inline constexpr size_t kMaxGeneratedSourceBytes = size_t{16} << 20;

// -O3, tuned for this machine, no contraction into fused multiply-adds (the
// runtime backend computes without them), position independent.
std::vector<std::string> DefaultFlags();
// $CELLFIT_CACHE_DIR, else $XDG_CACHE_HOME/cellfit/standalone, else
// ~/.cache/cellfit/standalone.
std::string DefaultCacheDir();

// What -march=native resolves to on this machine, for the cache key: the
// first processor's identity and feature lines of /proc/cpuinfo (model name
// and flags on x86, CPU part and Features on ARM); read once per process.
const std::string& CpuDescription();

// A loaded shared object and its entry point; unloaded never (code may run on
// other threads), so holding one is cheap.
struct CompiledProgram {
  std::string key;   // hex SHA-256
  std::string path;  // the shared object
  CellfitRunGroupFn run_group = nullptr;
  CellfitRunGroupFn run_narrow_group = nullptr;
  int lane_width = 4;          // lanes per vector: 4 or 8
  double compile_seconds = 0;  // 0 when loaded from the cache

  // Lanes run_group runs; run_narrow_group runs lane_width.
  int group_lanes() const { return CELLFIT_GROUP_VECTORS * lane_width; }
};

// Whether the compiler runs at all ("c++ --version" succeeds); the reason
// when not.
absl::Status CheckCompiler(const CompilerOptions& options);

// The compiled program for `source`: from this process's table, from the disk
// cache, or compiled now. Compiler errors come back as INVALID_ARGUMENT with
// the compiler's message: any worker would hit them. Failures of this machine
// (no writable cache, a compiler that does not run, an object that does not
// load, a compile slower than the timeout on a loaded or slow node, or one
// that needs more memory than max_memory_bytes) are UNAVAILABLE, which the
// worker reports as local to it, so the server goes on with the other workers
// and fails the job only when none can run it.
absl::StatusOr<std::shared_ptr<const CompiledProgram>> CompileOrLoad(
    const std::string& source, const CompilerOptions& options);

}  // namespace cellfit::standalone

#endif  // CELLFIT_WORKER_STANDALONE_COMPILE_CACHE_H_
