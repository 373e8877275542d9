// The unit names a Brian2 user types: SI base and derived units, every SI
// prefix, squared and cubed forms (cmetre2, um3), and Brian2's short forms
// (mV, nA, pF, ms, Hz, mM, ...).
#ifndef CELLFIT_MODEL_UNITS_H_
#define CELLFIT_MODEL_UNITS_H_

#include <optional>
#include <string_view>

#include "model/dimension.h"

namespace cellfit::model {

struct UnitInfo {
  double scale = 1.0;  // value of one unit in SI base units (mV -> 1e-3)
  Dimension dimension;
};

// The unit called `name`, or nullopt if there is no such unit.
std::optional<UnitInfo> LookupUnit(std::string_view name);

}  // namespace cellfit::model

#endif  // CELLFIT_MODEL_UNITS_H_
