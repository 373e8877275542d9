// Lists of names (a run's parameters, its outputs) as a JSON array of strings
// in a TEXT column: readable in the sqlite3 shell, checkable by the schema
// (json_valid) and queryable with json_each() when inspecting a file by hand.
// The lists are short and always read whole, so a side table would only add
// joins.
#ifndef CELLFIT_STORAGE_NAME_LIST_H_
#define CELLFIT_STORAGE_NAME_LIST_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace cellfit::storage {

// ["gl","Cm"]; escapes quotes, backslashes and control characters.
std::string EncodeNameList(absl::Span<const std::string> names);

// Reads a JSON array of strings (any JSON whitespace and string escapes,
// \uXXXX with surrogate pairs). Anything else is DataLoss.
absl::StatusOr<std::vector<std::string>> DecodeNameList(std::string_view json);

}  // namespace cellfit::storage

#endif  // CELLFIT_STORAGE_NAME_LIST_H_
