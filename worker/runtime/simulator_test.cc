#include "worker/runtime/simulator.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "model/checker.h"
#include "worker/runtime/vector_math.h"

namespace cellfit::runtime {
namespace {

TEST(VectorMath, ExpMatchesTheCLibraryWithinOneUlp) {
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
    ASSERT_LE(std::fabs(got - want), ulp) << "x=" << x;
  }
}

// A vector of small arguments skips the reduction; the same argument beside
// a large one goes through it. A lane's result must not depend on its
// neighbours, or the backends would differ from run to run with the batch.
TEST(VectorMath, ExpOfSmallArgumentsHasTheSameBitsOnBothPaths) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> small(-0.34, 0.34);
  std::vector<double> xs = {0.0, -0.0, 0.34, -0.34, 1e-300, -1e-300, 1e-17};
  for (int k = 0; k < 100000; ++k) xs.push_back(small(rng));
  for (double x : xs) {
    const double fast = cellfit_vm::Exp(cellfit_vm::Splat(x))[0];
    const double general = cellfit_vm::Exp(cellfit_vm::Vec{x, 3.0, x, x})[0];
    ASSERT_EQ(std::memcmp(&fast, &general, sizeof fast), 0)
        << "x=" << x << ": " << fast << " against " << general;
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

// A batch runs in full blocks and then in a padded full block or narrower
// ones (4, 2, 1 vectors, the last padded). Whatever block a lane lands in, with
// whatever neighbours, it must give the same bits as the lane simulated alone;
// and every lane must read its own sample's parameters and its own trace.
TEST(Simulator, EveryBlockWidthGivesEachLaneItsOwnResult) {
  model::ModelSpec spec;
  spec.equations =
      "dv/dt = (El - v + R*I)/tau + 0.1*mV/ms*sin(v/mV) : volt\n"
      "tau : second\nR : ohm";
  spec.namespace_entries = {{"El", "-70*mV", {}}};
  spec.inputs = {{"I", model::Dimension::Of(0, 0, 0, 1)}};
  spec.param_init = {{"v", "-60*mV"}};
  spec.method = "rk4";
  auto checked = model::CheckModel(spec);
  ASSERT_TRUE(checked.model) << checked.diagnostics.ToStatus();
  model::LoweringOptions options;
  options.record = {"v"};
  auto program = model::LowerModel(*checked.model, options);
  ASSERT_TRUE(program.ok()) << program.status();
  constexpr int kSteps = 50;
  constexpr int kTraces = 3;
  SimulationData data;
  data.dt = 1e-4;
  data.n_steps = kSteps;
  std::vector<double> input(kTraces * kSteps);
  for (int k = 0; k < kTraces * kSteps; ++k) input[k] = 1e-9 * (k % 17);
  data.inputs.push_back({kTraces, kSteps, input});
  constexpr int kSamples = 30;
  std::vector<double> params;
  for (int s = 0; s < kSamples; ++s) {
    params.push_back(0.005 + 0.001 * s);  // tau
    params.push_back(1e6 * (1 + s % 4));  // R
  }
  auto run = [&](const std::vector<Lane>& lanes) {
    BatchRequest request;
    request.program = &*program;
    request.data = &data;
    request.params = params.data();
    request.n_samples = kSamples;
    request.n_params = 2;
    request.lanes = lanes;
    auto result = RunBatch(request);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? result->recordings[0] : std::vector<double>();
  };
  std::vector<Lane> all;
  for (int s = 0; s < kSamples; ++s) {
    for (int t = 0; t < kTraces; ++t) all.push_back({s, t, s * kTraces + t});
  }
  std::vector<std::vector<double>> alone;
  for (const Lane& lane : all) alone.push_back(run({lane}));
  // Left over after full blocks: 1..4 lanes run as one vector; 5..8 as two;
  // 9..12 as two and one; 13..16 as four; 17..20 as four and one; 21..31 as
  // one padded full block.
  for (int n_lanes :
       {1, 3, 4, 5, 8, 9, 13, 16, 17, 20, 21, 31, 32, 33, 47, 53, 63, 90}) {
    SCOPED_TRACE(testing::Message() << n_lanes << " lanes");
    // Lanes taken from the end so that every batch mixes samples and traces.
    const std::vector<Lane> lanes(all.end() - n_lanes, all.end());
    const std::vector<double> got = run(lanes);
    ASSERT_EQ(got.size(), static_cast<size_t>(n_lanes) * kSteps);
    for (int l = 0; l < n_lanes; ++l) {
      const std::vector<double>& want = alone[all.size() - n_lanes + l];
      for (int k = 0; k < kSteps; ++k) {
        ASSERT_EQ(got[static_cast<size_t>(l) * kSteps + k], want[k])
            << "lane " << l << " step " << k;
      }
    }
  }
  // Different samples and traces really differ, so a lane reading another's
  // parameters or trace could not pass the comparison above.
  EXPECT_NE(alone[0][kSteps - 1], alone[1][kSteps - 1]);
  EXPECT_NE(alone[0][kSteps - 1], alone[kTraces][kSteps - 1]);
}

}  // namespace
}  // namespace cellfit::runtime
