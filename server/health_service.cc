#include "server/health_service.h"

#include <string>

#include "cellfit/v1/fitting.grpc.pb.h"
#include "cellfit/v1/worker.grpc.pb.h"

namespace cellfit::server {

using grpc::health::v1::HealthCheckResponse;

grpc::Status HealthService::Check(
    grpc::ServerContext* /*context*/,
    const grpc::health::v1::HealthCheckRequest* request,
    HealthCheckResponse* response) {
  const std::string& service = request->service();
  if (!service.empty() && service != v1::Fitting::service_full_name() &&
      service != v1::WorkerPool::service_full_name()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "unknown service '" + service +
                            "': this server has cellfit.v1.Fitting and "
                            "cellfit.v1.WorkerPool (or ask with no name)");
  }
  response->set_status(serving_ ? HealthCheckResponse::SERVING
                                : HealthCheckResponse::NOT_SERVING);
  return grpc::Status::OK;
}

}  // namespace cellfit::server
