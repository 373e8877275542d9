// What the user chooses: the method, its seed and its options.
#ifndef CELLFIT_SERVER_OPTIMIZE_OPTIMIZER_CONFIG_H_
#define CELLFIT_SERVER_OPTIMIZE_OPTIMIZER_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cellfit::optimize {

struct OptimizerConfig {
  // "DE" (the default, also when empty), "CMAES" (alias "CMA", "CMA-ES"),
  // "PSO", or a derivative-free NLopt algorithm such as "LN_BOBYQA" or
  // "GN_CRS2_LM" (an "NLOPT_" prefix is allowed). Case-insensitive.
  std::string method = "DE";
  uint64_t seed = 0;
  // Method-specific options; see AcceptedOptions(). Unknown names are errors.
  std::map<std::string, double> options;
};

enum class MethodFamily { kDifferentialEvolution, kCmaEs, kPso, kNlopt };

struct MethodInfo {
  MethodFamily family;
  std::string canonical_name;  // "DE", "CMAES", "PSO", "LN_BOBYQA", ...
  int nlopt_algorithm = -1;    // the nlopt_algorithm value, for kNlopt
};

// Resolves a method name, or an InvalidArgument error listing every accepted
// name (and saying why, e.g., a gradient-based NLopt algorithm is refused).
absl::StatusOr<MethodInfo> ResolveMethod(std::string_view method);

// Every method name ResolveMethod accepts, canonical spelling.
std::vector<std::string> AcceptedMethods();

// The option names a method accepts, sorted.
std::vector<std::string> AcceptedOptions(MethodFamily family);

// Reads a method's options: every name must be known, every value finite and
// within its range. Each getter returns the default when the option is
// absent and records the name as used.
class OptionReader {
 public:
  OptionReader(std::string_view method,
               const std::map<std::string, double>& options,
               std::vector<std::string> accepted);

  // An error for any option not in the accepted list, naming them all.
  absl::Status CheckNames() const;

  bool Has(std::string_view name) const;
  // A real in [min, max] (inclusive unless `open_min`).
  absl::StatusOr<double> Real(std::string_view name, double fallback,
                              double min, double max, bool open_min = false);
  // An integral value in [min, max].
  absl::StatusOr<int64_t> Integer(std::string_view name, int64_t fallback,
                                  int64_t min, int64_t max);

 private:
  std::string method_;
  const std::map<std::string, double>& options_;
  std::vector<std::string> accepted_;
};

}  // namespace cellfit::optimize

#endif  // CELLFIT_SERVER_OPTIMIZE_OPTIMIZER_CONFIG_H_
