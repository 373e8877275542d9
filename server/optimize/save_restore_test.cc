// A restored optimizer continues exactly as the original: bit-identical
// candidates, for every method, whether saved between rounds or between an
// Ask and its Tell, and across chains of restores. For NLopt this exercises
// the replay of each run's recorded errors (nlopt_run.h), including runs that
// restarted, and the check that refuses a replay that diverges.
#include <bit>
#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/optimize/make_optimizer.h"
#include "server/optimize/test_problems.h"

namespace cellfit::optimize {
namespace {

using ::testing::HasSubstr;

constexpr int kSamples = 6;

// Rosenbrock, except that a corner of the box "fails to simulate" (NaN) and
// another gives +inf, so that non-finite errors pass through the replays.
double Objective(const Eigen::VectorXd& x) {
  if (x[0] > 1.6) return std::numeric_limits<double>::quiet_NaN();
  if (x[1] < -1.7) return std::numeric_limits<double>::infinity();
  return test_problems::RosenbrockValue(x);
}

Eigen::VectorXd Errors(const Eigen::MatrixXd& candidates) {
  Eigen::VectorXd errors(candidates.rows());
  for (Eigen::Index i = 0; i < candidates.rows(); ++i) {
    errors[i] = Objective(candidates.row(i).transpose());
  }
  return errors;
}

void RunRounds(Optimizer& optimizer, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    const Eigen::MatrixXd asked = optimizer.Ask().value();
    ASSERT_TRUE(optimizer.Tell(asked, Errors(asked)).ok());
  }
}

// Asks and tells `rounds` rounds of `a` and `b` side by side, expecting the
// same candidates bit for bit.
void ExpectSameContinuation(Optimizer& a, Optimizer& b, int rounds,
                            const std::string& where) {
  for (int r = 0; r < rounds; ++r) {
    auto asked_a = a.Ask();
    auto asked_b = b.Ask();
    ASSERT_TRUE(asked_a.ok()) << where << ": " << asked_a.status();
    ASSERT_TRUE(asked_b.ok()) << where << ": " << asked_b.status();
    const Eigen::MatrixXd& x = *asked_a;
    const Eigen::MatrixXd& y = *asked_b;
    ASSERT_EQ(x.rows(), y.rows());
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      ASSERT_EQ(std::bit_cast<uint64_t>(x.data()[i]),
                std::bit_cast<uint64_t>(y.data()[i]))
          << where << ", round " << r << " after restore";
    }
    ASSERT_TRUE(a.Tell(x, Errors(x)).ok());
    ASSERT_TRUE(b.Tell(y, Errors(y)).ok());
  }
  EXPECT_EQ(a.best_error(), b.best_error()) << where;
  EXPECT_EQ(a.best_point(), b.best_point()) << where;
  EXPECT_EQ(a.rounds_told(), b.rounds_told()) << where;
}

struct Case {
  std::string method;
  std::map<std::string, double> options;
  // Rounds are divided by this: NLopt's NEWUOA_BOUND spends ~1 ms per
  // evaluation in its trust-region subproblem, and replays repeat them.
  int slowness = 1;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.method;
  for (const auto& [key, value] : c.options) *os << " " << key << "=" << value;
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.method;
  for (const auto& [key, value] : info.param.options) {
    name += "_" + key + std::to_string(static_cast<int>(value));
  }
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  for (const std::string& method : AcceptedMethods()) {
    const int slowness = method == "LN_NEWUOA_BOUND" ? 3 : 1;
    cases.push_back({method, {}, slowness});
    // A small per-run budget makes every NLopt run restart several times
    // within the test, so checkpoints fall in later restarts.
    if (method.starts_with("GN_") || method.starts_with("LN_")) {
      cases.push_back({method,
                       {{"maxeval", static_cast<double>(17 / slowness)}},
                       slowness});
    }
  }
  // Small populations and loose tolerances make DE overlap generations and
  // CMA-ES restart within the test.
  cases.push_back({"DE", {{"popsize", 9}}});
  cases.push_back({"CMAES", {{"tolx", 1e-2}}});
  return cases;
}

