#include "client/client.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "grpc_health.grpc.pb.h"  // generated from proto/grpc_health.proto
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace cellfit::client {

absl::Status FromGrpc(const grpc::Status& status, std::string_view what,
                      std::string_view address) {
  if (status.ok()) return absl::OkStatus();
  auto code = static_cast<absl::StatusCode>(status.error_code());
  if (code == absl::StatusCode::kUnavailable) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach the cellfit server at ",
                     std::string(address), " (", status.error_message(), ")"));
  }
  if (code == absl::StatusCode::kDeadlineExceeded) {
    return absl::DeadlineExceededError(
        absl::StrCat(std::string(what), ": the server at ",
                     std::string(address), " did not answer in time"));
  }
  // The server's messages are written for users; pass them on as they are.
  return absl::Status(code, status.error_message());
}

Client::Client(ClientOptions options, std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      stub_(cellfit::v1::Fitting::NewStub(channel_)) {}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(
    const ClientOptions& options) {
  if (options.address.empty()) {
    return absl::InvalidArgumentError("no server address given");
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options.max_message_bytes);
  args.SetMaxSendMessageSize(options.max_message_bytes);
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
      options.address, grpc::InsecureChannelCredentials(), args);
  const absl::Time deadline = absl::Now() + options.connect_timeout;
  for (;;) {
    grpc_connectivity_state state = channel->GetState(/*try_to_connect=*/true);
    if (state == GRPC_CHANNEL_READY) break;
    // A refused connection means no server is there now; saying so at once
    // beats retrying until the timeout.
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE && options.fail_fast) {
      return absl::UnavailableError(
          absl::StrCat("cannot reach the cellfit server at ", options.address,
                       " (connection failed)"));
    }
    if (!channel->WaitForStateChange(state, absl::ToChronoTime(deadline))) {
      return absl::UnavailableError(
          absl::StrCat("cannot reach the cellfit server at ", options.address,
                       " (no connection within ",
                       absl::FormatDuration(options.connect_timeout), ")"));
    }
  }
  return std::unique_ptr<Client>(new Client(options, std::move(channel)));
}

std::unique_ptr<grpc::ClientContext> Client::NewContext(
    std::optional<absl::Duration> timeout) const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!options_.token.empty()) {
    context->AddMetadata("authorization", "Bearer " + options_.token);
  }
  if (timeout.has_value()) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + *timeout));
  }
  return context;
}

template <typename Request, typename Message>
absl::Status Client::ReadStream(std::unique_ptr<grpc::ClientReader<Message>> (
                                    cellfit::v1::Fitting::Stub::*call)(
                                    grpc::ClientContext*, const Request&),
                                const Request& request,
                                const OnMessage<Message>& on_message,
                                std::string_view what) {
  std::unique_ptr<grpc::ClientContext> context = NewContext();
  std::unique_ptr<grpc::ClientReader<Message>> reader =
      (stub_.get()->*call)(context.get(), request);
  Message message;
  absl::Status handled = absl::OkStatus();
  while (reader->Read(&message)) {
    handled = on_message(message);
    if (!handled.ok()) {
      context->TryCancel();
      break;
    }
  }
  absl::Status finished = FromGrpc(reader->Finish(), what, address());
  return handled.ok() ? finished : handled;
}

absl::Status Client::Watch(const cellfit::v1::WatchRequest& request,
                           const OnMessage<cellfit::v1::FitRound>& on_message) {
  return ReadStream(&cellfit::v1::Fitting::Stub::Watch, request, on_message,
                    "Watch");
}

absl::Status Client::Refine(
    const cellfit::v1::RefineRequest& request,
    const OnMessage<cellfit::v1::RefineUpdate>& on_message) {
  return ReadStream(&cellfit::v1::Fitting::Stub::Refine, request, on_message,
                    "Refine");
}

absl::Status Client::Results(
    const cellfit::v1::ResultsRequest& request,
    const OnMessage<cellfit::v1::ResultsChunk>& on_message) {
  return ReadStream(&cellfit::v1::Fitting::Stub::Results, request, on_message,
                    "Results");
}

