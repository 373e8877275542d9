#include "server/health_service.h"

#include "gtest/gtest.h"

namespace cellfit::server {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

grpc::Status Ask(HealthService& health, const std::string& service,
                 HealthCheckResponse* response) {
  HealthCheckRequest request;
  request.set_service(service);
  return health.Check(nullptr, &request, response);
}

TEST(HealthService, TheServerAndItsServicesServeUntilShutdownBegins) {
  HealthService health;
  for (const char* service :
       {"", "cellfit.v1.Fitting", "cellfit.v1.WorkerPool"}) {
    HealthCheckResponse response;
    ASSERT_TRUE(Ask(health, service, &response).ok()) << service;
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING) << service;
  }
  health.SetServing(false);
  HealthCheckResponse response;
  ASSERT_TRUE(Ask(health, "", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
}

TEST(HealthService, AnUnknownServiceIsNotFound) {
  HealthService health;
  HealthCheckResponse response;
  grpc::Status status = Ask(health, "cellfit.v1.Nothing", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("cellfit.v1.Nothing"),
            std::string::npos);
}

}  // namespace
}  // namespace cellfit::server
