#include "storage/records.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "storage/absl_compat.h"

namespace cellfit::storage {

// The names are the values of the kind/state columns (see the CHECK
// constraints in schema.cc): changing one needs a migration.
std::string_view FitterKindName(FitterKind kind) {
  switch (kind) {
    case FitterKind::kTrace:
      return "trace";
    case FitterKind::kSpike:
      return "spike";
    case FitterKind::kOnlineTrace:
      return "online_trace";
  }
  return "unknown";
}

std::string_view FitterStateName(FitterState state) {
  switch (state) {
    case FitterState::kIdle:
      return "idle";
    case FitterState::kRunning:
      return "running";
    case FitterState::kCancelled:
      return "cancelled";
    case FitterState::kFailed:
      return "failed";
  }
  return "unknown";
}

absl::StatusOr<FitterKind> ParseFitterKind(std::string_view name) {
  for (FitterKind kind :
       {FitterKind::kTrace, FitterKind::kSpike, FitterKind::kOnlineTrace}) {
    if (FitterKindName(kind) == name) return kind;
  }
  return absl::DataLossError(
      absl::StrCat("unknown fitter kind '", Sv(name),
                   "' in the database; expected trace, spike or online_trace"));
}

absl::StatusOr<FitterState> ParseFitterState(std::string_view name) {
  for (FitterState state : {FitterState::kIdle, FitterState::kRunning,
                            FitterState::kCancelled, FitterState::kFailed}) {
    if (FitterStateName(state) == name) return state;
  }
  return absl::DataLossError(absl::StrCat(
      "unknown fitter state '", Sv(name),
      "' in the database; expected idle, running, cancelled or failed"));
}

}  // namespace cellfit::storage
