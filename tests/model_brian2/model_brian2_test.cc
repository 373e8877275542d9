// cellfit's model checker against Brian2 itself (python3-brian, run by the
// test through brian2_view.py): for every good model of the corpus, the
// variables with their kind, type and dimension, the automatically chosen
// integration method and the initial values after param_init; for bad models
// that Brian2 rejects too, a phrase both messages share; and every unit name
// with its scale (bit for bit) and dimension.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "model/checker.h"
#include "model/methods.h"
#include "model/testdata/models.h"
#include "model/units.h"
#include "nlohmann/json.hpp"

namespace cellfit::model {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using testdata::BadModel;
using testdata::GoodModel;

fs::path SourceDir() {
  const char* dir = std::getenv("CELLFIT_SOURCE_DIR");
  return dir ? fs::path(dir) : fs::path(CELLFIT_SOURCE_DIR_DEFAULT);
}

fs::path ScratchDir() {
  const fs::path dir = fs::temp_directory_path() /
                       absl::StrCat("cellfit_model_brian2_", getpid());
  fs::create_directories(dir);
  return dir;
}

// Runs brian2_view.py in `mode` on `input` (written to a file when not null)
// and returns the JSON it writes; the test fails when the script does.
json RunBrian2(const std::string& mode, const json* input) {
  const fs::path dir = ScratchDir();
  const fs::path in = dir / (mode + ".in.json");
  const fs::path out = dir / (mode + ".out.json");
  const fs::path log = dir / (mode + ".log");
  const fs::path script =
      SourceDir() / "tests" / "model_brian2" / "brian2_view.py";
  std::string command =
      absl::StrCat("/usr/bin/python3 '", script.string(), "' ", mode, " ");
  if (input != nullptr) {
    std::ofstream(in) << input->dump();
    absl::StrAppend(&command, "'", in.string(), "' ");
  }
  absl::StrAppend(&command, "'", out.string(), "' 2> '", log.string(), "'");
  if (std::system(command.c_str()) != 0) {
    std::ifstream log_file(log);
    const std::string text((std::istreambuf_iterator<char>(log_file)), {});
    ADD_FAILURE() << "brian2_view.py " << mode << " failed:\n" << text;
    return json::object();
  }
  std::ifstream out_file(out);
  return json::parse(out_file);
}

json SpecToJson(const ModelSpec& spec) {
  json j;
  j["equations"] = spec.equations;
  j["threshold"] = spec.threshold;
  j["reset"] = spec.reset;
  j["refractory"] = spec.refractory;
  j["method"] = spec.method;
  j["namespace"] = json::array();
  for (const NamespaceEntry& entry : spec.namespace_entries) {
    j["namespace"].push_back({entry.name, entry.text});
  }
  j["inputs"] = json::array();
  for (const InputSpec& input : spec.inputs) {
    j["inputs"].push_back({input.name, input.dimension.ToUnitExpression()});
  }
  j["outputs"] = spec.outputs;
  j["param_init"] = json::array();
  for (const auto& [name, text] : spec.param_init) {
    j["param_init"].push_back({name, text});
  }
  return j;
}

Dimension DimensionFromJson(const json& exponents) {
  Dimension d;
  for (int k = 0; k < kNumBaseDimensions; ++k) {
    const double e = exponents.at(k).get<double>();
    auto rational = Rational::FromDouble(e);
    EXPECT_TRUE(rational.has_value()) << "exponent " << e;
    d = d * Dimension::Base(static_cast<BaseDimension>(k),
                            rational.value_or(Rational(0)));
  }
  return d;
}

// A number brian2_view.py wrote: a JSON number, or "nan"/"inf"/"-inf".
double Number(const json& value) {
  if (value.is_string()) {
    return std::strtod(value.get<std::string>().c_str(), nullptr);
  }
  return value.get<double>();
}

std::string KindName(SymbolKind kind) {
  switch (kind) {
    case SymbolKind::kState:
      return "differential equation";
    case SymbolKind::kSubexpression:
      return "subexpression";
    case SymbolKind::kParameter:
      return "parameter";
    default:
      return "other";
  }
}

std::string TypeName(ValueType type) {
  switch (type) {
    case ValueType::kFloat:
      return "float";
    case ValueType::kBoolean:
      return "boolean";
    case ValueType::kInteger:
      return "integer";
  }
  return "?";
}

// Brian2's view of every good model, computed once.
const json& Brian2Models() {
  static const json* view = [] {
    json input = json::object();
    for (const GoodModel& m : testdata::GoodModels()) {
      json j = SpecToJson(testdata::ToSpec(m));
      j["params"] = json::array();
      for (const auto& [name, text] : m.params) {
        j["params"].push_back({name, text});
      }
      input[m.name] = j;
    }
    return new json(RunBrian2("models", &input));
  }();
  return *view;
}

class GoodModelTest : public testing::TestWithParam<GoodModel> {
 protected:
  // cellfit's model; fails the test when it does not check.
  std::optional<Model> Check() {
    const CheckResult result = CheckModel(testdata::ToSpec(GetParam()));
    for (const Diagnostic& d : result.diagnostics.items()) {
      ADD_FAILURE() << d.ToString();
    }
    return result.model;
  }
  // Brian2's view of the model; fails the test when Brian2 rejected it.
  const json& Brian2() {
    const json& all = Brian2Models();
    if (!all.contains(GetParam().name)) {
      static const json empty = json::object();
      ADD_FAILURE() << "no Brian2 result";
      return empty;
    }
    const json& view = all.at(GetParam().name);
    EXPECT_TRUE(view.at("error").is_null()) << "Brian2 rejects the model:\n"
                                            << view.at("error").dump();
    return view;
  }
};

TEST_P(GoodModelTest, VariablesKindsTypesAndUnitsMatchBrian2) {
  auto model = Check();
  ASSERT_TRUE(model.has_value());
  const json& view = Brian2();
  ASSERT_TRUE(view.contains("variables"));
  std::set<std::string> brian2_names;
  for (const json& variable : view.at("variables")) {
    const std::string name = variable.at("name");
    brian2_names.insert(name);
    const int symbol = model->Find(name);
    ASSERT_GE(symbol, 0) << "cellfit does not define '" << name << "'";
    const Symbol& s = model->symbol(symbol);
    EXPECT_EQ(KindName(s.kind), variable.at("type").get<std::string>()) << name;
    EXPECT_EQ(TypeName(s.type), variable.at("var_type").get<std::string>())
        << name;
    EXPECT_EQ(s.dimension, DimensionFromJson(variable.at("dims")))
        << name << ": cellfit " << s.dimension.ToString() << ", Brian2 "
        << variable.at("dims").dump();
  }
  for (const Symbol& s : model->symbols) {
    if (s.kind == SymbolKind::kState || s.kind == SymbolKind::kSubexpression ||
        s.kind == SymbolKind::kParameter) {
      EXPECT_TRUE(brian2_names.contains(s.name))
          << "cellfit defines '" << s.name << "', Brian2 does not";
    }
  }
}

TEST_P(GoodModelTest, IntegrationMethodMatchesBrian2) {
  auto model = Check();
  ASSERT_TRUE(model.has_value());
  const json& view = Brian2();
  if (model->equations.empty()) {
    EXPECT_TRUE(view.at("method").is_null()) << "Brian2 integrates nothing";
    return;
  }
  ASSERT_TRUE(view.at("method").is_string());
  const std::string brian2_method = view.at("method");
  const GoodModel& good = GetParam();
  if (!good.method.empty()) {
    // Both accept the requested method.
    EXPECT_EQ(model->method, good.method == "linear" ? "exact" : good.method);
    EXPECT_EQ(brian2_method, good.method);
    return;
  }
  EXPECT_EQ(model->method, brian2_method);
}

TEST_P(GoodModelTest, InitialValuesMatchBrian2) {
  auto model = Check();
  ASSERT_TRUE(model.has_value());
  const json& view = Brian2();
  // The values Brian2's group holds before the first step: parameters as
  // given, states 0, then param_init applied in order.
  std::map<int, double> values;
  for (const auto& [name, text] : GetParam().params) {
    auto q = ParseQuantity(text, name,
                           testdata::ToSpec(GetParam()).namespace_entries);
    ASSERT_TRUE(q.ok()) << q.status();
    values[model->Find(name)] = q->value;
  }
  auto value_of = [&](int symbol) {
    if (symbol == model->time) return 0.0;
    if (symbol == model->index) return 0.0;
    if (symbol == model->dt) return 1e-4;
    auto it = values.find(symbol);
    return it == values.end() ? 0.0 : it->second;
  };
  for (const auto& [symbol, value] : model->initial_values) {
    values[symbol] = Evaluate(model->Inline(value), value_of);
  }
  for (const auto& [name, brian2_value] : view.at("initial").items()) {
    const int symbol = model->Find(name);
    ASSERT_GE(symbol, 0) << name;
    const double expected = Number(brian2_value);
    const double actual = value_of(symbol);
    ASSERT_TRUE(std::isfinite(expected)) << name;
    EXPECT_NEAR(actual, expected, 1e-12 * std::max(1.0, std::fabs(expected)))
        << name;
  }
}

// One time step of cellfit's state update (model.method), evaluated
// symbolically from Brian2's initial values with the inputs at 0, against
// the state Brian2 reaches in that step. Deterministic models only; a step
// that spiked (and was reset) is not compared.
TEST_P(GoodModelTest, OneStepOfTheIntegrationMethodMatchesBrian2) {
  auto checked = Check();
  ASSERT_TRUE(checked.has_value());
  Model model = *checked;
  const json& view = Brian2();
  if (!model.noises.empty() || view.at("spiked").get<bool>() ||
      model.equations.empty()) {
    GTEST_SKIP() << "stochastic, spiking in the first step or no equations";
  }
  for (const auto& eq : model.equations) {
    if (HasRandomCall(eq.rhs)) GTEST_SKIP() << "uses rand()";
  }
  const double dt = view.at("dt").get<double>();
  std::map<int, double> values;
  for (const auto& [name, text] : GetParam().params) {
    auto q = ParseQuantity(text, name,
                           testdata::ToSpec(GetParam()).namespace_entries);
    ASSERT_TRUE(q.ok()) << q.status();
    values[model.Find(name)] = q->value;
  }
  for (const auto& [name, value] : view.at("initial").items()) {
    values[model.Find(name)] = Number(value);
  }
  auto update = BuildStateUpdate(model);
  ASSERT_TRUE(update.ok()) << update.status();
  auto value_of = [&](int symbol) {
    if (symbol == model.dt) return dt;
    if (symbol == model.not_refractory) return 1.0;
    if (symbol == model.lastspike) return -1e4;
    auto it = values.find(symbol);
    return it == values.end() ? 0.0 : it->second;  // t, i, inputs: 0
  };
  for (size_t k = 0; k < model.equations.size(); ++k) {
    const std::string name = model.NameOf(model.equations[k].state);
    const double before = value_of(model.equations[k].state);
    const double actual =
        Evaluate(model.Inline(update->new_values[k]), value_of);
    const double expected = Number(view.at("after_step").at(name));
    ASSERT_TRUE(std::isfinite(expected)) << name;
    const double scale =
        std::max({std::fabs(expected), std::fabs(before), 1e-300});
    EXPECT_NEAR(actual, expected, 1e-11 * scale)
        << name << " with " << model.method << ": from " << before;
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, GoodModelTest,
                         testing::ValuesIn(testdata::GoodModels()),
                         [](const testing::TestParamInfo<GoodModel>& p) {
                           return p.param.name;
                         });

// ---- bad models Brian2 rejects too ----

std::vector<BadModel> BadModelsBrian2Rejects() {
  std::vector<BadModel> models;
  for (const BadModel& m : testdata::BadModels()) {
    if (!m.brian2_phrase.empty()) models.push_back(m);
  }
  return models;
}

const json& Brian2Errors() {
  static const json* view = [] {
    json input = json::object();
    for (const BadModel& m : BadModelsBrian2Rejects()) {
      input[m.name] = SpecToJson(m.spec);
    }
    return new json(RunBrian2("errors", &input));
  }();
  return *view;
}

class BadModelBrian2Test : public testing::TestWithParam<BadModel> {};

TEST_P(BadModelBrian2Test, BothRejectWithTheSamePhrase) {
  const BadModel& bad = GetParam();
  const CheckResult result = CheckModel(bad.spec);
  bool cellfit_has_phrase = false;
  for (const Diagnostic& d : result.diagnostics.items()) {
    cellfit_has_phrase = cellfit_has_phrase ||
                         d.message.find(bad.brian2_phrase) != std::string::npos;
  }
  EXPECT_TRUE(cellfit_has_phrase)
      << "cellfit: " << result.diagnostics.ToStatus();
  const json& errors = Brian2Errors();
  ASSERT_TRUE(errors.contains(bad.name));
  ASSERT_TRUE(errors.at(bad.name).is_string()) << "Brian2 accepts the model";
  const std::string brian2 = errors.at(bad.name);
  EXPECT_NE(brian2.find(bad.brian2_phrase), std::string::npos)
      << "Brian2: " << brian2;
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadModelBrian2Test,
                         testing::ValuesIn(BadModelsBrian2Rejects()),
                         [](const testing::TestParamInfo<BadModel>& p) {
                           return p.param.name;
                         });

// ---- units ----

const json& Brian2Units() {
  static const json* units = new json(RunBrian2("units", nullptr));
  return *units;
}

double FromHex(const std::string& hex) {
  return std::strtod(hex.c_str(), nullptr);
}

TEST(Brian2Units, EveryBrian2UnitIsKnownWithTheSameScaleAndDimension) {
  const json& units = Brian2Units();
  ASSERT_GT(units.size(), 2000u);
  std::vector<std::string> missing;
  for (const auto& [name, unit] : units.items()) {
    auto info = LookupUnit(name);
    if (!info) {
      missing.push_back(name);
      continue;
    }
    const double scale = FromHex(unit.at("scale"));
    // Bit for bit: the same double Brian2's float(unit) gives.
    EXPECT_EQ(info->scale, scale)
        << name << ": cellfit " << absl::StrCat(info->scale) << ", Brian2 "
        << unit.at("scale").get<std::string>();
    EXPECT_EQ(info->dimension, DimensionFromJson(unit.at("dims"))) << name;
  }
  EXPECT_TRUE(missing.empty())
      << "units cellfit does not know: " << absl::StrJoin(missing, " ");
}

TEST(Brian2Units, EveryUnitCellfitKnowsIsABrian2Unit) {
  const json& units = Brian2Units();
  ASSERT_FALSE(units.empty());
  // Every name cellfit could plausibly define: each prefix on each unit
  // name, with and without a power suffix, and Brian2's short forms.
  const std::vector<std::string> prefixes = {
      "",   "y", "z", "a", "f", "p", "n", "u", "m", "c", "d",
      "da", "h", "k", "M", "G", "T", "P", "E", "Z", "Y"};
  const std::vector<std::string> bases = {
      "metre",  "meter",     "gram",   "gramme",    "kilogram", "kilogramme",
      "second", "amp",       "ampere", "kelvin",    "mole",     "mol",
      "candle", "candela",   "radian", "steradian", "hertz",    "newton",
      "pascal", "joule",     "watt",   "coulomb",   "volt",     "farad",
      "ohm",    "siemens",   "weber",  "tesla",     "henry",    "lumen",
      "lux",    "becquerel", "gray",   "sievert",   "katal",    "molar",
      "liter",  "litre",     "V",      "A",         "S",        "F",
      "s",      "m",         "M",      "Hz",        "g",        "l",
      "L",      "mol",       "K",      "C",         "J",        "W",
      "N",      "Pa",        "ohm"};
  std::vector<std::string> invented;
  for (const std::string& prefix : prefixes) {
    for (const std::string& base : bases) {
      for (const std::string suffix : {"", "2", "3"}) {
        const std::string name = prefix + base + suffix;
        if (LookupUnit(name) && !units.contains(name)) invented.push_back(name);
      }
    }
  }
  EXPECT_TRUE(invented.empty())
      << "units Brian2 does not define: " << absl::StrJoin(invented, " ");
}

}  // namespace
}  // namespace cellfit::model
