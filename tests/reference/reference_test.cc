// Brian2 reference suite: every case in tests/reference/cases is simulated by
// Brian2 (python3-brian, numpy target) in this test run, and by cellfit's
// backends from the same model text, inputs and parameter values.
//
// Tolerance, deterministic methods: the largest difference over a trace must
// be within 1e-6 of the trace's range. Both sides evaluate the same formulas
// in double precision but with differently arranged arithmetic (Brian2 passes
// expressions through sympy), so traces differ by rounding, amplified by the
// dynamics over the run; a semantic difference (an input read one step off, a
// reset applied a step late, a different integration formula) moves traces by
// far more than 1e-6 of their range. Spikes must occur at the same steps.
// Stochastic cases compare statistics within sampling error instead.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "model/checker.h"
#include "model/step_program.h"
#include "nlohmann/json.hpp"
#include "tests/reference/reference_cases.h"
#include "worker/runtime/simulator.h"

namespace cellfit {
namespace {

using nlohmann::json;

class ReferenceTest : public testing::TestWithParam<std::string> {};

// One Brian2 run per case, compared with both backends.
TEST_P(ReferenceTest, BothBackendsMatchBrian2AndEachOther) {
  const std::string name = GetParam();
  auto reference = RunBrian2(name);
  ASSERT_TRUE(reference.ok()) << reference.status();
  auto runtime = SimulateCase(name, *reference, Backend::kRuntime);
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  {
    SCOPED_TRACE("runtime backend vs Brian2");
    ExpectMatches(*reference, *runtime);
  }
  auto standalone = SimulateCase(name, *reference, Backend::kStandalone);
  ASSERT_TRUE(standalone.ok()) << standalone.status();
  {
    SCOPED_TRACE("standalone backend vs Brian2");
    ExpectMatches(*reference, *standalone);
  }
  ExpectBackendsAgree(*runtime, *standalone);
}

INSTANTIATE_TEST_SUITE_P(Cases, ReferenceTest,
                         testing::ValuesIn(ReferenceCaseNames()),
                         [](const testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

}  // namespace
}  // namespace cellfit
