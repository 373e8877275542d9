// Fits through real processes: a cellfit-server on 127.0.0.1 with local
// worker processes and a SQLite file, driven over gRPC as any client would.
// Covers the HH example end to end, a worker killed mid-round, the server
// killed mid-fit and restarted (Watch reattaches), continuation and restart,
// generate, and a SpikeFitter recovering known AdEx parameters.
#include <signal.h>

#include <cmath>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cellfit/v1/fitting.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "storage/database.h"
#include "tests/integration/server_harness.h"
#include "worker/jobs/hh_example_for_tests.h"

namespace cellfit::testing {
namespace {

constexpr absl::Duration kDeadline = absl::Seconds(120);

std::unique_ptr<v1::Fitting::Stub> Connect(const std::string& address) {
  return v1::Fitting::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

bool WaitForWorkers(v1::Fitting::Stub& stub, int n) {
  return PollUntil(
      [&] {
        grpc::ClientContext context;
        v1::ServerStatus status;
        return stub.GetStatus(&context, {}, &status).ok() &&
               status.workers_size() == n;
      },
      kDeadline);
}

std::string CreateHh(v1::Fitting::Stub& stub, int n_samples) {
  v1::CreateFitterRequest create;
  *create.mutable_spec() = jobs::HhExampleSpec();
  create.mutable_spec()->set_n_samples(n_samples);
  grpc::ClientContext context;
  v1::FitterInfo info;
  grpc::Status status = stub.CreateFitter(&context, create, &info);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return info.id();
}

// The example job's fit settings, with the seed these tests were written
// for.
v1::FitRequest HhFit(const std::string& id, int rounds) {
  v1::FitRequest fit = jobs::HhExampleFit(id, rounds);
  fit.mutable_optimizer()->set_seed(3);
  return fit;
}

// Runs a Fit call to its end; `on_round` sees each round as it arrives.
grpc::Status RunFit(
    v1::Fitting::Stub& stub, const v1::FitRequest& request,
    std::vector<v1::FitRound>* rounds,
    const std::function<void(const v1::FitRound&)>& on_round = nullptr) {
  grpc::ClientContext context;
  auto stream = stub.Fit(&context);
  v1::FitControl start;
  *start.mutable_start() = request;
  stream->Write(start);
  stream->WritesDone();
  v1::FitRound round;
  while (stream->Read(&round)) {
    rounds->push_back(round);
    if (on_round) on_round(round);
  }
  return stream->Finish();
}

int64_t CountRows(const std::string& db_path, const std::string& fitter_id,
                  std::set<std::pair<int64_t, int64_t>>* keys = nullptr) {
  auto db = storage::Database::Open(db_path);
  EXPECT_TRUE(db.ok()) << db.status();
  storage::EvaluationQuery query;
  query.fitter_id = fitter_id;
  auto rows = (*db)->ReadEvaluations(query);
  EXPECT_TRUE(rows.ok()) << rows.status();
  if (keys != nullptr) {
    for (size_t k = 0; k < rows->size(); ++k)
      keys->insert({rows->round[k], rows->sample[k]});
  }
  return static_cast<int64_t>(rows->size());
}

class FittingProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TestDirectory();
    db_ = dir_ + "/cellfit.db";
  }
  std::string dir_;
  std::string db_;
};

TEST_F(FittingProcessTest, HhExampleWithTwoWorkers) {
  auto server = StartServer(dir_, db_, 2);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect(server->address);
  ASSERT_TRUE(WaitForWorkers(*stub, 2)) << ReadFile(server->log);
  const std::string id = CreateHh(*stub, 20);
  std::vector<v1::FitRound> rounds;
  grpc::Status status = RunFit(*stub, HhFit(id, 10), &rounds);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(rounds.size(), 10u);
  double initial = 0;
  for (double e : rounds[0].errors()) initial += e / rounds[0].errors_size();
  EXPECT_LT(rounds.back().best_error() * 10, initial)
      << "initial round's mean error " << initial << ", best after 10 rounds "
      << rounds.back().best_error();
  // Every evaluation is a row, and the rows are what was streamed.
  server->process->Signal(SIGTERM);
  server->process->Wait(kDeadline);
  auto db = storage::Database::Open(db_);
  ASSERT_TRUE(db.ok());
  storage::EvaluationQuery query;
  query.fitter_id = id;
  auto rows = (*db)->ReadEvaluations(query);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 200u);
  for (size_t k = 0; k < rows->size(); ++k) {
    const v1::FitRound& round = rounds[rows->round[k]];
    EXPECT_EQ(rows->error[k], round.errors(rows->sample[k]));
    for (int p = 0; p < round.params().columns_size(); ++p) {
      const v1::Column& column = round.params().columns(p);
      for (size_t q = 0; q < rows->parameter_names.size(); ++q) {
        if (rows->parameter_names[q] == column.name()) {
          EXPECT_EQ(rows->params[q][k], column.values(rows->sample[k]));
        }
      }
    }
  }
}

