// The fitting machinery with a real SQLite file, the real dispatcher, real
// optimizers and in-process workers running the real simulation code (the
// gRPC layer and worker processes are tested in tests/).
#include "server/fitting/fitter_manager.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <future>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/fitting/in_process_worker.h"
#include "worker/jobs/hh_example_for_tests.h"
#include "worker/jobs/job.h"

namespace cellfit::fitting {
namespace {

namespace fs = std::filesystem;

v1::SimulateRequest HhSimulation();

class FittingTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat(
               "cellfit_fitting_test_", getpid(), "_",
               testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Open();
    for (int k = 0; k < 2; ++k) {
      const std::string id = absl::StrCat("w", k);
      workers_.push_back(std::make_shared<InProcessWorker>(&dispatcher_, id));
      dispatcher_.AddWorker(id, 1, false, workers_.back());
    }
  }
  void TearDown() override {
    manager_.reset();
    for (size_t k = 0; k < workers_.size(); ++k) {
      dispatcher_.RemoveWorker(absl::StrCat("w", k));
    }
    workers_.clear();
    fs::remove_all(dir_);
  }
  void Open() {
    manager_.reset();
    database_.reset();
    auto db = storage::Database::Open((dir_ / "cellfit.db").string());
    ASSERT_TRUE(db.ok()) << db.status();
    database_ = std::move(*db);
    manager_ = std::make_unique<FitterManager>(database_.get(), &dispatcher_);
  }

  std::string CreateHh() {
    v1::CreateFitterRequest create;
    *create.mutable_spec() = jobs::HhExampleSpec();
    auto info = manager_->CreateFitter("alice", create);
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? info->id() : "";
  }

  absl::Status RunFit(const v1::FitRequest& fit,
                      std::vector<v1::FitRound>* rounds, int stop_after = -1) {
    int seen = 0;
    return manager_->Fit(
        "alice", fit,
        [&](const v1::FitRound& round) {
          rounds->push_back(round);
          ++seen;
          return true;
        },
        [&] {
          return seen == stop_after ? ClientControl::kStop
                                    : ClientControl::kProceed;
        },
        [] { return false; });
  }

  fs::path dir_;
  dispatch::Dispatcher dispatcher_;
  std::vector<std::shared_ptr<InProcessWorker>> workers_;
  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<FitterManager> manager_;
};

TEST_F(FittingTest,
       HhExampleTenRoundsImprovesTenfoldAndRecordsEveryEvaluation) {
  const std::string id = CreateHh();
  std::vector<v1::FitRound> rounds;
  ASSERT_TRUE(RunFit(jobs::HhExampleFit(id, 10), &rounds).ok());
  ASSERT_EQ(rounds.size(), 10u);
  // Random parameters within the bounds (the initial round) against the fit
  // after ten rounds.
  double initial = 0;
  for (double e : rounds[0].errors()) initial += e / rounds[0].errors_size();
  const double final_best = rounds.back().best_error();
  EXPECT_LT(final_best * 10, initial)
      << "initial round's mean error " << initial << ", best after 10 rounds "
      << final_best;
  EXPECT_TRUE(rounds.back().last());
  EXPECT_EQ(rounds.back().error_dimension().metre(), 4);  // volt^2
  auto count = database_->CountEvaluations(id);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 200);
  // The streamed rounds are the recorded rows.
  std::vector<v1::ResultsChunk> chunks;
  ASSERT_TRUE(manager_
                  ->Results("alice", v1::ResultsRequest(),
                            [&](const auto& c) {
                              chunks.push_back(c);
                              return true;
                            })
                  .code() == absl::StatusCode::kInvalidArgument);
  v1::ResultsRequest results;
  results.set_fitter_id(id);
  ASSERT_TRUE(manager_
                  ->Results("alice", results,
                            [&](const auto& c) {
                              chunks.push_back(c);
                              return true;
                            })
                  .ok());
  ASSERT_EQ(chunks.size(), 1u);
  const v1::Column* error = nullptr;
  for (const auto& c : chunks[0].columns()) {
    if (c.name() == "error") error = &c;
  }
  ASSERT_NE(error, nullptr);
  ASSERT_EQ(error->values_size(), 200);
  for (int r = 0; r < 10; ++r) {
    for (int s = 0; s < 20; ++s) {
      EXPECT_EQ(error->values(r * 20 + s), rounds[r].errors(s));
    }
  }
  EXPECT_GT(workers_[0]->batches_run(), 0);
  EXPECT_GT(workers_[1]->batches_run(), 0);
}

