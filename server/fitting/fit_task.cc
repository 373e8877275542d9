#include "server/fitting/fit_task.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "server/fitting/batch_plan.h"
#include "server/fitting/round_scoring.h"

namespace cellfit::fitting {
namespace {

// Evaluated rounds that may wait for their commit before the fit thread waits
// too (a crash loses them: the fit resumes from the last committed round).
constexpr size_t kRoundsAwaitingCommit = 4;
// How long an evaluated round may wait for others to share its commit.
constexpr absl::Duration kGroupCommitWait = absl::Milliseconds(5);

// Shown by top -H and perf instead of the gRPC thread name they would inherit.
void NameThisThread(const char* name) {
  pthread_setname_np(pthread_self(), name);
}

// The recorder's work (a SQLite commit, then publishing) is off the fit's
// critical path, but it becomes runnable at the very moment a round ends,
// together with the thread that must send the next round's batches and the
// workers that must start them. At a lower priority it yields to them and
// fills the gaps while workers wait for messages (HH rounds on two cores:
// 3-8% faster in paired runs). Linux gives each thread its own nice value.
void LowerThisThreadsPriority() {
  constexpr int kNiceIncrement = 10;
  const id_t thread = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, thread);
  if (errno == 0) setpriority(PRIO_PROCESS, thread, nice + kNiceIncrement);
}

// A trace fitter's neurons keep their traces for the metrics until the end
// of a batch; an online or spike fitter's keep none.
int64_t TraceValuesPerNeuron(const FitterModel& model) {
  int64_t values = 0;
  if (model.kind != v1::FITTER_KIND_TRACE) return values;
  for (const auto& output : model.converted.outputs) {
    if (!output.spikes) values += model.converted.n_steps;
  }
  return values;
}

}  // namespace

FitTask::FitTask(FitTaskSetup setup)
    : setup_(std::move(setup)),
      first_round_(setup_.run.rounds_done),
      trace_values_per_neuron_(TraceValuesPerNeuron(*setup_.model)) {}

FitTask::~FitTask() {
  Interrupt();
  if (thread_.joinable()) thread_.join();
}

void FitTask::Start() {
  recorder_ = std::thread([this] {
    NameThisThread("cellfit-record");
    RecordLoop();
  });
  thread_ = std::thread([this] {
    NameThisThread("cellfit-fit");
    Loop();
  });
}

void FitTask::Ack(int64_t round) {
  absl::MutexLock lock(&mu_);
  acked_ = std::max(acked_, round);
}

void FitTask::Stop(bool client_gone) {
  absl::MutexLock lock(&mu_);
  if (end_request_ == End::kNone) {
    end_request_ = client_gone ? End::kClientGone : End::kStopped;
  }
}

void FitTask::Cancel() {
  absl::MutexLock lock(&mu_);
  if (end_request_ == End::kNone || end_request_ == End::kStopped ||
      end_request_ == End::kClientGone) {
    end_request_ = End::kCancelled;
  }
  abandon_round_ = true;
}

void FitTask::Interrupt() {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  end_request_ = End::kInterrupted;
  abandon_round_ = true;
}

FitTask::Wait FitTask::NextRound(int64_t next, v1::FitRound* round,
                                 absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [&]() {
    if (finished_) return true;
    return !published_.empty() &&
           static_cast<int64_t>(published_.back().round()) >= next;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&ready), timeout))
    return Wait::kTimeout;
  for (const v1::FitRound& candidate : published_) {
    if (static_cast<int64_t>(candidate.round()) >= next) {
      *round = candidate;
      return Wait::kRound;
    }
  }
  return Wait::kEnded;
}

void FitTask::AwaitFinished() const {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(&finished_));
}

bool FitTask::finished() const {
  absl::MutexLock lock(&mu_);
  return finished_;
}

absl::Status FitTask::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