// One worker process offering two cores runs a round as two batches at once
// (the round is planned a batch per core); a round of 60 samples is cut into
// shrinking batches that it takes two at a time. Every sample is recorded
// once.
TEST_F(FittingProcessTest, AWorkerWithTwoCoresRunsTwoBatchesAtOnce) {
  auto server = StartServer(dir_, db_, 0);
  ASSERT_TRUE(server.ok()) << server.status();
  ProcessOptions options;
  options.argv = {kWorkerBinary, "--server=" + server->address, "--threads=2"};
  options.stderr_path = dir_ + "/worker.log";
  auto worker = Process::Start(options);
  ASSERT_TRUE(worker.ok());
  auto stub = Connect(server->address);
  ASSERT_TRUE(WaitForWorkers(*stub, 1)) << ReadFile(server->log);
  std::string ids[2];
  for (int n_samples : {20, 60}) {
    const std::string id = CreateHh(*stub, n_samples);
    std::vector<v1::FitRound> rounds;
    grpc::Status status = RunFit(*stub, HhFit(id, 3), &rounds);
    ASSERT_TRUE(status.ok()) << status.error_message() << "\n"
                             << ReadFile(dir_ + "/worker.log");
    ASSERT_EQ(rounds.size(), 3u);
    for (const v1::FitRound& round : rounds) {
      ASSERT_EQ(round.errors_size(), n_samples);
      for (double e : round.errors()) EXPECT_TRUE(std::isfinite(e));
    }
    ids[n_samples == 20 ? 0 : 1] = id;
  }
  std::set<std::pair<int64_t, int64_t>> keys;
  EXPECT_EQ(CountRows(db_, ids[0], &keys), 60);
  EXPECT_EQ(keys.size(), 60u);
  keys.clear();
  EXPECT_EQ(CountRows(db_, ids[1], &keys), 180);
  EXPECT_EQ(keys.size(), 180u);
  (*worker)->Signal(SIGTERM);
  (*worker)->Wait(kDeadline);
  server->process->Signal(SIGTERM);
  server->process->Wait(kDeadline);
}

TEST_F(FittingProcessTest, AWorkerKilledMidRoundLosesAndDuplicatesNothing) {
  auto server = StartServer(dir_, db_, 2);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect(server->address);
  ASSERT_TRUE(WaitForWorkers(*stub, 2)) << ReadFile(server->log);
  // Rounds of 300 samples last long enough to kill a worker inside one.
  const std::string id = CreateHh(*stub, 300);
  std::vector<v1::FitRound> rounds;
  const std::vector<pid_t> workers = ChildrenOf(server->process->pid());
  ASSERT_EQ(workers.size(), 2u);
  std::thread killer;
  grpc::Status status =
      RunFit(*stub, HhFit(id, 4), &rounds, [&](const v1::FitRound& r) {
        if (r.round() == 1) {
          killer = std::thread([&] {
            absl::SleepFor(absl::Milliseconds(40));
            kill(workers[0], SIGKILL);
          });
        }
      });
  if (killer.joinable()) killer.join();
  ASSERT_TRUE(status.ok()) << status.error_message() << "\n"
                           << ReadFile(server->log);
  ASSERT_EQ(rounds.size(), 4u);
  EXPECT_NE(ReadFile(server->log).find("left"), std::string::npos)
      << ReadFile(server->log);
  std::set<std::pair<int64_t, int64_t>> keys;
  EXPECT_EQ(CountRows(db_, id, &keys), 1200);
  EXPECT_EQ(keys.size(), 1200u);
}

