// Generates the C++ source of a step program: the whole time loop for a group
// of lanes in one function, recording, spike detection, reset, refractoriness
// and online error inlined. Only register numbers and numbers (as exact
// hexadecimal floating-point literals) reach the source; no user text does.
#ifndef CELLFIT_WORKER_STANDALONE_CODEGEN_H_
#define CELLFIT_WORKER_STANDALONE_CODEGEN_H_

#include <string>

#include "model/step_program.h"

namespace cellfit::standalone {

// Lanes per vector for code compiled with -march=native on this machine: 8
// where the CPU has AVX-512, else 4.
int NativeLaneWidth();

// The complete translation unit (with the shared vector math embedded),
// exporting `cellfit_run_group`, `cellfit_run_narrow_group` and
// `cellfit_lane_width` (see abi.h), for vectors of `lane_width` (4 or 8)
// lanes. Eight need a compiler that targets AVX-512 (-march=native on such a
// machine); elsewhere the source does not compile.
std::string GenerateSource(const model::StepProgram& program,
                           int lane_width = NativeLaneWidth());

}  // namespace cellfit::standalone

#endif  // CELLFIT_WORKER_STANDALONE_CODEGEN_H_
