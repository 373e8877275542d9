// absl::Status, which every module boundary speaks, to and from grpc::Status,
// which the wire speaks. The codes are numerically the same by design.
#ifndef CELLFIT_SERVER_GRPC_STATUS_H_
#define CELLFIT_SERVER_GRPC_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace cellfit::server {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

inline absl::Status FromGrpcStatus(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

}  // namespace cellfit::server

#endif  // CELLFIT_SERVER_GRPC_STATUS_H_
