// Helpers for storage's tests only: a temporary directory, status assertions,
// and builders for fitters and rounds.
#ifndef CELLFIT_STORAGE_TEST_SUPPORT_H_
#define CELLFIT_STORAGE_TEST_SUPPORT_H_

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "storage/records.h"

namespace cellfit::storage::testing {

// A fresh directory under the test temp dir, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::path(::testing::TempDir()) / "cellfit-storage-XXXXXX")
            .string();
    char* made = mkdtemp(pattern.data());
    if (made == nullptr) {
      ADD_FAILURE() << "mkdtemp(" << pattern << ") failed";
    }
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const {
    return (std::filesystem::path(path_) / name).string();
  }

 private:
  std::string path_;
};

inline ::testing::AssertionResult IsOk(const absl::Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status;
}

template <typename T>
::testing::AssertionResult IsOk(const absl::StatusOr<T>& result) {
  return IsOk(result.status());
}

#define STORAGE_TEST_CONCAT_INNER(a, b) a##b
#define STORAGE_TEST_CONCAT(a, b) STORAGE_TEST_CONCAT_INNER(a, b)

// `lhs = value of expr`, or fails the test (fatally) with its status.
#define STORAGE_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  STORAGE_ASSERT_OK_AND_ASSIGN_IMPL(            \
      STORAGE_TEST_CONCAT(_storage_test_result_, __LINE__), lhs, expr)
#define STORAGE_ASSERT_OK_AND_ASSIGN_IMPL(result, lhs, expr) \
  auto result = (expr);                                      \
  ASSERT_TRUE(result.ok()) << result.status();               \
  lhs = std::move(result).value()

inline NewFitter MakeFitter(const std::string& id,
                            const std::string& owner = "alice") {
  NewFitter fitter;
  fitter.id = id;
  fitter.owner = owner;
  fitter.name = "fitter " + id;
  fitter.kind = FitterKind::kTrace;
  fitter.n_samples = 20;
  fitter.n_traces = 5;
  fitter.n_steps = 2000;
  fitter.method = "exponential_euler";
  fitter.parameter_names = {"gl", "g_na", "g_kd", "Cm"};
  fitter.spec = std::string("spec of ") + id + std::string(1, '\0') + "end";
  return fitter;
}

inline NewRun MakeRun(std::vector<std::string> parameters = {"gl", "g_na",
                                                             "g_kd", "Cm"},
                      std::vector<std::string> outputs = {"v"}) {
  NewRun run;
  run.optimizer = "DE";
  run.parameter_names = std::move(parameters);
  run.output_names = std::move(outputs);
  run.config = "optimizer config";
  return run;
}

// A round of `n` evaluations whose values are a function of (round, sample),
// so that a reader can check any row; error = 100 - round - sample/1000.
inline RoundInput MakeRound(int64_t round, int n, size_t n_params = 4,
                            size_t n_outputs = 1) {
  RoundInput input;
  input.round = round;
  input.iteration = round;
  input.seconds = 0.25;
  for (int s = 0; s < n; ++s) {
    Evaluation evaluation;
    evaluation.sample = s;
    for (size_t p = 0; p < n_params; ++p) {
      evaluation.params.push_back(1e-9 * static_cast<double>(round * 1000 + s) +
                                  static_cast<double>(p));
    }
    evaluation.error = 100.0 - static_cast<double>(round) - s / 1000.0;
    for (size_t o = 0; o < n_outputs; ++o) {
      evaluation.objectives.push_back(evaluation.error / (o + 1.0));
    }
    input.evaluations.push_back(std::move(evaluation));
  }
  input.checkpoint = "state after round " + std::to_string(round);
  return input;
}

}  // namespace cellfit::storage::testing

#endif  // CELLFIT_STORAGE_TEST_SUPPORT_H_
