// The Fitting service in process, on an in-memory database: authentication
// on every call, and a user never sees another user's fitters.
#include "server/fitting_service.h"

#include <memory>
#include <optional>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/version.h"

namespace cellfit::server {
namespace {

using ::testing::HasSubstr;

constexpr char kAlice[] = "alice-token-0123456789";
constexpr char kBob[] = "bob-token-0123456789ab";
constexpr char kWorker[] = "worker-token-0123456789";
// The caller sends no authorization header at all.
constexpr char kNoToken[] = "";

class FittingServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StartServer(std::vector<TokenEntry>{
        {kAlice, "alice", 1}, {kBob, "bob", 2}, {kWorker, "@worker", 3}});
  }
  void TearDown() override { server_->Shutdown(); }

  // `tokens`: nullopt for an open server (no token file).
  void StartServer(std::optional<std::vector<TokenEntry>> tokens) {
    if (server_ != nullptr) {
      // The old parts go in the reverse order of their making.
      server_->Shutdown();
      server_.reset();
      service_.reset();
      manager_.reset();
      database_.reset();
    }
    auth_ = std::make_unique<Authenticator>(std::move(tokens),
                                            "local-token-0123456789");
    database_ = *storage::Database::Open(":memory:");
    manager_ =
        std::make_unique<fitting::FitterManager>(database_.get(), &dispatcher_);
    service_ = std::make_unique<FittingService>(
        auth_.get(), database_.get(), &registry_, manager_.get(), absl::Now());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    stub_ = cellfit::v1::Fitting::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                            grpc::InsecureChannelCredentials()));
  }

  void AddFitter(const std::string& id, const std::string& owner) {
    storage::NewFitter fitter;
    fitter.id = id;
    fitter.owner = owner;
    fitter.name = id + " fit";
    fitter.n_samples = 20;
    fitter.n_traces = 5;
    fitter.n_steps = 1497;
    fitter.method = "exponential_euler";
    fitter.parameter_names = {"gl", "Cm"};
    fitter.spec = "";
    ASSERT_TRUE(database_->CreateFitter(fitter).ok());
  }

  // GetStatus (whose request has no fields) as the holder of `token`.
  grpc::Status GetStatusAs(const std::string& token,
                           cellfit::v1::ServerStatus* status) {
    return stub_->GetStatus(As(token).get(), cellfit::v1::GetStatusRequest(),
                            status);
  }

  std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!token.empty())
      context->AddMetadata("authorization", "Bearer " + token);
    return context;
  }

  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<storage::Database> database_;
  WorkerRegistry registry_;
  dispatch::Dispatcher dispatcher_;
  std::unique_ptr<fitting::FitterManager> manager_;
  std::unique_ptr<FittingService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<cellfit::v1::Fitting::Stub> stub_;
};