void FitTask::Loop() {
  int64_t round = setup_.run.rounds_done;
  absl::Status status;
  while (round < setup_.target_rounds) {
    {
      absl::MutexLock lock(&mu_);
      // A few rounds may wait for their commit while this one runs: the
      // recorder runs at a lower priority and commits when a core is free,
      // and a fit should not stop for it between two rounds. A crash loses
      // the uncommitted rounds; the fit resumes from the last committed one.
      auto caught_up = [&]() {
        return to_record_.size() <= kRoundsAwaitingCommit ||
               !record_status_.ok();
      };
      mu_.Await(absl::Condition(&caught_up));
      if (end_request_ != End::kNone || !record_status_.ok()) break;
    }
    status = RunRound(round);
    if (!status.ok()) break;
    if (setup_.acknowledge && round + 1 < setup_.target_rounds) {
      absl::MutexLock lock(&mu_);
      auto acknowledged = [&]() {
        // A round that cannot be recorded is never shown, so never
        // acknowledged.
        return acked_ >= round - setup_.rounds_ahead ||
               end_request_ != End::kNone || !record_status_.ok();
      };
      mu_.Await(absl::Condition(&acknowledged));
    }
    ++round;
  }
  Finish(status);
}

absl::Status FitTask::RunRound(int64_t round) {
  const auto started = std::chrono::steady_clock::now();
  optimize::Optimizer& optimizer = *setup_.optimizer;
  auto candidates = optimizer.Ask();
  if (!candidates.ok()) return candidates.status();
  const int n_samples = static_cast<int>(candidates->rows());
  const int n_params = static_cast<int>(candidates->cols());
  const int n_traces = setup_.model->converted.n_traces;
  const int64_t iteration = setup_.run.start_iteration + round;
  const std::vector<BatchPlan> plan =
      PlanBatches(n_samples, n_traces, trace_values_per_neuron_,
                  setup_.dispatcher->PoolFor(setup_.job_id));
  std::vector<v1::Batch> batches;
  for (const BatchPlan& part : plan) {
    v1::Batch batch;
    batch.set_n_samples(part.n_samples);
    batch.set_first_sample(part.first_sample);
    batch.set_iteration(static_cast<double>(iteration));
    batch.set_seed(setup_.settings.optimizer.seed * 1000003ULL + round);
    for (int s = part.first_sample; s < part.first_sample + part.n_samples;
         ++s) {
      for (int p = 0; p < n_params; ++p) batch.add_params((*candidates)(s, p));
    }
    batches.push_back(std::move(batch));
  }
  auto results =
      setup_.dispatcher->RunBatches(setup_.job_id, std::move(batches), [this] {
        absl::MutexLock lock(&mu_);
        return abandon_round_;
      });
  if (!results.ok()) return results.status();
  auto scores =
      ScoreRound(setup_.settings, n_samples, n_traces, plan, *results);
  if (!scores.ok()) return scores.status();
  Eigen::VectorXd errors(n_samples);
  for (int s = 0; s < n_samples; ++s) errors(s) = scores->total[s];
  if (absl::Status told = optimizer.Tell(*candidates, errors); !told.ok())
    return told;

  EvaluatedRound evaluated;
  storage::RoundInput& input = evaluated.input;
  input.round = round;
  input.iteration = iteration;
  input.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  input.checkpoint = optimizer.SaveState();
  RoundView& view = evaluated.view;
  view.fitter_id = setup_.fitter_id;
  view.run_index = setup_.run.index;
  view.round = round;
  view.iteration = iteration;
  view.seconds = input.seconds;
  view.objectives = scores->objectives;
  for (int s = 0; s < n_samples; ++s) {
    storage::Evaluation evaluation;
    evaluation.sample = s;
    for (int p = 0; p < n_params; ++p)
      evaluation.params.push_back((*candidates)(s, p));
    evaluation.error = scores->total[s];
    for (const auto& objective : scores->objectives) {
      evaluation.objectives.push_back(objective[s]);
    }
    view.params.push_back(evaluation.params);
    view.errors.push_back(evaluation.error);
    input.evaluations.push_back(std::move(evaluation));
  }
  absl::MutexLock lock(&mu_);
  evaluated.queued = absl::Now();
  to_record_.push_back(std::move(evaluated));
  return absl::OkStatus();
}

