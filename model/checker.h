// Checks model text as Brian2 would (names, units, flags, dependencies,
// threshold/reset/refractory, initial values) and builds the resolved Model.
#ifndef CELLFIT_MODEL_CHECKER_H_
#define CELLFIT_MODEL_CHECKER_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "model/diagnostics.h"
#include "model/dimension.h"
#include "model/model.h"

namespace cellfit::model {

// A value in SI with its dimension.
struct Quantity {
  double value = 0;
  Dimension dimension;
};

// A namespace constant: given as text ("-65*mV", may use units and other
// constants) or as a value with dimension.
struct NamespaceEntry {
  std::string name;
  std::string text;                  // used when non-empty
  std::optional<Quantity> quantity;  // used when text is empty
};

struct InputSpec {
  std::string name;
  Dimension dimension;
};

// Everything needed to check a model; mirrors the model fields of the wire
// FitterSpec.
struct ModelSpec {
  std::string equations;
  std::string threshold;
  std::string reset;
  std::string refractory;
  std::string method;  // empty: Brian2's automatic choice
  std::vector<std::pair<std::string, std::string>> param_init;
  std::vector<NamespaceEntry> namespace_entries;
  std::vector<InputSpec> inputs;
  // Fitted outputs: model variables (each gets `<var>_target`) or "spikes".
  std::vector<std::string> outputs;
  std::string penalty;
};

struct CheckResult {
  std::optional<Model> model;  // set when there are no diagnostics
  Diagnostics diagnostics;
  // Namespace names the model text used (resolved), and names that could not
  // be resolved at all (what a client should look up in its own namespace).
  std::vector<std::string> namespace_names_used;
  std::vector<std::string> unresolved_names;
};

// Bounds on expressions once subexpressions are substituted: the height
// (passes over expressions recurse that deep) and the number of operations
// written out.
inline constexpr uint32_t kMaxInlinedHeight = 1000;
inline constexpr uint64_t kMaxInlinedTreeSize = 10'000'000;

CheckResult CheckModel(const ModelSpec& spec);

// Evaluates a constant expression such as "-65*mV" or "0.1*uF*cm**-2*area"
// against units, the default constants (pi, e, inf) and `namespace_entries`.
absl::StatusOr<Quantity> ParseQuantity(
    std::string_view text, std::string_view field,
    const std::vector<NamespaceEntry>& namespace_entries = {});

// Whether `name` is a unit name (mV, siemens, ...).
bool IsUnitName(std::string_view name);

}  // namespace cellfit::model

#endif  // CELLFIT_MODEL_CHECKER_H_
