#include "client/version.h"

namespace cellfit::client {

std::string_view CellfitVersion() { return CELLFIT_VERSION; }

}  // namespace cellfit::client