TEST_F(FittingProcessTest, TheServerKilledMidFitResumesFromItsCheckpoint) {
  const std::string id = [&] {
    auto server = StartServer(dir_, db_, 2);
    EXPECT_TRUE(server.ok()) << server.status();
    auto stub = Connect(server->address);
    EXPECT_TRUE(WaitForWorkers(*stub, 2));
    const std::string fitter = CreateHh(*stub, 200);
    std::vector<v1::FitRound> rounds;
    // Kill the server (and so its workers) once two rounds are in.
    RunFit(*stub, HhFit(fitter, 6), &rounds, [&](const v1::FitRound& r) {
      if (r.round() == 1) server->process->Signal(SIGKILL);
    });
    server->process->Wait(kDeadline);
    EXPECT_GE(rounds.size(), 2u);
    return fitter;
  }();
  const int64_t before = CountRows(db_, id);
  EXPECT_GE(before, 400);
  EXPECT_LT(before, 1200);
  // A new server on the same database resumes the fit; a client reattaches.
  auto server = StartServer(dir_, db_, 2);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect(server->address);
  grpc::ClientContext context;
  v1::WatchRequest watch;
  watch.set_fitter_id(id);
  auto reader = stub->Watch(&context, watch);
  std::vector<int64_t> seen;
  v1::FitRound round;
  while (reader->Read(&round)) seen.push_back(round.round());
  grpc::Status status = reader->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message() << "\n"
                           << ReadFile(server->log);
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  std::set<std::pair<int64_t, int64_t>> keys;
  EXPECT_EQ(CountRows(db_, id, &keys), 1200);
  EXPECT_EQ(keys.size(), 1200u);
  EXPECT_NE(ReadFile(server->log).find("resumed the fit of " + id),
            std::string::npos)
      << ReadFile(server->log);
}

TEST_F(FittingProcessTest, ContinuationRestartAndGenerateShapes) {
  auto server = StartServer(dir_, db_, 1);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect(server->address);
  ASSERT_TRUE(WaitForWorkers(*stub, 1));
  const std::string id = CreateHh(*stub, 10);
  std::vector<v1::FitRound> rounds;
  ASSERT_TRUE(RunFit(*stub, HhFit(id, 2), &rounds).ok());
  v1::FitRequest more;
  more.set_fitter_id(id);
  more.set_n_rounds(1);
  ASSERT_TRUE(RunFit(*stub, more, &rounds).ok());
  EXPECT_EQ(rounds.back().round(), 2u);
  EXPECT_EQ(rounds.back().iteration(), 2u);
  v1::FitRequest other = HhFit(id, 1);
  other.mutable_optimizer()->set_method("PSO");
  grpc::Status refused = RunFit(*stub, other, &rounds);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("restart"), std::string::npos);
  other.set_restart(true);
  ASSERT_TRUE(RunFit(*stub, other, &rounds).ok());
  EXPECT_EQ(rounds.back().run(), 1u);
  EXPECT_EQ(rounds.back().iteration(), 0u);

  auto generate = [&](std::vector<std::string> variables) {
    v1::GenerateRequest request;
    request.set_fitter_id(id);
    for (const auto& v : variables) request.add_variables(v);
    grpc::ClientContext context;
    auto reader = stub->Generate(&context, request);
    std::vector<v1::GenerateChunk> chunks;
    v1::GenerateChunk chunk;
    while (reader->Read(&chunk)) chunks.push_back(chunk);
    EXPECT_TRUE(reader->Finish().ok());
    return chunks;
  };
  auto one = generate({"v"});
  ASSERT_EQ(one.size(), 5u);
  for (int t = 0; t < 5; ++t) {
    EXPECT_EQ(one[t].trace(), static_cast<uint32_t>(t));
    EXPECT_EQ(one[t].values_size(), 1497);
    EXPECT_EQ(one[t].dimension().metre(), 2);  // volt
  }
  auto several = generate({"v", "m", "h"});
  ASSERT_EQ(several.size(), 15u);
  EXPECT_EQ(several[5].variable(), "m");
  EXPECT_EQ(several[10].variable(), "h");
  EXPECT_EQ(several[10].dimension().metre(), 0);
  grpc::ClientContext context;
  v1::GenerateRequest spikes;
  spikes.set_fitter_id(id);
  spikes.add_variables("spikes");
  auto reader = stub->Generate(&context, spikes);
  v1::GenerateChunk chunk;
  while (reader->Read(&chunk)) {
  }
  grpc::Status no_threshold = reader->Finish();
  EXPECT_FALSE(no_threshold.ok());
  EXPECT_NE(no_threshold.error_message().find("threshold"), std::string::npos);
}

