// The C++ client of a cellfit-server: the Fitting service's calls with
// absl::StatusOr results, the token attached to every call, and the health
// check. It depends only on the wire contract (cellfit_proto).
//
// Errors keep the server's status code (NOT_FOUND, INVALID_ARGUMENT, ...);
// UNAVAILABLE means the server could not be reached.
#ifndef CELLFIT_CLIENT_CLIENT_H_
#define CELLFIT_CLIENT_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cellfit/v1/fitting.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/sync_stream.h"

namespace cellfit::client {

struct ClientOptions {
  std::string address;  // HOST:PORT (or any gRPC target, e.g. unix:PATH)
  std::string token;    // sent as `authorization: Bearer <token>`; empty: none
  // How long Connect waits for the server to accept a connection.
  absl::Duration connect_timeout = absl::Seconds(10);
  // Give up at the first failed attempt (connection refused) rather than
  // retrying until connect_timeout.
  bool fail_fast = true;
  // The deadline of each unary call.
  absl::Duration call_timeout = absl::Seconds(60);
  int max_message_bytes = 256 << 20;
};

class Client {
 public:
  // Opens a channel and waits until the server accepts it: UNAVAILABLE
  // ("cannot reach the cellfit server at ...") when it does not within
  // connect_timeout.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(
      const ClientOptions& options);

  const std::string& address() const { return options_.address; }

  // The standard gRPC health check: true when the server is serving.
  absl::StatusOr<bool> IsServing();

  absl::StatusOr<cellfit::v1::ServerStatus> GetStatus();
  absl::StatusOr<std::vector<cellfit::v1::FitterInfo>> ListFitters();
  absl::StatusOr<cellfit::v1::FitterInfo> GetFitter(const std::string& id);
  absl::Status DeleteFitter(const std::string& id);
  // With `fit`, the server also checks those fit settings against the model
  // (and the whole spec, as CreateFitter would).
  absl::StatusOr<cellfit::v1::CheckModelResponse> CheckModel(
      const cellfit::v1::FitterSpec& spec,
      const cellfit::v1::FitRequest* fit = nullptr);
  absl::StatusOr<cellfit::v1::FitterInfo> CreateFitter(
      const cellfit::v1::FitterSpec& spec);
  absl::StatusOr<cellfit::v1::FitterInfo> CancelFit(const std::string& id);

  // Server-streaming calls: `on_message` sees each message in order; when it
  // returns an error the call is cancelled and that error returned. Streams
  // have no deadline (a long fit, a large download or simulation may take
  // as long as it takes); the caller cancels them by returning an error.
  template <typename Message>
  using OnMessage = std::function<absl::Status(const Message&)>;
  absl::Status Watch(const cellfit::v1::WatchRequest& request,
                     const OnMessage<cellfit::v1::FitRound>& on_message);
  absl::Status Refine(const cellfit::v1::RefineRequest& request,
                      const OnMessage<cellfit::v1::RefineUpdate>& on_message);
  absl::Status Results(const cellfit::v1::ResultsRequest& request,
                       const OnMessage<cellfit::v1::ResultsChunk>& on_message);
  absl::Status Generate(
      const cellfit::v1::GenerateRequest& request,
      const OnMessage<cellfit::v1::GenerateChunk>& on_message);
  absl::Status Simulate(
      const cellfit::v1::SimulateRequest& request,
      const OnMessage<cellfit::v1::GenerateChunk>& on_message);

  // For the bidirectional Fit stream: the stub, and a context carrying the
  // token.
  cellfit::v1::Fitting::Stub& stub() { return *stub_; }
  std::unique_ptr<grpc::ClientContext> NewContext(
      std::optional<absl::Duration> timeout = std::nullopt) const;

 private:
  Client(ClientOptions options, std::shared_ptr<grpc::Channel> channel);

  // Calls a server-streaming method of the stub (named `what` in errors) and
  // hands each message to `on_message`; see OnMessage above.
  template <typename Request, typename Message>
  absl::Status ReadStream(std::unique_ptr<grpc::ClientReader<Message>> (
                              cellfit::v1::Fitting::Stub::*call)(
                              grpc::ClientContext*, const Request&),
                          const Request& request,
                          const OnMessage<Message>& on_message,
                          std::string_view what);

  const ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<cellfit::v1::Fitting::Stub> stub_;
};

// A grpc::Status as an absl::Status; `what` names the call for context, and
// an unreachable server gets a message that says so.
absl::Status FromGrpc(const grpc::Status& status, std::string_view what,
                      std::string_view address);

}  // namespace cellfit::client

#endif  // CELLFIT_CLIENT_CLIENT_H_
