// Generates the C++ source of a step program: the whole time loop for a group
// of lanes in one function, recording, spike detection, reset, refractoriness
// and online error inlined. Only register numbers and numbers (as exact
// hexadecimal floating-point literals) reach the source; no user text does.
#ifndef CELLFIT_WORKER_STANDALONE_CODEGEN_H_
#define CELLFIT_WORKER_STANDALONE_CODEGEN_H_

#include <string>

#include "model/step_program.h"

namespace cellfit::standalone {

// The complete translation unit (with the shared vector math embedded),
// exporting `cellfit_run_group` and `cellfit_run_narrow_group` (see abi.h).
std::string GenerateSource(const model::StepProgram& program);

}  // namespace cellfit::standalone

#endif  // CELLFIT_WORKER_STANDALONE_CODEGEN_H_
