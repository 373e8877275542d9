// grpc.health.v1.Health's Check, served synchronously. gRPC's built-in
// health service would do the same through the callback API, which brings
// two polling threads into the server; see proto/grpc_health.proto.
#ifndef CELLFIT_SERVER_HEALTH_SERVICE_H_
#define CELLFIT_SERVER_HEALTH_SERVICE_H_

#include <atomic>

#include "grpc_health.grpc.pb.h"

namespace cellfit::server {

class HealthService final : public grpc::health::v1::Health::Service {
 public:
  // The whole server (""), and each of its services by full name, are
  // SERVING until SetServing(false); any other name is NOT_FOUND, as the
  // protocol asks.
  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override;

  // false once the server begins to shut down.
  void SetServing(bool serving) { serving_ = serving; }

 private:
  std::atomic<bool> serving_{true};
};

}  // namespace cellfit::server

#endif  // CELLFIT_SERVER_HEALTH_SERVICE_H_
