// The Fitting service: what clients call. Every call is authenticated first
// (auth.h); a user sees only their own fitters, and another user's fitter is
// NOT_FOUND exactly as a missing one is, so ids cannot be probed.
//
// The fitting machinery itself lives in server/fitting (FitterManager); this
// class authenticates, validates ids, and adapts the gRPC streams.
#ifndef CELLFIT_SERVER_FITTING_SERVICE_H_
#define CELLFIT_SERVER_FITTING_SERVICE_H_

#include <atomic>
#include <string>

#include "absl/time/time.h"
#include "cellfit/v1/fitting.grpc.pb.h"
#include "server/auth.h"
#include "server/fitting/fitter_manager.h"
#include "server/worker_registry.h"
#include "storage/database.h"

namespace cellfit::server {

class FittingService final : public cellfit::v1::Fitting::Service {
 public:
  FittingService(const Authenticator* auth, storage::Database* database,
                 const WorkerRegistry* registry,
                 fitting::FitterManager* manager, absl::Time started);

  // From now on every call answers UNAVAILABLE (the server is stopping).
  void BeginDrain() { draining_ = true; }

  grpc::Status GetStatus(grpc::ServerContext* context,
                         const cellfit::v1::GetStatusRequest* request,
                         cellfit::v1::ServerStatus* response) override;
  grpc::Status ListFitters(grpc::ServerContext* context,
                           const cellfit::v1::ListFittersRequest* request,
                           cellfit::v1::ListFittersResponse* response) override;
  grpc::Status GetFitter(grpc::ServerContext* context,
                         const cellfit::v1::GetFitterRequest* request,
                         cellfit::v1::FitterInfo* response) override;
  grpc::Status DeleteFitter(
      grpc::ServerContext* context,
      const cellfit::v1::DeleteFitterRequest* request,
      cellfit::v1::DeleteFitterResponse* response) override;

  grpc::Status CheckModel(grpc::ServerContext* context,
                          const cellfit::v1::CheckModelRequest* request,
                          cellfit::v1::CheckModelResponse* response) override;
  grpc::Status CreateFitter(grpc::ServerContext* context,
                            const cellfit::v1::CreateFitterRequest* request,
                            cellfit::v1::FitterInfo* response) override;
  grpc::Status Fit(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<cellfit::v1::FitRound, cellfit::v1::FitControl>*
          stream) override;
  grpc::Status Watch(
      grpc::ServerContext* context, const cellfit::v1::WatchRequest* request,
      grpc::ServerWriter<cellfit::v1::FitRound>* writer) override;
  grpc::Status Refine(
      grpc::ServerContext* context, const cellfit::v1::RefineRequest* request,
      grpc::ServerWriter<cellfit::v1::RefineUpdate>* writer) override;
  grpc::Status Generate(
      grpc::ServerContext* context, const cellfit::v1::GenerateRequest* request,
      grpc::ServerWriter<cellfit::v1::GenerateChunk>* writer) override;
  grpc::Status Simulate(
      grpc::ServerContext* context, const cellfit::v1::SimulateRequest* request,
      grpc::ServerWriter<cellfit::v1::GenerateChunk>* writer) override;
  grpc::Status Results(
      grpc::ServerContext* context, const cellfit::v1::ResultsRequest* request,
      grpc::ServerWriter<cellfit::v1::ResultsChunk>* writer) override;
  grpc::Status CancelFit(grpc::ServerContext* context,
                         const cellfit::v1::CancelFitRequest* request,
                         cellfit::v1::FitterInfo* response) override;

 private:
  // The caller, or the status to answer with (draining, bad token).
  absl::StatusOr<Principal> Admit(const grpc::ServerContext& context) const;
  // The caller's fitter `id`: NOT_FOUND when missing or someone else's.
  absl::StatusOr<storage::FitterRecord> OwnFitter(const Principal& principal,
                                                  const std::string& id) const;

  const Authenticator* const auth_;
  storage::Database* const database_;
  const WorkerRegistry* const registry_;
  fitting::FitterManager* const manager_;
  const absl::Time started_;
  std::atomic<bool> draining_{false};
};

// Checks a client-supplied fitter id: 1..128 letters, digits, '-' or '_'.
absl::Status ValidateFitterId(std::string_view id);

}  // namespace cellfit::server

#endif  // CELLFIT_SERVER_FITTING_SERVICE_H_