class SaveRestoreTest : public ::testing::TestWithParam<Case> {
 protected:
  int Rounds(int rounds) const { return rounds / GetParam().slowness; }
  std::unique_ptr<Optimizer> Make() {
    OptimizerConfig config{GetParam().method, 2024, GetParam().options};
    auto optimizer =
        MakeOptimizer(config, test_problems::Rosenbrock().space, kSamples);
    EXPECT_TRUE(optimizer.ok()) << optimizer.status();
    return std::move(optimizer).value();
  }
  std::unique_ptr<Optimizer> Restore(const std::string& state) {
    OptimizerConfig config{GetParam().method, 2024, GetParam().options};
    auto optimizer = RestoreOptimizer(config, test_problems::Rosenbrock().space,
                                      kSamples, state);
    EXPECT_TRUE(optimizer.ok()) << optimizer.status();
    return std::move(optimizer).value();
  }
};

INSTANTIATE_TEST_SUITE_P(AllMethods, SaveRestoreTest,
                         ::testing::ValuesIn(AllCases()), CaseName);

TEST_P(SaveRestoreTest, FreshState) {
  auto original = Make();
  auto restored = Restore(original->SaveState());
  ExpectSameContinuation(*original, *restored, Rounds(20), "fresh");
}

TEST_P(SaveRestoreTest, BetweenRounds) {
  auto original = Make();
  RunRounds(*original, Rounds(23));
  auto restored = Restore(original->SaveState());
  ExpectSameContinuation(*original, *restored, Rounds(40), "between rounds");
}

TEST_P(SaveRestoreTest, BetweenAskAndTellAndAcrossChains) {
  auto original = Make();
  RunRounds(*original, Rounds(31));
  auto first = Restore(original->SaveState());
  ExpectSameContinuation(*original, *first, Rounds(9), "first restore");

  // Save with a round outstanding; the restored optimizer accepts the Tell
  // of the candidates the original handed out.
  const Eigen::MatrixXd asked = original->Ask().value();
  ASSERT_TRUE(first->Ask().ok());
  auto second = Restore(first->SaveState());
  EXPECT_TRUE(second->awaiting_tell());
  EXPECT_EQ(second->Ask().value(), asked);
  ASSERT_TRUE(original->Tell(asked, Errors(asked)).ok());
  ASSERT_TRUE(second->Tell(asked, Errors(asked)).ok());
  ExpectSameContinuation(*original, *second, Rounds(30), "second restore");

  // Restoring straight after a mid-round save, without asking again.
  original->Ask().value();
  auto third = Restore(original->SaveState());
  const Eigen::MatrixXd outstanding = original->Ask().value();
  ASSERT_TRUE(original->Tell(outstanding, Errors(outstanding)).ok());
  ASSERT_TRUE(third->Tell(outstanding, Errors(outstanding)).ok());
  ExpectSameContinuation(*original, *third, Rounds(15), "third restore");
}

// NLopt's state is only the errors each run was told; restoring replays them.
// If a replay does not reproduce the recorded run (here: a recorded error is
// altered, as if the bytes came from another NLopt build), the restored
// optimizer must say so instead of silently proposing other points.
TEST(NloptReplayTest, DivergentReplayIsRefused) {
  const ParameterSpace space = test_problems::Box(3, -2, 2);
  OptimizerConfig config{"LN_BOBYQA", 7, {}};
  auto original = MakeOptimizer(config, space, 2).value();
  // Every error is distinct and recognisable in the state bytes.
  const double marker = 0.123456789012345;
  // BOBYQA's first 2d + 1 = 7 points are its fixed initial design; the
  // points after them depend on the values told.
  for (int r = 0; r < 12; ++r) {
    const Eigen::MatrixXd asked = original->Ask().value();
    Eigen::VectorXd errors(2);
    errors << (r == 3
                   ? marker
                   : test_problems::RosenbrockValue(asked.row(0).transpose())),
        test_problems::RosenbrockValue(asked.row(1).transpose());
    ASSERT_TRUE(original->Tell(asked, errors).ok());
  }
  std::string state = original->SaveState();
  const uint64_t bits = std::bit_cast<uint64_t>(marker);
  const std::string needle(reinterpret_cast<const char*>(&bits), 8);
  // The last occurrence: the marker is also the best error, which the
  // envelope before the algorithm's state records.
  const size_t at = state.rfind(needle);
  ASSERT_NE(at, std::string::npos);
  // Unaltered, the state restores and replays fine.
  ASSERT_TRUE(RestoreOptimizer(config, space, 2, state).value()->Ask().ok());

  const uint64_t other = std::bit_cast<uint64_t>(1e6);
  state.replace(at, 8, reinterpret_cast<const char*>(&other), 8);
  auto restored = RestoreOptimizer(config, space, 2, state).value();
  const auto asked = restored->Ask();
  EXPECT_EQ(asked.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(asked.status().message()),
              HasSubstr("does not replay its checkpoint"));
}