absl::Status Client::Generate(
    const cellfit::v1::GenerateRequest& request,
    const OnMessage<cellfit::v1::GenerateChunk>& on_message) {
  return ReadStream(&cellfit::v1::Fitting::Stub::Generate, request, on_message,
                    "Generate");
}

absl::Status Client::Simulate(
    const cellfit::v1::SimulateRequest& request,
    const OnMessage<cellfit::v1::GenerateChunk>& on_message) {
  return ReadStream(&cellfit::v1::Fitting::Stub::Simulate, request, on_message,
                    "Simulate");
}

absl::StatusOr<bool> Client::IsServing() {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  auto context = NewContext(options_.call_timeout);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = health->Check(context.get(), request, &response);
  if (!status.ok()) return FromGrpc(status, "health check", address());
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

absl::StatusOr<cellfit::v1::ServerStatus> Client::GetStatus() {
  auto context = NewContext(options_.call_timeout);
  cellfit::v1::ServerStatus response;
  grpc::Status status = stub_->GetStatus(context.get(), {}, &response);
  if (!status.ok()) return FromGrpc(status, "GetStatus", address());
  return response;
}

absl::StatusOr<std::vector<cellfit::v1::FitterInfo>> Client::ListFitters() {
  auto context = NewContext(options_.call_timeout);
  cellfit::v1::ListFittersResponse response;
  grpc::Status status = stub_->ListFitters(context.get(), {}, &response);
  if (!status.ok()) return FromGrpc(status, "ListFitters", address());
  return std::vector<cellfit::v1::FitterInfo>(response.fitters().begin(),
                                              response.fitters().end());
}

absl::StatusOr<cellfit::v1::FitterInfo> Client::GetFitter(
    const std::string& id) {
  auto context = NewContext(options_.call_timeout);
  cellfit::v1::GetFitterRequest request;
  request.set_fitter_id(id);
  cellfit::v1::FitterInfo response;
  grpc::Status status = stub_->GetFitter(context.get(), request, &response);
  if (!status.ok()) return FromGrpc(status, "GetFitter", address());
  return response;
}

absl::Status Client::DeleteFitter(const std::string& id) {
  auto context = NewContext(options_.call_timeout);
  cellfit::v1::DeleteFitterRequest request;
  request.set_fitter_id(id);
  cellfit::v1::DeleteFitterResponse response;
  return FromGrpc(stub_->DeleteFitter(context.get(), request, &response),
                  "DeleteFitter", address());
}

absl::StatusOr<cellfit::v1::CheckModelResponse> Client::CheckModel(
    const cellfit::v1::FitterSpec& spec, const cellfit::v1::FitRequest* fit) {
  auto context = NewContext(options_.call_timeout);
  cellfit::v1::CheckModelRequest request;
  *request.mutable_spec() = spec;
  if (fit != nullptr) *request.mutable_fit() = *fit;
  cellfit::v1::CheckModelResponse response;
  grpc::Status status = stub_->CheckModel(context.get(), request, &response);
  if (!status.ok()) return FromGrpc(status, "CheckModel", address());
  return response;
}

absl::StatusOr<cellfit::v1::FitterInfo> Client::CreateFitter(
    const cellfit::v1::FitterSpec& spec) {
  auto context = NewContext(options_.call_timeout);
  cellfit::v1::CreateFitterRequest request;
  *request.mutable_spec() = spec;
  cellfit::v1::FitterInfo response;
  grpc::Status status = stub_->CreateFitter(context.get(), request, &response);
  if (!status.ok()) return FromGrpc(status, "CreateFitter", address());
  return response;
}

absl::StatusOr<cellfit::v1::FitterInfo> Client::CancelFit(
    const std::string& id) {
  auto context = NewContext(options_.call_timeout);
  cellfit::v1::CancelFitRequest request;
  request.set_fitter_id(id);
  cellfit::v1::FitterInfo response;
  grpc::Status status = stub_->CancelFit(context.get(), request, &response);
  if (!status.ok()) return FromGrpc(status, "CancelFit", address());
  return response;
}

}  // namespace cellfit::client