// A round large enough to be cut into shrinking batches is shared by
// throughput: a worker six times slower than the other two runs the batch it
// started each round and no more (about 12% of the samples). An even split
// would give it a third; without idle workers taking over its waiting batch,
// it would run two batches a round (22%). Every sample is still evaluated and
// recorded once.
TEST_F(FittingTest, AFasterWorkerTakesMoreOfALargeRound) {
  workers_.push_back(
      std::make_shared<InProcessWorker>(&dispatcher_, "w2", /*slowdown=*/6));
  dispatcher_.AddWorker("w2", 1, false, workers_.back());
  v1::CreateFitterRequest create;
  *create.mutable_spec() = jobs::HhExampleSpec();
  create.mutable_spec()->set_n_samples(120);
  auto info = manager_->CreateFitter("alice", create);
  ASSERT_TRUE(info.ok()) << info.status();
  std::vector<v1::FitRound> rounds;
  ASSERT_TRUE(RunFit(jobs::HhExampleFit(info->id(), 3), &rounds).ok());
  EXPECT_EQ(*database_->CountEvaluations(info->id()), 360);
  const int fast0 = workers_[0]->samples_run();
  const int fast1 = workers_[1]->samples_run();
  const int slow = workers_[2]->samples_run();
  EXPECT_EQ(fast0 + fast1 + slow, 360) << "a sample was run twice or never";
  EXPECT_GT(slow, 0);
  EXPECT_LT(slow * 6, 360) << "fast workers ran " << fast0 << " and " << fast1
                           << " samples, the slow one " << slow;
}

// Rounds are committed on a thread of their own while the next one simulates;
// none may reach the client before its rows are in the database.
TEST_F(FittingTest, EveryRoundIsRecordedBeforeItIsShown) {
  const std::string id = CreateHh();
  std::vector<int64_t> recorded_when_shown;
  ASSERT_TRUE(
      manager_
          ->Fit(
              "alice", jobs::HhExampleFit(id, 8),
              [&](const v1::FitRound&) {
                recorded_when_shown.push_back(*database_->CountEvaluations(id));
                return true;
              },
              [] { return ClientControl::kProceed; }, [] { return false; })
          .ok());
  ASSERT_EQ(recorded_when_shown.size(), 8u);
  for (size_t k = 0; k < recorded_when_shown.size(); ++k) {
    EXPECT_GE(recorded_when_shown[k], 20 * static_cast<int64_t>(k + 1))
        << "round " << k;
  }
  EXPECT_EQ(*database_->CountEvaluations(id), 160);
}

TEST_F(FittingTest, StoppingAfterRoundThreeRecordsExactlyThreeRounds) {
  const std::string id = CreateHh();
  v1::FitRequest fit = jobs::HhExampleFit(id, 10);
  fit.set_acknowledge_rounds(true);
  std::vector<v1::FitRound> rounds;
  ASSERT_TRUE(RunFit(fit, &rounds, /*stop_after=*/3).ok());
  EXPECT_EQ(rounds.size(), 3u);
  EXPECT_EQ(*database_->CountEvaluations(id), 60);
}

