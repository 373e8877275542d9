// The standalone backend: a step program compiled to native code (codegen.h,
// compile_cache.h), run over groups of lanes with the same request and result
// as the runtime backend.
#ifndef CELLFIT_WORKER_STANDALONE_STANDALONE_BACKEND_H_
#define CELLFIT_WORKER_STANDALONE_STANDALONE_BACKEND_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "model/step_program.h"
#include "worker/runtime/simulator.h"
#include "worker/standalone/compile_cache.h"

namespace cellfit::standalone {

using StandaloneRunFn = std::function<absl::StatusOr<runtime::BatchResult>(
    const runtime::BatchRequest&)>;

// Compiles (or loads) `program` and returns a function that runs requests for
// that program. `compiled` receives the compiled program's details if given.
absl::StatusOr<StandaloneRunFn> MakeStandaloneRunner(
    const model::StepProgram& program, const CompilerOptions& options,
    std::shared_ptr<const CompiledProgram>* compiled = nullptr);

// Runs a request with an already compiled program for request.program.
absl::StatusOr<runtime::BatchResult> RunCompiled(
    const CompiledProgram& compiled, const runtime::BatchRequest& request);

}  // namespace cellfit::standalone

#endif  // CELLFIT_WORKER_STANDALONE_STANDALONE_BACKEND_H_
