// Shared by the reference tests of both backends: running Brian2 on a case,
// simulating the same case with cellfit, and comparing the two.
#ifndef CELLFIT_TESTS_REFERENCE_REFERENCE_CASES_H_
#define CELLFIT_TESTS_REFERENCE_REFERENCE_CASES_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace cellfit {

enum class Backend { kRuntime, kStandalone };

// Names of the case files in tests/reference/cases (without .json).
std::vector<std::string> ReferenceCaseNames();

// The case file merged with what Brian2 recorded for it.
absl::StatusOr<nlohmann::json> RunBrian2(const std::string& name);

struct Simulated {
  std::map<std::string, std::vector<std::vector<double>>>
      traces;                               // [neuron][step]
  std::vector<std::vector<double>> spikes;  // [neuron]
  std::string method;
};

absl::StatusOr<Simulated> SimulateCase(const std::string& name,
                                       const nlohmann::json& reference,
                                       Backend backend);

// GoogleTest expectations: traces within the case's tolerance, same spikes
// (or, for stochastic cases, the same statistics).
void ExpectMatches(const nlohmann::json& reference, const Simulated& simulated);

// GoogleTest expectations: the two backends give the same traces (1e-12
// relative) and identical spikes.
void ExpectBackendsAgree(const Simulated& runtime, const Simulated& standalone);

}  // namespace cellfit

#endif  // CELLFIT_TESTS_REFERENCE_REFERENCE_CASES_H_
