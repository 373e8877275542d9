#include "server/optimize/optimizer_config.h"

#include <nlopt.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/optimize/absl_compat.h"

namespace cellfit::optimize {
namespace {

// NLopt algorithms the multi-start adapter drives: derivative-free and usable
// on their own with bound constraints only.
constexpr nlopt_algorithm kNloptAccepted[] = {
    NLOPT_GN_DIRECT,
    NLOPT_GN_DIRECT_L,
    NLOPT_GN_DIRECT_L_RAND,
    NLOPT_GN_DIRECT_NOSCAL,
    NLOPT_GN_DIRECT_L_NOSCAL,
    NLOPT_GN_DIRECT_L_RAND_NOSCAL,
    NLOPT_GN_CRS2_LM,
    NLOPT_GN_ISRES,
    NLOPT_GN_ESCH,
    NLOPT_LN_BOBYQA,
    NLOPT_LN_COBYLA,
    NLOPT_LN_NEWUOA,
    NLOPT_LN_NEWUOA_BOUND,
    NLOPT_LN_NELDERMEAD,
    NLOPT_LN_SBPLX,
    NLOPT_LN_PRAXIS,
};

std::string NloptName(nlopt_algorithm algorithm) {
  return nlopt_algorithm_to_string(algorithm);
}

std::string AcceptedMethodList() {
  return absl::StrJoin(AcceptedMethods(), ", ");
}

// Why an NLopt algorithm that exists is not offered.
std::string NloptRefusal(nlopt_algorithm algorithm) {
  const std::string name = NloptName(algorithm);
  if (name.size() > 1 && name[1] == 'D') {
    return "it needs gradients, which fitting candidates do not come with "
           "(use refine for gradient-based polishing)";
  }
  if (absl::StrContains(name, "MLSL")) {
    return "it is a multi-start method itself; run a local method such as "
           "LN_BOBYQA through the multi-start adapter instead";
  }
  if (absl::StrContains(name, "AUGLAG")) {
    return "it handles nonlinear constraints, which fits do not have";
  }
  if (absl::StrContains(name, "ORIG_DIRECT")) {
    // Found by save_restore_test under valgrind (NLopt 2.7.1): a box in
    // which no point evaluates makes direct_direct_ index with an
    // uninitialised variable and crash.
    return "NLopt's translation of the original DIRECT code reads "
           "uninitialised memory when no point of its box can be evaluated "
           "(failed simulations); use GN_DIRECT or GN_DIRECT_L, NLopt's own "
           "implementation of the same algorithms";
  }
  return "it is not compiled into this NLopt build";
}

}  // namespace

std::vector<std::string> AcceptedMethods() {
  std::vector<std::string> methods = {"DE", "CMAES", "PSO"};
  for (nlopt_algorithm algorithm : kNloptAccepted) {
    methods.push_back(NloptName(algorithm));
  }
  return methods;
}

absl::StatusOr<MethodInfo> ResolveMethod(std::string_view method) {
  std::string name =
      absl::AsciiStrToUpper(absl::StripAsciiWhitespace(Sv(method)));
  if (name.empty() || name == "DE") {
    return MethodInfo{MethodFamily::kDifferentialEvolution, "DE"};
  }
  if (name == "CMAES" || name == "CMA" || name == "CMA-ES") {
    return MethodInfo{MethodFamily::kCmaEs, "CMAES"};
  }
  if (name == "PSO") return MethodInfo{MethodFamily::kPso, "PSO"};
  if (absl::StartsWith(name, "NLOPT_")) name = name.substr(6);
  const nlopt_algorithm algorithm = nlopt_algorithm_from_string(name.c_str());
  if (static_cast<int>(algorithm) >= 0) {
    const auto* end = std::end(kNloptAccepted);
    if (std::find(std::begin(kNloptAccepted), end, algorithm) != end) {
      return MethodInfo{MethodFamily::kNlopt, name,
                        static_cast<int>(algorithm)};
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "optimizer method '", Sv(method),
        "' is an NLopt algorithm cellfit does "
        "not offer: ",
        NloptRefusal(algorithm), ". Accepted methods: ", AcceptedMethodList()));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown optimizer method '", Sv(method),
      "'. Accepted methods (case-insensitive): ", AcceptedMethodList(),
      "; \"CMA\" is an alias of CMAES"));
}

std::vector<std::string> AcceptedOptions(MethodFamily family) {
  switch (family) {
    case MethodFamily::kDifferentialEvolution:
      return {"CR", "F", "F1", "F2", "popsize"};
    case MethodFamily::kCmaEs:
      return {"sigma0", "tolfun", "tolx"};
    case MethodFamily::kPso:
      return {"cognitive", "inertia", "social", "vmax"};
    case MethodFamily::kNlopt:
      return {"ftol_abs",   "ftol_rel", "initial_step", "maxeval",
              "population", "xtol_abs", "xtol_rel"};
  }
  return {};
}

OptionReader::OptionReader(std::string_view method,
                           const std::map<std::string, double>& options,
                           std::vector<std::string> accepted)
    : method_(method), options_(options), accepted_(std::move(accepted)) {}

absl::Status OptionReader::CheckNames() const {
  std::vector<std::string> unknown;
  for (const auto& [name, value] : options_) {
    if (std::find(accepted_.begin(), accepted_.end(), name) ==
        accepted_.end()) {
      unknown.push_back(name);
    }
  }
  if (unknown.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown option", unknown.size() > 1 ? "s " : " ", "'",
      absl::StrJoin(unknown, "', '"), "' for optimizer ", method_,
      "; accepted options: ",
      accepted_.empty() ? "none" : absl::StrJoin(accepted_, ", ")));
}

bool OptionReader::Has(std::string_view name) const {
  return options_.find(std::string(name)) != options_.end();
}

absl::StatusOr<double> OptionReader::Real(std::string_view name,
                                          double fallback, double min,
                                          double max, bool open_min) {
  auto it = options_.find(std::string(name));
  if (it == options_.end()) return fallback;
  const double value = it->second;
  const bool above_min = open_min ? value > min : value >= min;
  if (!std::isfinite(value) || !above_min || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("option '", Sv(name), "' of optimizer ", method_, " is ",
                     value, "; expected a finite number in ",
                     open_min ? "(" : "[", min, ", ", max, "]"));
  }
  return value;
}

absl::StatusOr<int64_t> OptionReader::Integer(std::string_view name,
                                              int64_t fallback, int64_t min,
                                              int64_t max) {
  auto it = options_.find(std::string(name));
  if (it == options_.end()) return fallback;
  const double value = it->second;
  if (!std::isfinite(value) || value != std::floor(value) ||
      value < static_cast<double>(min) || value > static_cast<double>(max)) {
    return absl::InvalidArgumentError(
        absl::StrCat("option '", Sv(name), "' of optimizer ", method_, " is ",
                     value, "; expected an integer in [", min, ", ", max, "]"));
  }
  return static_cast<int64_t>(value);
}

}  // namespace cellfit::optimize
