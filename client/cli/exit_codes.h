// The exit codes of `cellfit`: scripts tell a mistake from an outage.
#ifndef CELLFIT_CLIENT_CLI_EXIT_CODES_H_
#define CELLFIT_CLIENT_CLI_EXIT_CODES_H_

#include "absl/status/status.h"

namespace cellfit::client::cli {

inline constexpr int kExitOk = 0;
// A bad command line, job file or request (INVALID_ARGUMENT, NOT_FOUND,
// FAILED_PRECONDITION, UNAUTHENTICATED, ...): fix the input and retry.
inline constexpr int kExitUserError = 1;
// No server could be reached (or started, for the embedded default).
inline constexpr int kExitUnreachable = 2;

inline int ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status)) {
    return kExitUnreachable;
  }
  return kExitUserError;
}

}  // namespace cellfit::client::cli

#endif  // CELLFIT_CLIENT_CLI_EXIT_CODES_H_
