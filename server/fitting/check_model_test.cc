// CheckModel with fit settings: everything that would stop CreateFitter or
// the first Fit comes back as diagnostics, each under the field of the
// setting it concerns, so that a client can point at it in its own input.
#include <filesystem>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/fitting/fit_settings.h"
#include "server/fitting/fitter_manager.h"
#include "worker/jobs/hh_example_for_tests.h"

namespace cellfit::fitting {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class CheckModelTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat(
               "cellfit_check_model_test_", getpid(), "_",
               testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto db = storage::Database::Open((dir_ / "cellfit.db").string());
    ASSERT_TRUE(db.ok()) << db.status();
    database_ = std::move(*db);
    manager_ = std::make_unique<FitterManager>(database_.get(), &dispatcher_);
  }
  void TearDown() override {
    manager_.reset();
    database_.reset();
    fs::remove_all(dir_);
  }

  static v1::Bounds* BoundsOf(v1::FitRequest& fit, const std::string& name) {
    for (v1::Bounds& bounds : *fit.mutable_bounds()) {
      if (bounds.parameter() == name) return &bounds;
    }
    return nullptr;
  }

  v1::CheckModelResponse Check(const v1::FitterSpec& spec,
                               const v1::FitRequest* fit) {
    v1::CheckModelRequest request;
    *request.mutable_spec() = spec;
    if (fit != nullptr) *request.mutable_fit() = *fit;
    auto response = manager_->CheckModel(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : v1::CheckModelResponse();
  }

  static std::vector<std::string> Fields(
      const v1::CheckModelResponse& response) {
    std::vector<std::string> fields;
    for (const v1::Diagnostic& d : response.diagnostics()) {
      fields.push_back(d.position().field());
    }
    return fields;
  }

  static std::string Messages(const v1::CheckModelResponse& response) {
    std::string out;
    for (const v1::Diagnostic& d : response.diagnostics()) {
      absl::StrAppend(&out, d.position().field(), ": ", d.message(), "\n");
    }
    return out;
  }

  fs::path dir_;
  dispatch::Dispatcher dispatcher_;
  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<FitterManager> manager_;
};

TEST_F(CheckModelTest, TheExampleJobIsFine) {
  const v1::FitRequest fit = jobs::HhExampleFit();
  const v1::CheckModelResponse response = Check(jobs::HhExampleSpec(), &fit);
  EXPECT_TRUE(response.ok()) << Messages(response);
  EXPECT_THAT(Fields(response), IsEmpty());
}

TEST_F(CheckModelTest, EveryProblemOfTheFitSettingsComesBackAtItsField) {
  v1::FitRequest fit = jobs::HhExampleFit();
  BoundsOf(fit, "gl")->mutable_lower()->set_text("1*mV");
  BoundsOf(fit, "gl")->mutable_upper()->set_text("100*mV");
  BoundsOf(fit, "g_na")->mutable_lower()->set_text("2e-4*siemens");
  BoundsOf(fit, "g_na")->mutable_upper()->set_text("2e-6*siemens");
  BoundsOf(fit, "g_kd")->mutable_lower()->set_text("0*siemens");
  BoundsOf(fit, "g_kd")->set_log_scale(true);
  BoundsOf(fit, "Cm")->mutable_upper()->set_text("2*uF*cm**-2");
  v1::Bounds* unknown = fit.add_bounds();
  unknown->set_parameter("gx");
  unknown->mutable_lower()->set_text("1*nS");
  unknown->mutable_upper()->set_text("2*nS");
  fit.mutable_optimizer()->set_method("DEX");
  fit.mutable_metrics(0)->mutable_mse()->mutable_t_start()->set_text("5*mV");
  const v1::CheckModelResponse response = Check(jobs::HhExampleSpec(), &fit);
  EXPECT_FALSE(response.ok());
  EXPECT_THAT(Fields(response),
              UnorderedElementsAre("optimizer.method", "bounds.gx", "bounds.gl",
                                   "bounds.g_na", "bounds.g_kd",
                                   "bounds.Cm.upper", "metric.v.t_start"))
      << Messages(response);
  const std::string messages = Messages(response);
  EXPECT_THAT(messages, HasSubstr("unknown optimizer method 'DEX'"));
  EXPECT_THAT(messages,
              HasSubstr("the bounds of 'gl' have unit V, but 'gl' has unit S"));
  EXPECT_THAT(messages, HasSubstr("must be below the upper bound"));
  EXPECT_THAT(messages, HasSubstr("log scale"));
  EXPECT_THAT(messages, HasSubstr("'gx', which is not a parameter"));
  EXPECT_THAT(messages, HasSubstr("must be a time"));
  // The model itself is fine: its description still comes back.
  EXPECT_THAT(response.fitted_parameters(),
              UnorderedElementsAre("gl", "g_na", "g_kd", "Cm"));
}

TEST_F(CheckModelTest, WithFitSettingsTheWholeSpecIsChecked) {
  v1::FitterSpec spec = jobs::HhExampleSpec();
  spec.mutable_dt()->set_text("0.01*mV");
  const v1::FitRequest fit = jobs::HhExampleFit();
  v1::CheckModelResponse response = Check(spec, &fit);
  EXPECT_FALSE(response.ok());
  EXPECT_THAT(Fields(response), UnorderedElementsAre("dt"))
      << Messages(response);
  EXPECT_THAT(Messages(response), HasSubstr("dt must be a time"));
  // The model alone (no fit settings): dt is no question of the model's.
  response = Check(spec, nullptr);
  EXPECT_TRUE(response.ok()) << Messages(response);
}

TEST_F(CheckModelTest, BoundsWithTheParametersDimensionAreSiValues) {
  v1::FitRequest fit = jobs::HhExampleFit();
  v1::Bounds* gl = BoundsOf(fit, "gl");
  gl->mutable_lower()->Clear();
  gl->mutable_lower()->set_value(1e-9);
  gl->mutable_lower()->mutable_dimension()->set_metre(-2);
  gl->mutable_lower()->mutable_dimension()->set_kilogram(-1);
  gl->mutable_lower()->mutable_dimension()->set_second(3);
  gl->mutable_lower()->mutable_dimension()->set_ampere(2);
  *gl->mutable_upper() = gl->lower();
  gl->mutable_upper()->set_value(1e-7);
  v1::CheckModelResponse response = Check(jobs::HhExampleSpec(), &fit);
  EXPECT_TRUE(response.ok()) << Messages(response);
  // A bare number is dimensionless: the message says how to fix it.
  gl->mutable_lower()->clear_dimension();
  gl->mutable_upper()->clear_dimension();
  response = Check(jobs::HhExampleSpec(), &fit);
  EXPECT_THAT(Fields(response), UnorderedElementsAre("bounds.gl"));
  EXPECT_THAT(Messages(response), HasSubstr("give the bound with its unit"));
}

TEST_F(CheckModelTest, AnInputTheModelDoesNotNameIsFlagged) {
  v1::FitterSpec spec = jobs::HhExampleSpec();
  spec.mutable_inputs(0)->set_variable("Ix");
  const v1::CheckModelResponse response = Check(spec, nullptr);
  EXPECT_FALSE(response.ok());
  EXPECT_THAT(Fields(response), ::testing::Contains("inputs.Ix"))
      << Messages(response);
  EXPECT_THAT(Messages(response), HasSubstr("no variable 'Ix'"));
  EXPECT_THAT(Messages(response), HasSubstr("undefined in the model: I"));
}

// A model that never names an input would ignore its traces without a
// word: CreateFitter refuses it as CheckModel does (and brian2modelfitting).
TEST_F(CheckModelTest, CreateFitterRefusesAnInputTheModelDoesNotName) {
  v1::FitterSpec spec = jobs::HhExampleSpec();
  *spec.add_inputs() = spec.inputs(0);
  spec.mutable_inputs(1)->set_variable("I_extra");
  v1::CreateFitterRequest create;
  *create.mutable_spec() = spec;
  auto created = manager_->CreateFitter("alice", create);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(created.status().message()),
              HasSubstr("no variable 'I_extra'"));
}