TEST_F(FittingProcessTest, SpikeFitterRecoversAdExParameters) {
  auto server = StartServer(dir_, db_, 2);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect(server->address);
  ASSERT_TRUE(WaitForWorkers(*stub, 2));
  v1::FitterSpec spec;
  spec.set_kind(v1::FITTER_KIND_SPIKE);
  spec.set_model(
      "dv/dt = (gL*(EL - v) + gL*DeltaT*exp((v - VT)/DeltaT) - w + I)/C : "
      "volt\n"
      "dw/dt = (a*(v - EL) - w)/tau_w : amp\n"
      "C : farad (constant)\n"
      "b : amp (constant)\n");
  spec.set_threshold("v > VT + 5*DeltaT");
  spec.set_reset("v = Vr\nw += b");
  spec.set_method("euler");
  spec.mutable_dt()->set_text("0.1*ms");
  spec.set_n_samples(30);
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"gL", "30*nS"},
                                                        {"EL", "-70.6*mV"},
                                                        {"VT", "-50.4*mV"},
                                                        {"DeltaT", "2*mV"},
                                                        {"Vr", "-70.6*mV"},
                                                        {"a", "4*nS"},
                                                        {"tau_w", "144*ms"}}) {
    v1::NamedQuantity* q = spec.add_namespace_();
    q->set_name(name);
    q->mutable_quantity()->set_text(value);
  }
  (*spec.mutable_param_init())["v"] = "EL";
  v1::Input* input = spec.add_inputs();
  input->set_variable("I");
  input->mutable_traces()->set_n_traces(3);
  input->mutable_traces()->set_n_steps(5000);
  input->mutable_traces()->mutable_unit()->set_text("nA");
  for (double amplitude : {0.8, 1.2, 1.8}) {
    for (int k = 0; k < 5000; ++k) {
      input->mutable_traces()->add_values(k >= 500 && k < 4500 ? amplitude
                                                               : 0.0);
    }
  }
  // The recorded spikes come from Simulate with the true parameters.
  v1::SimulateRequest simulate;
  *simulate.mutable_spec() = spec;
  simulate.add_variables("spikes");
  for (const auto& [name, value] : std::vector<std::pair<std::string, double>>{
           {"C", 281e-12}, {"b", 80.5e-12}}) {
    v1::Column* column = simulate.mutable_params()->add_columns();
    column->set_name(name);
    column->add_values(value);
  }
  v1::Output* output = spec.add_outputs();
  output->set_variable("spikes");
  {
    grpc::ClientContext context;
    auto reader = stub->Simulate(&context, simulate);
    v1::GenerateChunk chunk;
    while (reader->Read(&chunk))
      *output->mutable_spikes()->add_trains() = chunk.spikes();
    grpc::Status status = reader->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  ASSERT_EQ(output->spikes().trains_size(), 3);
  v1::CreateFitterRequest create;
  *create.mutable_spec() = spec;
  v1::FitterInfo info;
  {
    grpc::ClientContext context;
    grpc::Status status = stub->CreateFitter(&context, create, &info);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  v1::FitRequest fit;
  fit.set_fitter_id(info.id());
  fit.set_n_rounds(30);
  fit.mutable_optimizer()->set_seed(7);
  v1::MetricSpec* metric = fit.add_metrics();
  metric->mutable_gamma()->mutable_delta()->set_text("2*ms");
  metric->mutable_gamma()->mutable_time()->set_text("500*ms");
  for (const auto& [name, lower, upper] :
       std::vector<std::tuple<const char*, const char*, const char*>>{
           {"C", "100*pF", "500*pF"}, {"b", "10*pA", "200*pA"}}) {
    v1::Bounds* b = fit.add_bounds();
    b->set_parameter(name);
    b->mutable_lower()->set_text(lower);
    b->mutable_upper()->set_text(upper);
  }
  std::vector<v1::FitRound> rounds;
  grpc::Status status = RunFit(*stub, fit, &rounds);
  ASSERT_TRUE(status.ok()) << status.error_message();
  for (const v1::Column& column : rounds.back().best_params().columns()) {
    const double truth = column.name() == "C" ? 281e-12 : 80.5e-12;
    EXPECT_NEAR(column.values(0), truth, 0.1 * truth) << column.name();
  }
}

}  // namespace
}  // namespace cellfit::testing
