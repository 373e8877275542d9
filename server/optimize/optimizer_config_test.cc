// Method names, options and sizes: what is accepted, and the errors for what
// is not.
#include "server/optimize/optimizer_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/optimize/make_optimizer.h"
#include "server/optimize/test_problems.h"

namespace cellfit::optimize {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

absl::Status Make(std::string method, std::map<std::string, double> options,
                  int n_samples = 10) {
  OptimizerConfig config;
  config.method = std::move(method);
  config.options = std::move(options);
  return MakeOptimizer(config, test_problems::Box(3, 0, 1), n_samples).status();
}

std::string Message(const absl::Status& status) {
  return std::string(status.message());
}

TEST(OptimizerConfigTest, MethodNamesAreCaseInsensitiveWithAliases) {
  const std::pair<const char*, const char*> names[] = {
      {"", "DE"},
      {"de", "DE"},
      {"DE", "DE"},
      {"cmaes", "CMAES"},
      {"CMA", "CMAES"},
      {"cma-es", "CMAES"},
      {"Pso", "PSO"},
      {"ln_bobyqa", "LN_BOBYQA"},
      {"NLOPT_GN_CRS2_LM", "GN_CRS2_LM"},
      {" gn_isres ", "GN_ISRES"},
  };
  for (const auto& [given, canonical] : names) {
    auto method = ResolveMethod(given);
    ASSERT_TRUE(method.ok()) << given << ": " << method.status();
    EXPECT_EQ(method->canonical_name, canonical);
    OptimizerConfig config;
    config.method = given;
    auto optimizer = MakeOptimizer(config, test_problems::Box(2, 0, 1), 4);
    ASSERT_TRUE(optimizer.ok()) << optimizer.status();
    EXPECT_EQ((*optimizer)->method(), canonical);
  }
}

TEST(OptimizerConfigTest, EveryAcceptedMethodMakesAnOptimizer) {
  for (const std::string& method : AcceptedMethods()) {
    EXPECT_TRUE(Make(method, {}).ok()) << method;
  }
  EXPECT_EQ(AcceptedMethods().size(), 3u + 16u);
}

TEST(OptimizerConfigTest, UnknownMethodListsTheAcceptedOnes) {
  const absl::Status status = Make("simulated_annealing", {});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status),
              AllOf(HasSubstr("unknown optimizer method 'simulated_annealing'"),
                    HasSubstr("DE, CMAES, PSO"), HasSubstr("LN_BOBYQA"),
                    HasSubstr("GN_CRS2_LM"), HasSubstr("\"CMA\" is an alias")));
}

TEST(OptimizerConfigTest, NloptAlgorithmsThatCannotWorkAreExplained) {
  EXPECT_THAT(Message(Make("LD_LBFGS", {})),
              AllOf(HasSubstr("'LD_LBFGS' is an NLopt algorithm"),
                    HasSubstr("needs gradients")));
  EXPECT_THAT(Message(Make("GN_MLSL", {})),
              HasSubstr("multi-start method itself"));
  EXPECT_THAT(Message(Make("LN_AUGLAG", {})),
              HasSubstr("nonlinear constraints"));
  EXPECT_THAT(Message(Make("GN_AGS", {})), HasSubstr("not compiled"));
  EXPECT_THAT(Message(Make("GN_ORIG_DIRECT_L", {})),
              HasSubstr("use GN_DIRECT or GN_DIRECT_L"));
}

TEST(OptimizerConfigTest, UnknownOptionsListTheMethodsOptions) {
  EXPECT_THAT(Message(Make("DE", {{"mutation", 0.5}, {"f", 1}})),
              AllOf(HasSubstr("unknown options 'f', 'mutation' for optimizer "
                              "DE"),
                    HasSubstr("accepted options: CR, F, F1, F2, popsize")));
  EXPECT_THAT(Message(Make("CMA", {{"F", 0.5}})),
              HasSubstr("accepted options: sigma0, tolfun, tolx"));
  EXPECT_THAT(Message(Make("PSO", {{"sigma0", 0.5}})),
              HasSubstr("accepted options: cognitive, inertia, social, vmax"));
  EXPECT_THAT(Message(Make("LN_SBPLX", {{"sigma0", 0.5}})),
              HasSubstr("accepted options: ftol_abs, ftol_rel, initial_step, "
                        "maxeval, population, xtol_abs, xtol_rel"));
}

TEST(OptimizerConfigTest, OptionValuesAreRangeChecked) {
  EXPECT_THAT(Message(Make("DE", {{"CR", 1.5}})),
              HasSubstr("option 'CR' of optimizer DE is 1.5; expected a "
                        "finite number in [0, 1]"));
  EXPECT_THAT(Message(Make("DE", {{"F1", NAN}})), HasSubstr("option 'F1'"));
  EXPECT_THAT(Message(Make("DE", {{"popsize", 30.5}})),
              HasSubstr("expected an integer"));
  EXPECT_THAT(Message(Make("DE", {{"popsize", 5}}, 10)),
              HasSubstr("option 'popsize' of optimizer DE is 5; expected an "
                        "integer in [10, "));
  EXPECT_THAT(Message(Make("DE", {{"F", 0.5}, {"F2", 0.5}})),
              HasSubstr("conflict"));
  EXPECT_THAT(Message(Make("CMAES", {{"sigma0", 0}})),
              HasSubstr("expected a finite number in (0, 2]"));
  EXPECT_THAT(Message(Make("PSO", {{"inertia", -0.1}})),
              HasSubstr("option 'inertia'"));
  EXPECT_THAT(Message(Make("LN_BOBYQA", {{"maxeval", 0}})),
              HasSubstr("option 'maxeval'"));
  EXPECT_THAT(Message(Make("LN_BOBYQA", {{"population", 10}})),
              HasSubstr("only GN_CRS2_LM, GN_ISRES and GN_ESCH"));
  EXPECT_THAT(Message(Make("GN_CRS2_LM", {{"initial_step", 0.1}})),
              HasSubstr("only the local (LN_) methods"));
  EXPECT_TRUE(Make("GN_CRS2_LM", {{"population", 40}}).ok());
  EXPECT_TRUE(Make("DE", {{"F", 0.6}, {"CR", 0.9}, {"popsize", 40}}).ok());
}

TEST(OptimizerConfigTest, SampleCounts) {
  EXPECT_THAT(Message(Make("DE", {}, 0)),
              HasSubstr("n_samples is 0; expected 1 to"));
  EXPECT_THAT(Message(Make("CMAES", {}, 1)),
              HasSubstr("CMAES needs n_samples >= 2"));
  EXPECT_TRUE(Make("PSO", {}, 1).ok());
  EXPECT_TRUE(Make("LN_BOBYQA", {}, 1).ok());
  EXPECT_TRUE(Make("DE", {}, 1).ok());
}

}  // namespace
}  // namespace cellfit::optimize
