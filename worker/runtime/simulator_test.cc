#include "worker/runtime/simulator.h"

#include <cmath>
#include <limits>
#include <random>

#include "gtest/gtest.h"
#include "model/checker.h"
#include "worker/runtime/vector_math.h"

namespace cellfit::runtime {
namespace {

TEST(VectorMath, ExpMatchesTheCLibraryWithinTwoUlp) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> wide(-745.0, 709.0);
  std::uniform_real_distribution<double> narrow(-5.0, 5.0);
  for (int k = 0; k < 200000; ++k) {
    const double x = k % 2 ? wide(rng) : narrow(rng);
    const double got = cellfit_vm::Exp(cellfit_vm::Splat(x))[0];
    const double want = std::exp(x);
    if (want == 0 || std::fpclassify(want) == FP_SUBNORMAL) {
      EXPECT_NEAR(got, want, 4.9e-324 * 2) << x;
      continue;
    }
    const double ulp = std::nextafter(want, INFINITY) - want;
    ASSERT_LE(std::fabs(got - want), 2 * ulp) << "x=" << x;
  }
}

TEST(VectorMath, ExpEdgeCases) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(cellfit_vm::Exp(cellfit_vm::Splat(0.0))[0], 1.0);
  EXPECT_EQ(cellfit_vm::Exp(cellfit_vm::Splat(1000.0))[0], inf);
  EXPECT_EQ(cellfit_vm::Exp(cellfit_vm::Splat(inf))[0], inf);
  EXPECT_EQ(cellfit_vm::Exp(cellfit_vm::Splat(-inf))[0], 0.0);
  EXPECT_EQ(cellfit_vm::Exp(cellfit_vm::Splat(-1000.0))[0], 0.0);
  EXPECT_TRUE(std::isnan(cellfit_vm::Exp(cellfit_vm::Splat(NAN))[0]));
  EXPECT_EQ(cellfit_vm::Exp(cellfit_vm::Splat(709.78))[0], std::exp(709.78));
}

// dv/dt = (El - v)/tau integrated exactly from v0 gives El +
// (v0-El)exp(-t/tau).
TEST(Simulator, ExactLinearDecay) {
  model::ModelSpec spec;
  spec.equations = "dv/dt = (El - v + R*I)/tau : volt\ntau : second\nR : ohm";
  spec.namespace_entries = {{"El", "-70*mV", {}}};
  spec.inputs = {{"I", model::Dimension::Of(0, 0, 0, 1)}};
  spec.param_init = {{"v", "-60*mV"}};
  auto checked = model::CheckModel(spec);
  ASSERT_TRUE(checked.model) << checked.diagnostics.ToStatus();
  EXPECT_EQ(checked.model->method, "exact");
  model::LoweringOptions options;
  options.record = {"v"};
  auto program = model::LowerModel(*checked.model, options);
  ASSERT_TRUE(program.ok()) << program.status();
  SimulationData data;
  data.dt = 1e-4;
  data.n_steps = 100;
  data.inputs.push_back({1, 100, std::vector<double>(100, 0.0)});
  const std::vector<double> params = {0.01, 1e6};  // tau, R
  BatchRequest request;
  request.program = &*program;
  request.data = &data;
  request.params = params.data();
  request.n_samples = 1;
  request.n_params = 2;
  request.lanes = {{0, 0, 0}};
  auto result = RunBatch(request);
  ASSERT_TRUE(result.ok()) << result.status();
  for (int k = 0; k < 100; ++k) {
    const double expected = -0.07 + 0.01 * std::exp(-k * 1e-4 / 0.01);
    EXPECT_NEAR(result->recordings[0][k], expected, 1e-15) << k;
  }
}

}  // namespace
}  // namespace cellfit::runtime