TEST_F(FittingServiceTest, AWrongOrMissingTokenIsUnauthenticated) {
  cellfit::v1::ServerStatus status;
  EXPECT_EQ(GetStatusAs(kNoToken, &status).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status wrong = GetStatusAs("wrong-token-0123456789", &status);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(wrong.error_message(), ::testing::Not(HasSubstr("wrong-token")));
  cellfit::v1::ListFittersResponse list;
  EXPECT_EQ(stub_->ListFitters(As(kNoToken).get(), {}, &list).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Every RPC checks the caller before it reads the request: an empty
  // CreateFitter is refused as unauthenticated, not as an invalid spec.
  cellfit::v1::FitterInfo info;
  EXPECT_EQ(stub_->CreateFitter(As(kNoToken).get(), {}, &info).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A worker's token is not a user's.
  EXPECT_EQ(GetStatusAs(kWorker, &status).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(FittingServiceTest, GetStatusReportsVersionUptimeAndOwnRunningFits) {
  AddFitter("fa", "alice");
  AddFitter("fb", "bob");
  AddFitter("fc", "bob");
  for (const char* id : {"fa", "fb", "fc"}) {
    ASSERT_TRUE(
        database_->SetFitterState(id, storage::FitterState::kRunning).ok());
  }
  cellfit::v1::ServerStatus status;
  ASSERT_TRUE(GetStatusAs(kAlice, &status).ok());
  EXPECT_EQ(status.version(), CellfitVersion());
  EXPECT_GE(status.uptime_seconds(), 0);
  EXPECT_EQ(status.workers_size(), 0);
  // A token file naming two users makes a shared server: where its data
  // lives on disk is not for its users to know.
  EXPECT_EQ(status.database(), "");
  // Bob's two running fits are not Alice's to know of.
  EXPECT_EQ(status.running_fits(), 1u);
}

TEST_F(FittingServiceTest, AServerOfOneUserTellsThemWhereTheDatabaseIs) {
  StartServer(std::nullopt);  // open
  cellfit::v1::ServerStatus status;
  ASSERT_TRUE(GetStatusAs(kNoToken, &status).ok());
  EXPECT_EQ(status.database(), ":memory:");
  // A token file naming one user (and workers), as the CLI's embedded server
  // writes.
  StartServer(
      std::vector<TokenEntry>{{kAlice, "alice", 1}, {kWorker, "@worker", 2}});
  ASSERT_TRUE(GetStatusAs(kAlice, &status).ok());
  EXPECT_EQ(status.database(), ":memory:");
}

TEST_F(FittingServiceTest, UsersSeeOnlyTheirOwnFitters) {
  AddFitter("fa", "alice");
  AddFitter("fb", "bob");

  cellfit::v1::ListFittersResponse list;
  ASSERT_TRUE(stub_->ListFitters(As(kAlice).get(), {}, &list).ok());
  ASSERT_EQ(list.fitters_size(), 1);
  EXPECT_EQ(list.fitters(0).id(), "fa");
  EXPECT_EQ(list.fitters(0).owner(), "alice");
  EXPECT_EQ(list.fitters(0).n_traces(), 5u);
  EXPECT_EQ(list.fitters(0).state(), cellfit::v1::FITTER_STATE_IDLE);
  EXPECT_THAT(list.fitters(0).parameters(), ::testing::ElementsAre("gl", "Cm"));

  cellfit::v1::GetFitterRequest get;
  cellfit::v1::FitterInfo info;
  get.set_fitter_id("fa");
  EXPECT_TRUE(stub_->GetFitter(As(kAlice).get(), get, &info).ok());
  get.set_fitter_id("fb");
  grpc::Status others = stub_->GetFitter(As(kAlice).get(), get, &info);
  get.set_fitter_id("nonexistent");
  grpc::Status missing = stub_->GetFitter(As(kAlice).get(), get, &info);
  // Someone else's fitter is indistinguishable from a missing one.
  EXPECT_EQ(others.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(others.error_message(), HasSubstr("no fitter 'fb'"));

  cellfit::v1::DeleteFitterRequest remove;
  cellfit::v1::DeleteFitterResponse removed;
  remove.set_fitter_id("fb");
  EXPECT_EQ(
      stub_->DeleteFitter(As(kAlice).get(), remove, &removed).error_code(),
      grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(database_->GetFitter("fb").ok());  // still there
  EXPECT_TRUE(stub_->DeleteFitter(As(kBob).get(), remove, &removed).ok());
  EXPECT_EQ(database_->GetFitter("fb").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(FittingServiceTest, ARunningFitterCannotBeDeleted) {
  AddFitter("fa", "alice");
  ASSERT_TRUE(
      database_->SetFitterState("fa", storage::FitterState::kRunning).ok());
  cellfit::v1::DeleteFitterRequest remove;
  cellfit::v1::DeleteFitterResponse removed;
  remove.set_fitter_id("fa");
  grpc::Status status = stub_->DeleteFitter(As(kAlice).get(), remove, &removed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("cellfit cancel fa"));
}

TEST_F(FittingServiceTest, BadIdsAreInvalidArguments) {
  cellfit::v1::GetFitterRequest get;
  cellfit::v1::FitterInfo info;
  EXPECT_EQ(stub_->GetFitter(As(kAlice).get(), get, &info).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  get.set_fitter_id("../etc");
  EXPECT_EQ(stub_->GetFitter(As(kAlice).get(), get, &info).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(FittingServiceTest, AnEmptySpecIsRejectedWithEveryProblem) {
  cellfit::v1::FitterInfo info;
  grpc::Status status = stub_->CreateFitter(As(kAlice).get(), {}, &info);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("kind"));
  EXPECT_THAT(status.error_message(), HasSubstr("dt"));
  EXPECT_THAT(status.error_message(), HasSubstr("inputs"));
}

TEST_F(FittingServiceTest, FitNeedsAStartMessageForAnOwnFitter) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Bearer ") + kAlice);
  auto stream = stub_->Fit(&context);
  cellfit::v1::FitControl control;
  control.mutable_start()->set_fitter_id("fb");
  control.mutable_start()->set_n_rounds(1);
  AddFitter("fb", "bob");
  ASSERT_TRUE(stream->Write(control));
  stream->WritesDone();
  cellfit::v1::FitRound round;
  EXPECT_FALSE(stream->Read(&round));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(FittingServiceTest, DrainingAnswersUnavailable) {
  service_->BeginDrain();
  cellfit::v1::ServerStatus status;
  EXPECT_EQ(GetStatusAs(kAlice, &status).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace cellfit::server