// With rounds_ahead = 1 the server evaluates the next round while the client
// still holds the last one; a stop then ends the fit after that round, which
// is recorded and shown like the others.
TEST_F(FittingTest, RoundsAheadHidesTheClientsRoundTrip) {
  const std::string id = CreateHh();
  v1::FitRequest fit = jobs::HhExampleFit(id, 10);
  fit.set_acknowledge_rounds(true);
  fit.set_rounds_ahead(1);
  std::vector<v1::FitRound> rounds;
  bool next_round_ran = false;
  absl::Status status = manager_->Fit(
      "alice", fit,
      [&](const v1::FitRound& round) {
        rounds.push_back(round);
        if (round.round() == 2) {
          // Round 3 completes before this client answers for round 2.
          for (int k = 0; k < 3000 && !next_round_ran; ++k) {
            next_round_ran = *database_->CountEvaluations(id) >= 80;
            if (!next_round_ran) absl::SleepFor(absl::Milliseconds(10));
          }
        }
        return true;
      },
      [&] {
        return rounds.size() == 3 ? ClientControl::kStop
                                  : ClientControl::kProceed;
      },
      [] { return false; });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(next_round_ran);
  ASSERT_EQ(rounds.size(), 4u);
  EXPECT_EQ(rounds.back().round(), 3u);
  EXPECT_EQ(*database_->CountEvaluations(id), 80);

  fit.set_rounds_ahead(9);
  fit.set_restart(true);
  EXPECT_EQ(RunFit(fit, &rounds).code(), absl::StatusCode::kInvalidArgument);
}

// A round that cannot be committed ends the fit with the database's error,
// even while the fit waits for the client's acknowledgement of that round
// (which can never come: the round is never shown).
TEST_F(FittingTest, ARoundThatCannotBeRecordedFailsTheFit) {
  const std::string id = CreateHh();
  v1::FitRequest fit = jobs::HhExampleFit(id, 10);
  fit.set_acknowledge_rounds(true);
  std::vector<v1::FitRound> rounds;
  absl::Status status = manager_->Fit(
      "alice", fit,
      [&](const v1::FitRound& round) {
        rounds.push_back(round);
        if (round.round() == 1) {
          // Another writer takes round 2's place in the run.
          auto fitter = database_->GetFitter(id);
          storage::RoundInput intruder;
          intruder.round = 2;
          intruder.iteration = 2;
          EXPECT_TRUE(
              database_->RecordRound(fitter->current_run->id, intruder).ok());
        }
        return true;
      },
      [] { return ClientControl::kProceed; }, [] { return false; });
  EXPECT_EQ(rounds.size(), 2u);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_NE(status.message().find("round 2 is already recorded"),
            std::string::npos)
      << status;
  auto fitter = database_->GetFitter(id);
  ASSERT_TRUE(fitter.ok());
  EXPECT_EQ(fitter->state, storage::FitterState::kFailed);
}