void FitTask::RecordLoop() {
  LowerThisThreadsPriority();
  std::vector<const storage::RoundInput*> waiting;
  for (;;) {
    waiting.clear();
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [&]() { return !to_record_.empty() || recording_ended_; };
      mu_.Await(absl::Condition(&has_work));
      // Rounds shorter than kGroupCommitWait share commits: a commit a
      // round took CPU from the simulating workers (two-worker HH rounds
      // were 1.06-1.10x faster with one commit for two, and faster again
      // with up to four). Not when anyone waits for this round's message to
      // go on: a client that acknowledges rounds, or the end of the fit.
      auto group_or_hurry = [&]() {
        return to_record_.size() >= kRoundsAwaitingCommit || recording_ended_ ||
               setup_.acknowledge || end_request_ != End::kNone;
      };
      if (!to_record_.empty()) {
        mu_.AwaitWithDeadline(absl::Condition(&group_or_hurry),
                              to_record_.front().queued + kGroupCommitWait);
      }
      if (to_record_.empty()) return;
      // The rounds stay queued (and unchanged; a deque keeps their addresses
      // while the fit thread appends) until they are committed, so that the
      // fit thread counts them as pending. Every round waiting goes into one
      // transaction.
      for (const EvaluatedRound& round : to_record_)
        waiting.push_back(&round.input);
    }
    auto runs = setup_.database->RecordRounds(setup_.run.id, waiting);
    absl::MutexLock lock(&mu_);
    if (!runs.ok()) {
      record_status_ = runs.status();
      to_record_.clear();
      return;
    }
    for (const storage::RunRecord& run : *runs) {
      RoundView view = std::move(to_record_.front().view);
      to_record_.pop_front();
      view.best_params = run.best_params;
      view.best_error =
          run.best_error.value_or(std::numeric_limits<double>::infinity());
      v1::FitRound message = MakeFitRound(view, setup_.units);
      message.set_last(view.round + 1 >= setup_.target_rounds);
      if (message.last()) message.set_stop_reason("completed");
      published_.push_back(std::move(message));
    }
  }
}

absl::Status FitTask::DrainRecorder() {
  {
    absl::MutexLock lock(&mu_);
    recording_ended_ = true;
  }
  if (recorder_.joinable()) recorder_.join();
  absl::MutexLock lock(&mu_);
  return record_status_;
}

void FitTask::Finish(const absl::Status& loop_status) {
  absl::Status status = loop_status;
  // Rounds already evaluated are committed and shown even when the fit is
  // stopping, cancelled or interrupted: their work is done.
  if (absl::Status recorded = DrainRecorder(); status.ok()) status = recorded;
  End end;
  size_t rounds_published = 0;
  {
    absl::MutexLock lock(&mu_);
    end = end_request_;
    rounds_published = published_.size();
  }
  storage::FitterState state = storage::FitterState::kIdle;
  std::string error;
  if (end == End::kInterrupted) {
    // Left RUNNING: the next server resumes it.
    status = absl::UnavailableError(
        "the server is shutting down; the fit resumes when it starts again");
  } else if (end == End::kCancelled) {
    status = absl::CancelledError("the fit was cancelled");
    state = storage::FitterState::kCancelled;
  } else if (!status.ok()) {
    if (status.code() == absl::StatusCode::kCancelled) {
      state = storage::FitterState::kCancelled;
    } else {
      state = storage::FitterState::kFailed;
      error = std::string(status.message());
      LOG(WARNING) << "fit of " << setup_.fitter_id << " failed: " << status;
    }
  } else if (end == End::kClientGone) {
    status = absl::CancelledError(
        "the client went away; the fit stopped after its round");
  }
  LOG(INFO) << "fit of " << setup_.fitter_id << " ended ("
            << (end == End::kInterrupted                    ? "interrupted"
                : state == storage::FitterState::kFailed    ? "failed"
                : state == storage::FitterState::kCancelled ? "cancelled"
                : end == End::kClientGone                   ? "client gone"
                : end == End::kStopped                      ? "stopped"
                                                            : "completed")
            << "): " << rounds_published << " rounds recorded by this call";
  if (end != End::kInterrupted) {
    if (absl::Status saved =
            setup_.database->SetFitterState(setup_.fitter_id, state, error);
        !saved.ok()) {
      LOG(ERROR) << "cannot record the state of " << setup_.fitter_id << ": "
                 << saved;
    }
  }
  absl::MutexLock lock(&mu_);
  status_ = status;
  finished_ = true;
}

}  // namespace cellfit::fitting
