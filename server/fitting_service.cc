#include "server/fitting_service.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "server/grpc_status.h"
#include "server/version.h"

namespace cellfit::server {

absl::Status ValidateFitterId(std::string_view id) {
  if (id.empty()) {
    return absl::InvalidArgumentError("fitter_id is required");
  }
  if (id.size() > 128 || !std::all_of(id.begin(), id.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '-' || c == '_';
      })) {
    return absl::InvalidArgumentError(
        "fitter_id must be 1..128 letters, digits, '-' or '_' (as `cellfit "
        "ls` shows them)");
  }
  return absl::OkStatus();
}

FittingService::FittingService(const Authenticator* auth,
                               storage::Database* database,
                               const WorkerRegistry* registry,
                               fitting::FitterManager* manager,
                               absl::Time started)
    : auth_(auth),
      database_(database),
      registry_(registry),
      manager_(manager),
      started_(started) {}

absl::StatusOr<Principal> FittingService::Admit(
    const grpc::ServerContext& context) const {
  if (draining_) return absl::UnavailableError("the server is shutting down");
  absl::StatusOr<Principal> principal = auth_->AuthenticateUser(context);
  if (!principal.ok()) {
    // Failed logins are what an operator looks for after an incident.
    LOG(WARNING) << "refused a client at " << context.peer() << ": "
                 << principal.status().message();
  }
  return principal;
}

absl::StatusOr<storage::FitterRecord> FittingService::OwnFitter(
    const Principal& principal, const std::string& id) const {
  if (absl::Status valid = ValidateFitterId(id); !valid.ok()) return valid;
  absl::StatusOr<storage::FitterRecord> record = database_->GetFitter(id);
  if (record.ok() && record->owner != principal.user) {
    LOG(WARNING) << "user '" << principal.user << "' asked for fitter " << id
                 << " of user '" << record->owner << "'; answered NOT_FOUND";
  }
  if (absl::IsNotFound(record.status()) ||
      (record.ok() && record->owner != principal.user)) {
    return absl::NotFoundError(
        absl::StrCat("no fitter '", id, "' (`cellfit ls` lists yours)"));
  }
  return record;
}

namespace {

// The caller's fitter id checked, or the status to answer with.
#define CELLFIT_ADMIT(principal, context)                  \
  absl::StatusOr<Principal> principal = Admit(*(context)); \
  if (!principal.ok()) return ToGrpcStatus(principal.status())

}  // namespace

grpc::Status FittingService::GetStatus(grpc::ServerContext* context,
                                       const cellfit::v1::GetStatusRequest*,
                                       cellfit::v1::ServerStatus* response) {
  CELLFIT_ADMIT(principal, context);
  response->set_version(std::string(CellfitVersion()));
  response->set_uptime_seconds(absl::ToDoubleSeconds(absl::Now() - started_));
  for (cellfit::v1::WorkerStatus& worker : registry_->Snapshot()) {
    *response->add_workers() = std::move(worker);
  }
  // A user learns nothing of other users' fits.
  if (auto running = database_->ListRunningFitters(); running.ok()) {
    response->set_running_fits(static_cast<uint32_t>(
        std::count_if(running->begin(), running->end(),
                      [&](const storage::FitterRecord& fitter) {
                        return fitter.owner == principal->user;
                      })));
  }
  // On a server shared by several users the file's path is the operator's to
  // know, not every user's: it tells where the lab's data lives on the
  // server's disk. A server of one user (open, or a token file naming one
  // user, as the CLI's embedded server) was started by that user.
  if (!auth_->shared()) response->set_database(database_->path());
  return grpc::Status::OK;
}

grpc::Status FittingService::ListFitters(
    grpc::ServerContext* context, const cellfit::v1::ListFittersRequest*,
    cellfit::v1::ListFittersResponse* response) {
  CELLFIT_ADMIT(principal, context);
  auto fitters = manager_->ListFitters(principal->user);
  if (!fitters.ok()) return ToGrpcStatus(fitters.status());
  for (cellfit::v1::FitterInfo& info : *fitters)
    *response->add_fitters() = std::move(info);
  return grpc::Status::OK;
}

grpc::Status FittingService::GetFitter(
    grpc::ServerContext* context, const cellfit::v1::GetFitterRequest* request,
    cellfit::v1::FitterInfo* response) {
  CELLFIT_ADMIT(principal, context);
  auto record = OwnFitter(*principal, request->fitter_id());
  if (!record.ok()) return ToGrpcStatus(record.status());
  auto info = manager_->GetFitter(principal->user, request->fitter_id());
  if (!info.ok()) return ToGrpcStatus(info.status());
  *response = std::move(*info);
  return grpc::Status::OK;
}

grpc::Status FittingService::DeleteFitter(
    grpc::ServerContext* context,
    const cellfit::v1::DeleteFitterRequest* request,
    cellfit::v1::DeleteFitterResponse*) {
  CELLFIT_ADMIT(principal, context);
  absl::StatusOr<storage::FitterRecord> record =
      OwnFitter(*principal, request->fitter_id());
  if (!record.ok()) return ToGrpcStatus(record.status());
  if (record->state == storage::FitterState::kRunning) {
    return grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        absl::StrCat("fitter '", record->id,
                     "' is running; cancel it first (`cellfit cancel ",
                     record->id, "`)"));
  }
  absl::Status deleted = manager_->DeleteFitter(principal->user, record->id);
  if (!deleted.ok()) return ToGrpcStatus(deleted);
  LOG(INFO) << principal->user << " deleted fitter " << record->id;
  return grpc::Status::OK;
}