TEST_F(FittingTest, ContinuationAndRestartFollowBrian2modelfitting) {
  const std::string id = CreateHh();
  std::vector<v1::FitRound> rounds;
  ASSERT_TRUE(RunFit(jobs::HhExampleFit(id, 2), &rounds).ok());
  // A later fit continues the optimizer and the iteration counter.
  v1::FitRequest more;
  more.set_fitter_id(id);
  more.set_n_rounds(2);
  ASSERT_TRUE(RunFit(more, &rounds).ok());
  ASSERT_EQ(rounds.size(), 4u);
  EXPECT_EQ(rounds[3].round(), 3u);
  EXPECT_EQ(rounds[3].iteration(), 3u);
  EXPECT_EQ(rounds[3].run(), 0u);
  // Changing the optimizer or the metric needs a restart.
  v1::FitRequest other = jobs::HhExampleFit(id, 1);
  other.mutable_optimizer()->set_method("CMAES");
  EXPECT_EQ(RunFit(other, &rounds).code(),
            absl::StatusCode::kFailedPrecondition);
  v1::FitRequest metric = jobs::HhExampleFit(id, 1);
  metric.mutable_metrics(0)->mutable_mse()->mutable_t_start()->set_text("1*ms");
  EXPECT_EQ(RunFit(metric, &rounds).code(),
            absl::StatusCode::kFailedPrecondition);
  other.set_restart(true);
  ASSERT_TRUE(RunFit(other, &rounds).ok());
  EXPECT_EQ(rounds.back().run(), 1u);
  EXPECT_EQ(rounds.back().round(), 0u);
  EXPECT_EQ(rounds.back().iteration(), 0u);
  auto info = manager_->GetFitter("alice", id);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->optimizer(), "CMAES");
  EXPECT_EQ(info->rounds_done(), 1u);
  // Another user sees nothing.
  EXPECT_EQ(manager_->GetFitter("bob", id).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(FittingTest, ResumesFromTheLastRecordedRoundAfterARestart) {
  const std::string id = CreateHh();
  // Reference: five rounds in one go.
  std::vector<v1::FitRound> reference;
  ASSERT_TRUE(RunFit(jobs::HhExampleFit(id, 5), &reference).ok());
  const std::string second = CreateHh();
  std::vector<v1::FitRound> rounds;
  v1::FitRequest fit = jobs::HhExampleFit(second, 5);
  fit.set_acknowledge_rounds(true);
  // The client leaves after two rounds without stopping; then the server
  // goes down with the fit marked running.
  int seen = 0;
  absl::Status status = manager_->Fit(
      "alice", fit,
      [&](const v1::FitRound& round) {
        rounds.push_back(round);
        return ++seen < 2;
      },
      [] { return ClientControl::kProceed; }, [] { return false; });
  ASSERT_EQ(*database_->CountEvaluations(second), 40);
  ASSERT_TRUE(
      database_->SetFitterState(second, storage::FitterState::kRunning).ok());
  Open();  // a new server process on the same database
  ASSERT_TRUE(manager_->ResumeInterruptedFits().ok());
  std::vector<v1::FitRound> watched;
  v1::WatchRequest watch;
  watch.set_fitter_id(second);
  ASSERT_TRUE(manager_
                  ->Watch("alice", watch,
                          [&](const v1::FitRound& round) {
                            watched.push_back(round);
                            return true;
                          })
                  .ok());
  ASSERT_EQ(watched.size(), 5u);
  EXPECT_EQ(*database_->CountEvaluations(second), 100);
  // Same seed, same data: the resumed fit proposes what the uninterrupted one
  // did, round for round.
  for (int r = 0; r < 5; ++r) {
    for (int s = 0; s < 20; ++s) {
      EXPECT_EQ(watched[r].errors(s), reference[r].errors(s)) << r << "," << s;
    }
  }
}

TEST_F(FittingTest, GenerateGivesTracesOfTheBestParameters) {
  const std::string id = CreateHh();
  v1::GenerateRequest generate;
  generate.set_fitter_id(id);
  EXPECT_EQ(
      manager_->Generate("alice", generate, [](const auto&) { return true; })
          .code(),
      absl::StatusCode::kFailedPrecondition);
  std::vector<v1::FitRound> rounds;
  ASSERT_TRUE(RunFit(jobs::HhExampleFit(id, 1), &rounds).ok());
  generate.add_variables("v");
  generate.add_variables("m");
  std::vector<v1::GenerateChunk> chunks;
  ASSERT_TRUE(manager_
                  ->Generate("alice", generate,
                             [&](const auto& c) {
                               chunks.push_back(c);
                               return true;
                             })
                  .ok());
  ASSERT_EQ(chunks.size(), 10u);  // 2 variables x 5 traces
  EXPECT_EQ(chunks[0].variable(), "v");
  EXPECT_EQ(chunks[0].n_steps(), 1497u);
  EXPECT_EQ(chunks[0].values_size(), 1497);
  EXPECT_DOUBLE_EQ(chunks[0].values(0), -0.063);
  EXPECT_EQ(chunks[5].variable(), "m");
}

// A variable listed twice was streamed once per listing for each listing
// (N listings, N*N traces), and an answer larger than a worker's message
// broke its stream and was asked for again without end.
TEST_F(FittingTest, SimulateAndGenerateRecordEachVariableOnceAndBoundedly) {
  auto simulate = [&](const std::vector<std::string>& variables) {
    v1::SimulateRequest request = HhSimulation();
    request.clear_variables();
    for (const std::string& v : variables) request.add_variables(v);
    return manager_->Simulate("alice", request,
                              [](const auto&) { return true; });
  };
  const absl::Status twice = simulate({"v", "m", "v"});
  EXPECT_EQ(twice.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(twice.message().find("'v' is asked for twice"), std::string::npos)
      << twice;
  EXPECT_EQ(simulate(std::vector<std::string>(65, "v")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(simulate({"v", "m"}).ok());

  // 5 traces x 1497 steps: two variables are 14970 values.
  FitterManagerOptions small;
  small.max_recorded_values = 10000;
  manager_ =
      std::make_unique<FitterManager>(database_.get(), &dispatcher_, small);
  const absl::Status large = simulate({"v", "m"});
  EXPECT_EQ(large.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(large.message().find("is 14970 values; at most 10000"),
            std::string::npos)
      << large;
  EXPECT_TRUE(simulate({"v"}).ok());
  v1::GenerateRequest generate;
  generate.set_fitter_id(CreateHh());
  generate.add_variables("v");
  generate.add_variables("v");
  generate.mutable_params()->CopyFrom(HhSimulation().params());
  EXPECT_EQ(
      manager_->Generate("alice", generate, [](const auto&) { return true; })
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(FittingTest, CreateReportsEveryProblemAtOnce) {
  v1::CreateFitterRequest create;
  *create.mutable_spec() = jobs::HhExampleSpec();
  create.mutable_spec()->set_model(create.spec().model() +
                                   "\nbad = 1*mV + 1*nA : volt\n");
  create.mutable_spec()->mutable_dt()->set_text("0.01*mV");
  auto info = manager_->CreateFitter("alice", create);
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find("dt must be a time"),
            std::string::npos);
  EXPECT_NE(info.status().message().find("inconsistent units"),
            std::string::npos)
      << info.status();
}

}  // namespace
}  // namespace cellfit::fitting

namespace cellfit::fitting {
namespace {

TEST_F(FittingTest, RefineLowersTheErrorOfTheBestFit) {
  const std::string id = CreateHh();
  std::vector<v1::FitRound> rounds;
  ASSERT_TRUE(RunFit(jobs::HhExampleFit(id, 3), &rounds).ok());
  v1::RefineRequest refine;
  refine.set_fitter_id(id);
  refine.set_max_iterations(15);
  std::vector<v1::RefineUpdate> updates;
  ASSERT_TRUE(manager_
                  ->Refine("alice", refine,
                           [&](const v1::RefineUpdate& u) {
                             updates.push_back(u);
                             return true;
                           })
                  .ok());
  ASSERT_GE(updates.size(), 2u);
  EXPECT_TRUE(updates.back().done());
  // The first update is the start point: the fit's best error, recomputed.
  EXPECT_NEAR(updates.front().error(), rounds.back().best_error(),
              1e-9 * rounds.back().best_error());
  EXPECT_LT(updates.back().error(), 0.5 * rounds.back().best_error())
      << updates.back().message();
  for (size_t k = 1; k < updates.size(); ++k) {
    EXPECT_LE(updates[k].error(), updates[k - 1].error());
  }
}

}  // namespace
}  // namespace cellfit::fitting

namespace cellfit::fitting {
namespace {

// brian2modelfitting's SpikeFitter use case: spike times generated by an AdEx
// neuron with known parameters; a GammaFactor fit recovers them.
TEST_F(FittingTest, SpikeFitterRecoversAdExParametersWithinTenPercent) {
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
  const std::vector<std::pair<std::string, std::string>> constants = {
      {"gL", "30*nS"},    {"EL", "-70.6*mV"}, {"VT", "-50.4*mV"},
      {"DeltaT", "2*mV"}, {"Vr", "-70.6*mV"}, {"a", "4*nS"},
      {"tau_w", "144*ms"}};
  for (const auto& [name, value] : constants) {
    v1::NamedQuantity* q = spec.add_namespace_();
    q->set_name(name);
    q->mutable_quantity()->set_text(value);
  }
  (*spec.mutable_param_init())["v"] = "EL";
  const int n_steps = 5000;  // 500 ms
  v1::Input* input = spec.add_inputs();
  input->set_variable("I");
  input->mutable_traces()->set_n_traces(3);
  input->mutable_traces()->set_n_steps(n_steps);
  input->mutable_traces()->mutable_unit()->set_text("nA");
  for (double amplitude : {0.8, 1.2, 1.8}) {
    for (int k = 0; k < n_steps; ++k) {
      input->mutable_traces()->add_values(k >= 500 && k < 4500 ? amplitude
                                                               : 0.0);
    }
  }
  // The recorded spikes: the model itself with C = 281 pF, b = 80.5 pA.
  const double true_c = 281e-12, true_b = 80.5e-12;
  v1::JobData generator;
  generator.set_job_id("truth");
  *generator.mutable_spec() = spec;
  generator.mutable_spec()->add_outputs()->set_variable("spikes");
  for (int t = 0; t < 3; ++t)
    generator.mutable_spec()
        ->mutable_outputs(0)
        ->mutable_spikes()
        ->add_trains();
  generator.add_parameters("C");
  generator.add_parameters("b");
  auto truth_job = jobs::Job::Prepare(generator, {});
  ASSERT_TRUE(truth_job.ok()) << truth_job.status();
  v1::Batch truth;
  truth.set_n_samples(1);
  truth.add_params(true_c);
  truth.add_params(true_b);
  truth.add_record("spikes");
  auto recorded = (*truth_job)->Run(truth);
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  v1::Output* output = spec.add_outputs();
  output->set_variable("spikes");
  int total = 0;
  for (const v1::SpikeTrain& train : recorded->spikes()) {
    *output->mutable_spikes()->add_trains() = train;
    total += train.times_size();
  }
  ASSERT_GT(total, 15) << "the generated spike trains are too sparse to fit";

  v1::CreateFitterRequest create;
  *create.mutable_spec() = spec;
  auto info = manager_->CreateFitter("alice", create);
  ASSERT_TRUE(info.ok()) << info.status();
  v1::FitRequest fit;
  fit.set_fitter_id(info->id());
  fit.set_n_rounds(30);
  fit.mutable_optimizer()->set_method("DE");
  fit.mutable_optimizer()->set_seed(7);
  v1::MetricSpec* metric = fit.add_metrics();
  metric->mutable_gamma()->mutable_delta()->set_text("2*ms");
  metric->mutable_gamma()->mutable_time()->set_text("500*ms");
  auto bound = [&](const char* name, const char* lower, const char* upper) {
    v1::Bounds* b = fit.add_bounds();
    b->set_parameter(name);
    b->mutable_lower()->set_text(lower);
    b->mutable_upper()->set_text(upper);
  };
  bound("C", "100*pF", "500*pF");
  bound("b", "10*pA", "200*pA");
  std::vector<v1::FitRound> rounds;
  ASSERT_TRUE(RunFit(fit, &rounds).ok());
  const v1::ParameterTable& best = rounds.back().best_params();
  double c = 0, b = 0;
  for (const v1::Column& column : best.columns()) {
    if (column.name() == "C") c = column.values(0);
    if (column.name() == "b") b = column.values(0);
  }
  EXPECT_NEAR(c, true_c, 0.1 * true_c)
      << "best error " << rounds.back().best_error();
  EXPECT_NEAR(b, true_b, 0.1 * true_b)
      << "best error " << rounds.back().best_error();
}

}  // namespace
}  // namespace cellfit::fitting

namespace cellfit::fitting {
namespace {

// calc_gradient: the Jacobian from the sensitivity equations, one simulation
// per evaluation; it must lower the error as the finite differences do.
TEST_F(FittingTest, RefineWithSensitivityEquations) {
  const std::string id = CreateHh();
  std::vector<v1::FitRound> rounds;
  ASSERT_TRUE(RunFit(jobs::HhExampleFit(id, 3), &rounds).ok());
  v1::RefineRequest refine;
  refine.set_fitter_id(id);
  refine.set_max_iterations(15);
  refine.set_calc_gradient(true);
  std::vector<v1::RefineUpdate> updates;
  absl::Status status =
      manager_->Refine("alice", refine, [&](const v1::RefineUpdate& u) {
        updates.push_back(u);
        return true;
      });
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_GE(updates.size(), 2u);
  EXPECT_LT(updates.back().error(), 0.5 * rounds.back().best_error())
      << updates.back().message();
}

}  // namespace
}  // namespace cellfit::fitting

namespace cellfit::fitting {
namespace {

// A simulation of the HH example at its usual parameters (SI values).
v1::SimulateRequest HhSimulation() {
  v1::SimulateRequest simulate;
  *simulate.mutable_spec() = jobs::HhExampleSpec();
  simulate.add_variables("v");
  for (const auto& [name, value] : std::vector<std::pair<const char*, double>>{
           {"gl", 1e-8}, {"g_na", 2e-5}, {"g_kd", 6e-6}, {"Cm", 2e-10}}) {
    v1::Column* column = simulate.mutable_params()->add_columns();
    column->set_name(name);
    column->add_values(value);
  }
  return simulate;
}

// With no worker connected a simulation waits (one may join), but a handler
// left waiting after its client went away would also hold the server's
// shutdown forever: the wait ends when the client leaves, and when the
// server shuts down.
class WaitForWorkerTest : public FittingTest {
 protected:
  void SetUp() override {
    FittingTest::SetUp();
    for (size_t k = 0; k < workers_.size(); ++k) {
      dispatcher_.RemoveWorker(absl::StrCat("w", k));
    }
  }
  // The status of `simulation` once it ends. A bound on the wait only so
  // that a regression fails instead of hanging: a worker then joins to let
  // the simulation end.
  absl::Status Outcome(std::future<absl::Status>& simulation) {
    if (simulation.wait_for(std::chrono::seconds(10)) !=
        std::future_status::ready) {
      ADD_FAILURE() << "the simulation still waits for a worker";
      const std::string id = absl::StrCat("w", workers_.size());
      workers_.push_back(std::make_shared<InProcessWorker>(&dispatcher_, id));
      dispatcher_.AddWorker(id, 1, false, workers_.back());
    }
    return simulation.get();
  }
};

TEST_F(WaitForWorkerTest, EndsWhenTheClientLeaves) {
  std::atomic<bool> gone{false};
  auto simulation = std::async(std::launch::async, [&] {
    return manager_->Simulate(
        "alice", HhSimulation(), [](const auto&) { return true; },
        [&] { return gone.load(); });
  });
  // Still waiting: nothing has answered and nothing has failed.
  EXPECT_EQ(simulation.wait_for(std::chrono::milliseconds(500)),
            std::future_status::timeout);
  gone = true;
  EXPECT_EQ(Outcome(simulation).code(), absl::StatusCode::kCancelled);
}

TEST_F(WaitForWorkerTest, EndsWhenTheServerShutsDown) {
  auto simulation = std::async(std::launch::async, [&] {
    return manager_->Simulate("alice", HhSimulation(),
                              [](const auto&) { return true; });
  });
  EXPECT_EQ(simulation.wait_for(std::chrono::milliseconds(500)),
            std::future_status::timeout);
  manager_->Shutdown();
  absl::Status status = Outcome(simulation);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find("shutting down"), std::string::npos);
}

}  // namespace
}  // namespace cellfit::fitting

namespace cellfit::fitting {
namespace {

// A trace fitter whose steady state is a*iteration and whose target is 1, so
// the refined `a` is 1/iteration: it shows the iteration the simulations of
// refine ran with.
class RefineIterationTest : public FittingTest {
 protected:
  std::string CreateIterationFitter() {
    v1::FitterSpec spec;
    spec.set_kind(v1::FITTER_KIND_TRACE);
    spec.set_model(
        "dv/dt = (a*iteration + I - v)/(2*ms) : 1\n"
        "a : 1 (constant)\n");
    spec.mutable_dt()->set_text("0.1*ms");
    spec.set_n_samples(1);
    (*spec.mutable_param_init())["v"] = "1";
    constexpr int kSteps = 200;
    v1::TraceSet* input = spec.add_inputs()->mutable_traces();
    spec.mutable_inputs(0)->set_variable("I");
    input->set_n_traces(1);
    input->set_n_steps(kSteps);
    v1::TraceSet* target = spec.add_outputs()->mutable_traces();
    spec.mutable_outputs(0)->set_variable("v");
    target->set_n_traces(1);
    target->set_n_steps(kSteps);
    for (int k = 0; k < kSteps; ++k) {
      input->add_values(0.0);
      target->add_values(1.0);
    }
    v1::CreateFitterRequest create;
    *create.mutable_spec() = spec;
    auto info = manager_->CreateFitter("alice", create);
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? info->id() : "";
  }

  static v1::RefineRequest FromHalf(const std::string& id) {
    v1::RefineRequest refine;
    refine.set_fitter_id(id);
    v1::Column* a = refine.mutable_params()->add_columns();
    a->set_name("a");
    a->add_values(0.5);
    v1::Bounds* bounds = refine.add_bounds();
    bounds->set_parameter("a");
    bounds->mutable_lower()->set_text("0");
    bounds->mutable_upper()->set_text("1");
    return refine;
  }

  // The refined `a`, and every update streamed before the last.
  absl::StatusOr<double> RunRefine(const v1::RefineRequest& refine,
                                   std::vector<v1::RefineUpdate>* steps,
                                   std::string* message) {
    v1::RefineUpdate last;
    absl::Status status =
        manager_->Refine("alice", refine, [&](const v1::RefineUpdate& u) {
          if (u.done()) {
            last = u;
          } else {
            steps->push_back(u);
          }
          return true;
        });
    if (!status.ok()) return status;
    *message = last.message();
    return last.params().columns(0).values(0);
  }
};

TEST_F(RefineIterationTest, TheGivenIterationReachesTheSimulations) {
  const std::string id = CreateIterationFitter();
  v1::RefineRequest refine = FromHalf(id);
  refine.set_iteration(4);
  std::vector<v1::RefineUpdate> steps;
  std::string message;
  auto a = RunRefine(refine, &steps, &message);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_NEAR(*a, 0.25, 1e-4) << message;
}

TEST_F(RefineIterationTest, WithoutAnIterationItIsBrian2ModelfittingsBillion) {
  const std::string id = CreateIterationFitter();
  std::vector<v1::RefineUpdate> steps;
  std::string message;
  auto a = RunRefine(FromHalf(id), &steps, &message);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_LT(*a, 1e-6) << message;  // 1/iteration = 1e-9
}

// max_evaluations (max_nfev) limits simulations, finite-difference points
// included, and every_evaluation streams each of them.
TEST_F(RefineIterationTest, MaxEvaluationsLimitsTheSimulations) {
  const std::string id = CreateIterationFitter();
  v1::RefineRequest refine = FromHalf(id);
  refine.set_iteration(4);
  refine.set_max_evaluations(5);
  refine.set_every_evaluation(true);
  std::vector<v1::RefineUpdate> steps;
  std::string message;
  auto a = RunRefine(refine, &steps, &message);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_LE(steps.size(), 5u);
  EXPECT_GE(steps.size(), 3u);  // start, its finite difference, a trial
  EXPECT_NE(message.find("max_nfev"), std::string::npos) << message;
  EXPECT_NE(message.find(absl::StrCat("(", steps.size(), " simulations)")),
            std::string::npos)
      << message;
  // Without the limit it needs more simulations than that to converge.
  refine.clear_max_evaluations();
  std::vector<v1::RefineUpdate> all;
  ASSERT_TRUE(RunRefine(refine, &all, &message).ok());
  EXPECT_GT(all.size(), 5u) << message;
}

}  // namespace
}  // namespace cellfit::fitting
