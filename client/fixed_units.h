// The few unit conversions the client makes itself. Quantities travel to the
// server as text ("5*ms") and the server's model language parses them; but a
// handful of wire fields are plain numbers in SI (spike times, feature
// windows, the feature metric's spike threshold), so for those the client
// accepts a number with one of a small fixed set of units.
#ifndef CELLFIT_CLIENT_FIXED_UNITS_H_
#define CELLFIT_CLIENT_FIXED_UNITS_H_

#include <string_view>

#include "absl/status/statusor.h"

namespace cellfit::client {

enum class FixedDimension { kTime, kVoltage };

// The SI value of one `unit`: for time s/second/ms/msecond/us/usecond, for
// voltage V/volt/mV/mvolt/uV/uvolt. INVALID_ARGUMENT listing the accepted
// units otherwise.
absl::StatusOr<double> SiPerUnit(std::string_view unit, FixedDimension kind);

// "100*ms", "100 ms", "100ms" or a bare number (already SI) in SI.
absl::StatusOr<double> ParseFixedQuantity(std::string_view text,
                                          FixedDimension kind);

}  // namespace cellfit::client

#endif  // CELLFIT_CLIENT_FIXED_UNITS_H_
