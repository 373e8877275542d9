// Early-return helpers for absl::Status / absl::StatusOr, local to this
// module (Abseil 20220623 ships none).
#ifndef CELLFIT_SERVER_OPTIMIZE_STATUS_MACROS_H_
#define CELLFIT_SERVER_OPTIMIZE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"

#define OPTIMIZE_CONCAT_INNER_(a, b) a##b
#define OPTIMIZE_CONCAT_(a, b) OPTIMIZE_CONCAT_INNER_(a, b)

// OPTIMIZE_ASSIGN_OR_RETURN(auto x, reader.GetU32("x"));
#define OPTIMIZE_ASSIGN_OR_RETURN(lhs, expr)                                  \
  OPTIMIZE_ASSIGN_OR_RETURN_IMPL_(OPTIMIZE_CONCAT_(statusor_, __LINE__), lhs, \
                                  expr)
#define OPTIMIZE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return std::move(tmp).status();        \
  lhs = std::move(tmp).value()

#define OPTIMIZE_RETURN_IF_ERROR(expr)                   \
  do {                                                   \
    absl::Status optimize_status_ = (expr);              \
    if (!optimize_status_.ok()) return optimize_status_; \
  } while (false)

#endif  // CELLFIT_SERVER_OPTIMIZE_STATUS_MACROS_H_
