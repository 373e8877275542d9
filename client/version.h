// cellfit's version as this client was built (the CMake project version).
#ifndef CELLFIT_CLIENT_VERSION_H_
#define CELLFIT_CLIENT_VERSION_H_

#include <string_view>

namespace cellfit::client {

std::string_view CellfitVersion();

}  // namespace cellfit::client

#endif  // CELLFIT_CLIENT_VERSION_H_
