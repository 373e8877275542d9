// The `NAME=VALUE,...` and `a,b,c` lists of the command line
// (`--params gl=10*nS,Cm=1*nF`, `--param-init v=-65*mV`, `--vars v,m`).
#ifndef CELLFIT_CLIENT_CLI_ASSIGNMENTS_H_
#define CELLFIT_CLIENT_CLI_ASSIGNMENTS_H_

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cellfit/v1/common.pb.h"

namespace cellfit::client::cli {

// "a=1*mV, b = x+2*mV" -> {{"a", "1*mV"}, {"b", "x+2*mV"}}. Commas inside
// parentheses do not split (param_init expressions may call functions).
// INVALID_ARGUMENT naming `option` for an entry without '=', an empty or
// non-identifier name, or a name given twice.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
ParseAssignments(std::string_view text, std::string_view option);

// --params: one row of quantities, each in SI with its dimension (a bare
// number has no dimension and is taken as SI by the server).
absl::StatusOr<cellfit::v1::ParameterTable> ParseParameterRow(
    std::string_view text, std::string_view option);

// --param-init: expressions the server evaluates, passed as written.
absl::StatusOr<std::map<std::string, std::string>> ParseParamInit(
    std::string_view text, std::string_view option);

// "v,m" -> {"v", "m"}; names must be identifiers, none twice.
absl::StatusOr<std::vector<std::string>> ParseNameList(std::string_view text,
                                                       std::string_view option);

}  // namespace cellfit::client::cli

#endif  // CELLFIT_CLIENT_CLI_ASSIGNMENTS_H_
