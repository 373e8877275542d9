// Early-return helpers for absl::Status / absl::StatusOr (the Abseil release
// on Debian 12 does not ship its own). Named for storage so that they cannot
// collide with another folder's macros in a translation unit that includes
// both.
#ifndef CELLFIT_STORAGE_STATUS_MACROS_H_
#define CELLFIT_STORAGE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CELLFIT_STORAGE_CONCAT_INNER(a, b) a##b
#define CELLFIT_STORAGE_CONCAT(a, b) CELLFIT_STORAGE_CONCAT_INNER(a, b)

// Returns the status of `expr` from the enclosing function unless it is OK.
#define STORAGE_RETURN_IF_ERROR(expr)                                     \
  do {                                                                    \
    if (::absl::Status _storage_status = (expr); !_storage_status.ok()) { \
      return _storage_status;                                             \
    }                                                                     \
  } while (false)

// `lhs = value of expr`, or returns its error from the enclosing function.
#define STORAGE_ASSIGN_OR_RETURN(lhs, expr) \
  STORAGE_ASSIGN_OR_RETURN_IMPL(            \
      CELLFIT_STORAGE_CONCAT(_storage_statusor_, __LINE__), lhs, expr)

#define STORAGE_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // CELLFIT_STORAGE_STATUS_MACROS_H_