// Version 1 checkpoints, written before the random engine kept its words,
// hold the standard engine's textual form there instead. Databases keep such
// checkpoints, and their fits must resume as they would have.
uint64_t LittleEndianU64(const std::string& bytes, size_t at) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  }
  return value;
}

std::string LittleEndianBytes(uint64_t value, int width) {
  std::string bytes;
  for (int i = 0; i < width; ++i) {
    bytes.push_back(static_cast<char>(value >> (8 * i)));
  }
  return bytes;
}

// A DE checkpoint rewritten as version 1: the version field, and the
// engine's words and position (after its marker) as text in the marker's
// place. The algorithm's state is the envelope's last, length-prefixed field
// and begins with the engine.
std::string AsVersionOne(const std::string& state) {
  const std::string marker = "mt19937_64 words";
  const size_t marker_at = state.find(marker);
  EXPECT_NE(marker_at, std::string::npos);
  const size_t algorithm_at = marker_at - 8;
  EXPECT_EQ(LittleEndianU64(state, algorithm_at - 8),
            state.size() - algorithm_at);
  std::string text;
  size_t at = marker_at + marker.size();
  for (int i = 0; i < 312; ++i, at += 8) {
    absl::StrAppend(&text, LittleEndianU64(state, at), " ");
  }
  absl::StrAppend(&text, LittleEndianU64(state, at) & 0xffffffffULL);
  at += 4;
  const std::string algorithm =
      LittleEndianBytes(text.size(), 8) + text + state.substr(at);
  std::string older = state.substr(0, algorithm_at - 8) +
                      LittleEndianBytes(algorithm.size(), 8) + algorithm;
  const size_t version_at = 8 + std::string("cellfit.optimize.state").size();
  EXPECT_EQ(LittleEndianU64(older, version_at) & 0xffffffffULL, 2u);
  older.replace(version_at, 4, LittleEndianBytes(1, 4));
  return older;
}

TEST(OptimizerStateVersionTest, AVersionOneCheckpointContinuesExactly) {
  const OptimizerConfig config{"DE", 2024, {}};
  const ParameterSpace space = test_problems::Rosenbrock().space;
  auto original = MakeOptimizer(config, space, kSamples).value();
  RunRounds(*original, 7);
  const std::string older = AsVersionOne(original->SaveState());
  auto restored = RestoreOptimizer(config, space, kSamples, older);
  ASSERT_TRUE(restored.ok()) << restored.status();
  ExpectSameContinuation(*original, **restored, 10, "version 1");
}

TEST(OptimizerStateVersionTest, ALaterVersionIsRefusedByName) {
  const OptimizerConfig config{"DE", 2024, {}};
  const ParameterSpace space = test_problems::Rosenbrock().space;
  std::string state =
      MakeOptimizer(config, space, kSamples).value()->SaveState();
  state.replace(8 + std::string("cellfit.optimize.state").size(), 4,
                LittleEndianBytes(3, 4));
  auto restored = RestoreOptimizer(config, space, kSamples, state);
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(restored.status().message()),
              HasSubstr("format version 3; this build reads versions 1 to 2"));
}

}  // namespace
}  // namespace cellfit::optimize
