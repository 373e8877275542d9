// cellfit's version as this server was built (the CMake project version).
#ifndef CELLFIT_SERVER_VERSION_H_
#define CELLFIT_SERVER_VERSION_H_

#include <string_view>

namespace cellfit::server {

std::string_view CellfitVersion();

}  // namespace cellfit::server

#endif  // CELLFIT_SERVER_VERSION_H_
