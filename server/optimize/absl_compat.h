// Debian 12's Abseil has its own absl::string_view, not an alias of
// std::string_view, and neither converts to the other. This module's
// interfaces take std::string_view; Sv() hands one to absl::StrCat and
// friends.
#ifndef CELLFIT_SERVER_OPTIMIZE_ABSL_COMPAT_H_
#define CELLFIT_SERVER_OPTIMIZE_ABSL_COMPAT_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace cellfit::optimize {

inline absl::string_view Sv(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace cellfit::optimize

#endif  // CELLFIT_SERVER_OPTIMIZE_ABSL_COMPAT_H_
