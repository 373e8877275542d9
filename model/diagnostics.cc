#include "model/diagnostics.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cellfit::model {

std::string Diagnostic::ToString() const {
  if (location.line <= 0) return absl::StrCat(field, ": error: ", message);
  return absl::StrCat(field, ":", location.line, ":", location.column,
                      ": error: ", message);
}

void Diagnostics::Add(std::string field, SourceLocation location,
                      std::string message) {
  items_.push_back({std::move(field), location, std::move(message)});
}

void Diagnostics::Append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

absl::Status Diagnostics::ToStatus() const {
  if (items_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrJoin(items_, "\n", [](std::string* out, const Diagnostic& d) {
        out->append(d.ToString());
      }));
}

}  // namespace cellfit::model
