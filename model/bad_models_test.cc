// The corpus of bad models (model/testdata/bad_models.cc): every one is
// rejected with a diagnostic at the expected field and position whose
// message contains the expected phrase.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "model/checker.h"
#include "model/testdata/models.h"

namespace cellfit::model {
namespace {

using testdata::BadModel;

std::string Describe(const Diagnostics& diagnostics) {
  return absl::StrJoin(
      diagnostics.items(), "\n", [](std::string* out, const Diagnostic& d) {
        absl::StrAppend(out, "  ", d.field, ":", d.location.line, ":",
                        d.location.column, ": ", d.message);
      });
}

class BadModelTest : public testing::TestWithParam<BadModel> {};

TEST_P(BadModelTest, RejectedWithMessageAtPosition) {
  const BadModel& bad = GetParam();
  const CheckResult result = CheckModel(bad.spec);
  EXPECT_FALSE(result.model.has_value());
  ASSERT_FALSE(result.diagnostics.empty());
  bool found = false;
  for (const Diagnostic& d : result.diagnostics.items()) {
    if (d.field == bad.field && d.location.line == bad.line &&
        d.location.column == bad.column &&
        d.message.find(bad.message) != std::string::npos) {
      found = true;
    }
  }
  EXPECT_TRUE(found) << "expected " << bad.field << ":" << bad.line << ":"
                     << bad.column << ": ..." << bad.message << "...\n"
                     << "got:\n"
                     << Describe(result.diagnostics);
  // A few problems, not one per character of hostile input.
  EXPECT_LE(result.diagnostics.size(), 50u) << Describe(result.diagnostics);
  EXPECT_FALSE(result.diagnostics.ToStatus().ok());
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, BadModelTest, testing::ValuesIn(testdata::BadModels()),
    [](const testing::TestParamInfo<BadModel>& param_info) {
      return param_info.param.name;
    });

TEST(BadModelCorpus, HasAtLeastSixtyModels) {
  EXPECT_GE(testdata::BadModels().size(), 60u);
}

}  // namespace
}  // namespace cellfit::model