grpc::Status FittingService::CheckModel(
    grpc::ServerContext* context, const cellfit::v1::CheckModelRequest* request,
    cellfit::v1::CheckModelResponse* response) {
  CELLFIT_ADMIT(principal, context);
  auto checked = manager_->CheckModel(*request);
  if (!checked.ok()) return ToGrpcStatus(checked.status());
  *response = std::move(*checked);
  return grpc::Status::OK;
}

grpc::Status FittingService::CreateFitter(
    grpc::ServerContext* context,
    const cellfit::v1::CreateFitterRequest* request,
    cellfit::v1::FitterInfo* response) {
  CELLFIT_ADMIT(principal, context);
  auto info = manager_->CreateFitter(principal->user, *request);
  if (!info.ok()) return ToGrpcStatus(info.status());
  LOG(INFO) << principal->user << " created fitter " << info->id() << " ("
            << info->n_samples() << " samples, " << info->n_traces()
            << " traces of " << info->n_steps() << " steps)";
  *response = std::move(*info);
  return grpc::Status::OK;
}

grpc::Status FittingService::Fit(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<cellfit::v1::FitRound, cellfit::v1::FitControl>*
        stream) {
  CELLFIT_ADMIT(principal, context);
  cellfit::v1::FitControl first;
  if (!stream->Read(&first)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the Fit stream ended before its FitRequest");
  }
  if (!first.has_start()) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "the first message of a Fit call must be `start` (a FitRequest)");
  }
  if (absl::Status valid = ValidateFitterId(first.start().fitter_id());
      !valid.ok()) {
    return ToGrpcStatus(valid);
  }
  absl::Status status = manager_->Fit(
      principal->user, first.start(),
      [stream](const cellfit::v1::FitRound& round) {
        return stream->Write(round);
      },
      [stream]() {
        cellfit::v1::FitControl control;
        if (!stream->Read(&control)) return fitting::ClientControl::kGone;
        if (control.has_stop() && control.stop())
          return fitting::ClientControl::kStop;
        return fitting::ClientControl::kProceed;
      },
      [context]() { return context->IsCancelled(); });
  return ToGrpcStatus(status);
}

grpc::Status FittingService::Watch(
    grpc::ServerContext* context, const cellfit::v1::WatchRequest* request,
    grpc::ServerWriter<cellfit::v1::FitRound>* writer) {
  CELLFIT_ADMIT(principal, context);
  if (absl::Status valid = ValidateFitterId(request->fitter_id());
      !valid.ok()) {
    return ToGrpcStatus(valid);
  }
  return ToGrpcStatus(manager_->Watch(
      principal->user, *request, [writer](const cellfit::v1::FitRound& round) {
        return writer->Write(round);
      }));
}

grpc::Status FittingService::Refine(
    grpc::ServerContext* context, const cellfit::v1::RefineRequest* request,
    grpc::ServerWriter<cellfit::v1::RefineUpdate>* writer) {
  CELLFIT_ADMIT(principal, context);
  if (absl::Status valid = ValidateFitterId(request->fitter_id());
      !valid.ok()) {
    return ToGrpcStatus(valid);
  }
  return ToGrpcStatus(manager_->Refine(
      principal->user, *request,
      [writer](const cellfit::v1::RefineUpdate& update) {
        return writer->Write(update);
      },
      [context] { return context->IsCancelled(); }));
}

grpc::Status FittingService::Generate(
    grpc::ServerContext* context, const cellfit::v1::GenerateRequest* request,
    grpc::ServerWriter<cellfit::v1::GenerateChunk>* writer) {
  CELLFIT_ADMIT(principal, context);
  if (absl::Status valid = ValidateFitterId(request->fitter_id());
      !valid.ok()) {
    return ToGrpcStatus(valid);
  }
  return ToGrpcStatus(manager_->Generate(
      principal->user, *request,
      [writer](const cellfit::v1::GenerateChunk& chunk) {
        return writer->Write(chunk);
      },
      [context] { return context->IsCancelled(); }));
}

grpc::Status FittingService::Simulate(
    grpc::ServerContext* context, const cellfit::v1::SimulateRequest* request,
    grpc::ServerWriter<cellfit::v1::GenerateChunk>* writer) {
  CELLFIT_ADMIT(principal, context);
  return ToGrpcStatus(manager_->Simulate(
      principal->user, *request,
      [writer](const cellfit::v1::GenerateChunk& chunk) {
        return writer->Write(chunk);
      },
      [context] { return context->IsCancelled(); }));
}

grpc::Status FittingService::Results(
    grpc::ServerContext* context, const cellfit::v1::ResultsRequest* request,
    grpc::ServerWriter<cellfit::v1::ResultsChunk>* writer) {
  CELLFIT_ADMIT(principal, context);
  if (absl::Status valid = ValidateFitterId(request->fitter_id());
      !valid.ok()) {
    return ToGrpcStatus(valid);
  }
  return ToGrpcStatus(
      manager_->Results(principal->user, *request,
                        [writer](const cellfit::v1::ResultsChunk& chunk) {
                          return writer->Write(chunk);
                        }));
}

grpc::Status FittingService::CancelFit(
    grpc::ServerContext* context, const cellfit::v1::CancelFitRequest* request,
    cellfit::v1::FitterInfo* response) {
  CELLFIT_ADMIT(principal, context);
  if (absl::Status valid = ValidateFitterId(request->fitter_id());
      !valid.ok()) {
    return ToGrpcStatus(valid);
  }
  auto info = manager_->CancelFit(principal->user, request->fitter_id());
  if (!info.ok()) return ToGrpcStatus(info.status());
  *response = std::move(*info);
  return grpc::Status::OK;
}

}  // namespace cellfit::server
