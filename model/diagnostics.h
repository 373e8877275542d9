// Problems found in model text, each with its position, collected so that a
// user sees every problem at once.
#ifndef CELLFIT_MODEL_DIAGNOSTICS_H_
#define CELLFIT_MODEL_DIAGNOSTICS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace cellfit::model {

// A 1-based position within one text field; line 0 means "the whole field".
struct SourceLocation {
  int line = 0;
  int column = 0;
};

struct Diagnostic {
  std::string field;  // "model", "threshold", "reset", "param_init.v", ...
  SourceLocation location;
  std::string message;

  // "model:3:15: error: message" (line/column omitted when unknown).
  std::string ToString() const;
};

class Diagnostics {
 public:
  void Add(std::string field, SourceLocation location, std::string message);
  void Append(const Diagnostics& other);
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& items() const { return items_; }

  // INVALID_ARGUMENT with one diagnostic per line; OK when empty.
  absl::Status ToStatus() const;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace cellfit::model

#endif  // CELLFIT_MODEL_DIAGNOSTICS_H_
