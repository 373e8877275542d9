// The checker on good models: every model of the corpus checks and lowers,
// and the resolved Model says what each name is, with its unit and type.
// (tests/model_brian2 compares the same models with Brian2.)
#include "model/checker.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/step_program.h"
#include "model/testdata/models.h"

namespace cellfit::model {
namespace {

using testdata::GoodModel;

class GoodModelCheckTest : public testing::TestWithParam<GoodModel> {};

TEST_P(GoodModelCheckTest, ChecksWithoutDiagnosticsAndLowers) {
  const CheckResult result = CheckModel(testdata::ToSpec(GetParam()));
  ASSERT_TRUE(result.model.has_value()) << result.diagnostics.ToStatus();
  EXPECT_TRUE(result.unresolved_names.empty());
  LoweringOptions options;
  for (const std::string& output : GetParam().outputs) {
    if (output != "spikes") options.record.push_back(output);
  }
  auto program = LowerModel(*result.model, options);
  EXPECT_TRUE(program.ok()) << program.status();
}

INSTANTIATE_TEST_SUITE_P(Corpus, GoodModelCheckTest,
                         testing::ValuesIn(testdata::GoodModels()),
                         [](const testing::TestParamInfo<GoodModel>& p) {
                           return p.param.name;
                         });

TEST(GoodModelCorpus, HasTheExamplesAndADozenBrian2Models) {
  int brian2modelfitting = 0, brian2 = 0;
  for (const GoodModel& m : testdata::GoodModels()) {
    brian2modelfitting += m.name.rfind("bmf_", 0) == 0;
    brian2 += m.name.rfind("brian2_", 0) == 0;
  }
  EXPECT_GE(brian2modelfitting, 15);
  EXPECT_GE(brian2, 12);
}

const Dimension kVolt = Dimension::Of(2, 1, -3, -1);
const Dimension kAmp = Dimension::Of(0, 0, 0, 1);

TEST(CheckerTest, ResolvesEveryKindOfName) {
  ModelSpec spec;
  spec.equations =
      "dv/dt = (El - v + R*I + coupling*(v_target - v))/tau + "
      "sigma*xi/sqrt(tau) : volt (unless refractory)\n"
      "I_leak = (El - v)/R : amp\n"
      "spiking = v > -50*mV : boolean\n"
      "tau : second (constant)\n"
      "coupling : 1\n";
  spec.threshold = "v > Vt + 0*iteration*mV + 0*i*mV";
  spec.reset = "v = El";
  spec.refractory = "(t - lastspike) < 2*ms and not not_refractory";
  spec.namespace_entries = {{"El", "-70*mV", std::nullopt},
                            {"Vt", "-50*mV", std::nullopt},
                            {"R", "100*Mohm", std::nullopt},
                            {"sigma", "1*mV", std::nullopt},
                            {"unused", "1", std::nullopt}};
  spec.inputs = {{"I", kAmp}};
  spec.outputs = {"v", "spikes"};
  const CheckResult result = CheckModel(spec);
  ASSERT_TRUE(result.model.has_value()) << result.diagnostics.ToStatus();
  const Model& m = *result.model;
  auto kind = [&](const char* name) { return m.symbol(m.Find(name)).kind; };
  EXPECT_EQ(kind("v"), SymbolKind::kState);
  EXPECT_EQ(kind("I_leak"), SymbolKind::kSubexpression);
  EXPECT_EQ(kind("tau"), SymbolKind::kParameter);
  EXPECT_EQ(kind("coupling"), SymbolKind::kParameter);
  EXPECT_EQ(kind("I"), SymbolKind::kInput);
  EXPECT_EQ(kind("v_target"), SymbolKind::kTarget);
  EXPECT_EQ(kind("t"), SymbolKind::kTime);
  EXPECT_EQ(kind("xi"), SymbolKind::kNoise);
  EXPECT_EQ(kind("lastspike"), SymbolKind::kLastspike);
  EXPECT_EQ(m.symbol(m.Find("xi")).dimension,
            Dimension::Base(BaseDimension::kTime, Rational(-1, 2)));
  EXPECT_EQ(m.symbol(m.Find("v_target")).dimension, kVolt);
  EXPECT_EQ(m.symbol(m.Find("spiking")).type, ValueType::kBoolean);
  EXPECT_EQ(m.refractory_kind, RefractoryKind::kCondition);
  EXPECT_TRUE(m.equations[0].unless_refractory);
  EXPECT_EQ(m.parameters.size(), 2u);
  EXPECT_EQ(result.namespace_names_used,
            (std::vector<std::string>{"El", "R", "Vt", "sigma"}));
}

// Each link is a level of recursion in the checker; a long chain crashed
// the server (a stack overflow) before it was bounded.
TEST(CheckerTest, ALongChainOfNamespaceConstantsIsRefusedNotACrash) {
  auto chain = [](int links) {
    ModelSpec spec;
    spec.equations = "dv/dt = (El - v)/(10*ms) : volt\n";
    spec.namespace_entries.push_back({"c0", "-65*mV", std::nullopt});
    for (int k = 1; k < links; ++k) {
      spec.namespace_entries.push_back(
          {absl::StrCat("c", k), absl::StrCat("c", k - 1, "*1"), std::nullopt});
    }
    spec.namespace_entries.push_back(
        {"El", absl::StrCat("c", links - 1), std::nullopt});
    spec.outputs = {"v"};
    return CheckModel(spec);
  };
  EXPECT_TRUE(chain(50).model.has_value());
  const CheckResult deep = chain(100000);
  ASSERT_FALSE(deep.model.has_value());
  EXPECT_NE(deep.diagnostics.ToStatus().message().find(
                "chain of more than 100 other namespace constants"),
            std::string::npos)
      << deep.diagnostics.ToStatus();
}

TEST(CheckerTest, ReportsNamesItCannotResolveForTheClient) {
  ModelSpec spec;
  spec.equations = "dv/dt = (El - v)/tau : volt";
  const CheckResult result = CheckModel(spec);
  EXPECT_FALSE(result.model.has_value());
  EXPECT_EQ(result.unresolved_names, (std::vector<std::string>{"El", "tau"}));
}

// Equations that do not parse define nothing: the syntax error is reported,
// not also "the output 'v' is not a state variable", which would send the
// user after a second problem that is not there.
TEST(CheckerTest, ASyntaxErrorIsNotFollowedByAMissingOutput) {
  ModelSpec spec;
  spec.equations = "dv/dt = -v/(10*ms : volt";
  spec.outputs = {"v"};
  const CheckResult result = CheckModel(spec);
  EXPECT_FALSE(result.model.has_value());
  ASSERT_EQ(result.diagnostics.items().size(), 1u);
  EXPECT_EQ(result.diagnostics.items()[0].field, "model");
  EXPECT_NE(result.diagnostics.items()[0].message.find("expected ')'"),
            std::string::npos);
}

TEST(CheckerTest, ResetStatementsBecomeAssignments) {
  ModelSpec spec;
  spec.equations =
      "dv/dt = -v/(10*ms) : volt\ndw/dt = -w/(10*ms) : amp\nb : amp";
  spec.threshold = "v > 1*mV";
  spec.reset = "v = 0*mV; w += b\nv *= 2; w /= 4; w -= 1*nA";
  const CheckResult result = CheckModel(spec);
  ASSERT_TRUE(result.model.has_value()) << result.diagnostics.ToStatus();
  const Model& m = *result.model;
  ASSERT_EQ(m.reset.size(), 5u);
  std::vector<std::string> text;
  for (const ResetStatement& st : m.reset) {
    text.push_back(m.NameOf(st.target) + " = " + m.Render(st.value));
  }
  EXPECT_EQ(text, (std::vector<std::string>{"v = 0", "w = (w + b)", "v = (v*2)",
                                            "w = (w/4)", "w = (w - 1e-09)"}));
}

TEST(CheckerTest, RefractoryPeriodMayBeADurationOrAnExpression) {
  ModelSpec spec;
  spec.equations = "dv/dt = -v/(10*ms) : volt\ntau_ref : second";
  spec.threshold = "v > 1*mV";
  spec.refractory = "tau_ref + 1*ms";
  CheckResult result = CheckModel(spec);
  ASSERT_TRUE(result.model.has_value()) << result.diagnostics.ToStatus();
  EXPECT_EQ(result.model->refractory_kind, RefractoryKind::kDuration);
  spec.refractory = "v > 0.5*mV";
  result = CheckModel(spec);
  ASSERT_TRUE(result.model.has_value()) << result.diagnostics.ToStatus();
  EXPECT_EQ(result.model->refractory_kind, RefractoryKind::kCondition);
}

TEST(CheckerTest, InitialValuesMayReadStatesSetBeforeAndSubexpressions) {
  ModelSpec spec;
  spec.equations =
      "dv/dt = -v/(10*ms) : volt\ndm/dt = (m_inf - m)/ms : 1\n"
      "m_inf = 1/(1 + exp(-v/(5*mV))) : 1\ng : siemens";
  spec.param_init = {{"v", "-10*mV + g*ohm*mV"}, {"m", "m_inf"}};
  const CheckResult result = CheckModel(spec);
  ASSERT_TRUE(result.model.has_value()) << result.diagnostics.ToStatus();
  const Model& m = *result.model;
  ASSERT_EQ(m.initial_values.size(), 2u);
  const int g = m.Find("g"), v = m.Find("v");
  const double v0 = Evaluate(m.Inline(m.initial_values[0].second),
                             [&](int s) { return s == g ? 2.0 : 0.0; });
  EXPECT_DOUBLE_EQ(v0, -8e-3);
  const double m0 = Evaluate(m.Inline(m.initial_values[1].second),
                             [&](int s) { return s == v ? v0 : 0.0; });
  EXPECT_DOUBLE_EQ(m0, 1 / (1 + std::exp(8e-3 / 5e-3)));
}

TEST(CheckerTest, IntegerAndBooleanTypesFollowBrian2) {
  ModelSpec spec;
  spec.equations =
      "dv/dt = -v/(10*ms) : volt\n"
      "n = int(v/mV) + 2 : integer\n"
      "k = 3 // 2 : integer\n"
      "above = v > 0*mV or not (v < -1*mV) : boolean\n"
      "x = n * 0.5 : 1\n";
  const CheckResult result = CheckModel(spec);
  ASSERT_TRUE(result.model.has_value()) << result.diagnostics.ToStatus();
  EXPECT_EQ(result.model->symbol(result.model->Find("n")).type,
            ValueType::kInteger);
  EXPECT_EQ(result.model->symbol(result.model->Find("above")).type,
            ValueType::kBoolean);
}

TEST(CheckerTest, DiagnosticsAreDeterministic) {
  ModelSpec spec;
  spec.equations = "dv/dt = (a + b + c)/ms : 1\nx = v + 1*mV : 1\n";
  spec.threshold = "v + 1";
  const std::string first = CheckModel(spec).diagnostics.ToStatus().ToString();
  for (int k = 0; k < 5; ++k) {
    EXPECT_EQ(CheckModel(spec).diagnostics.ToStatus().ToString(), first);
  }
}

}  // namespace
}  // namespace cellfit::model
