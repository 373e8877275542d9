#include "server/version.h"

namespace cellfit::server {

std::string_view CellfitVersion() { return CELLFIT_VERSION; }

}  // namespace cellfit::server