TEST_F(CheckModelTest, OptimizerOptionsAreCheckedByName) {
  v1::FitRequest fit = jobs::HhExampleFit();
  (*fit.mutable_optimizer()->mutable_options())["F"] = 7;
  (*fit.mutable_optimizer()->mutable_options())["Q"] = 1;
  const v1::CheckModelResponse response = Check(jobs::HhExampleSpec(), &fit);
  EXPECT_FALSE(response.ok());
  EXPECT_EQ(response.diagnostics_size(), 1) << Messages(response);
  EXPECT_THAT(Messages(response), HasSubstr("'Q'"));
}

// MakeFitSettings' other callers (Fit) get every problem in one status,
// one per line, each naming its field.
TEST_F(CheckModelTest, MakeFitSettingsReportsEveryProblemInItsStatus) {
  auto model = LoadFitterModel(jobs::HhExampleSpec());
  ASSERT_TRUE(model.ok()) << model.status();
  v1::FitRequest fit = jobs::HhExampleFit();
  fit.mutable_optimizer()->set_method("DEX");
  BoundsOf(fit, "gl")->mutable_lower()->set_text("1*mV");
  BoundsOf(fit, "gl")->mutable_upper()->set_text("100*mV");
  auto settings = MakeFitSettings(*model, fit, 1);
  ASSERT_FALSE(settings.ok());
  EXPECT_EQ(settings.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(settings.status().message(),
              HasSubstr("optimizer.method: error: unknown optimizer method"));
  EXPECT_THAT(settings.status().message(),
              HasSubstr("bounds.gl: error: the bounds of 'gl' have unit V"));
}

}  // namespace
}  // namespace cellfit::fitting
