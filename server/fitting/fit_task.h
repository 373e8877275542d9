// The rounds of one Fit call (or of a fit resumed after a restart), on a
// thread of their own so that a fit outlives its client's connection when it
// must (a server restart resumes it; a client reattaches with Watch). A second
// thread commits each round to SQLite and then publishes it, while the next
// round is already simulating: a round is shown only once it is recorded, and
// the evaluation runs at most one round ahead of the database.
#ifndef CELLFIT_SERVER_FITTING_FIT_TASK_H_
#define CELLFIT_SERVER_FITTING_FIT_TASK_H_

#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "cellfit/v1/fitting.pb.h"
#include "server/dispatch/dispatcher.h"
#include "server/fitting/fit_settings.h"
#include "server/fitting/messages.h"
#include "server/optimize/optimizer.h"
#include "storage/database.h"

namespace cellfit::fitting {

struct FitTaskSetup {
  std::string fitter_id;
  storage::Database* database = nullptr;
  dispatch::Dispatcher* dispatcher = nullptr;
  std::shared_ptr<const FitterModel> model;
  FitSettings settings;
  storage::RunRecord run;
  RunUnits units;
  std::unique_ptr<optimize::Optimizer> optimizer;
  std::string job_id;         // registered with the dispatcher
  int64_t target_rounds = 0;  // run-level round count to reach
  bool acknowledge = false;   // wait for Ack after each round
  int rounds_ahead = 0;  // with acknowledge: rounds run beyond the last Ack
};

class FitTask {
 public:
  explicit FitTask(FitTaskSetup setup);
  ~FitTask();  // joins

  void Start();

  // ---- controls ----
  // The client saw `round` and wants more (acknowledge mode).
  void Ack(int64_t round);
  // Stop after the current round; `client_gone` makes the call CANCELLED.
  void Stop(bool client_gone);
  // Stop now (CancelFit): the round in progress is abandoned.
  void Cancel();
  // The server is stopping: abandon the round and leave the fit RUNNING in
  // the database so that the next server resumes it.
  void Interrupt();

  // ---- observing ----
  enum class Wait { kRound, kEnded, kTimeout };
  // The first published round with index >= `next`, waiting up to `timeout`
  // for it; kEnded when the task has ended with no such round.
  Wait NextRound(int64_t next, v1::FitRound* round, absl::Duration timeout);
  bool finished() const;
  void AwaitFinished() const;
  // The run-level index of the first round this task runs.
  int64_t first_round() const { return first_round_; }
  // OK when the call's rounds are done or the client stopped it.
  absl::Status status() const;
  int64_t run_id() const { return setup_.run.id; }
  int64_t run_index() const { return setup_.run.index; }

 private:
  enum class End {
    kNone,
    kCompleted,
    kStopped,
    kClientGone,
    kCancelled,
    kInterrupted
  };

  // A round evaluated and told to the optimizer, waiting for its
  // transaction.
  struct EvaluatedRound {
    storage::RoundInput input;
    RoundView view;
    absl::Time queued;  // when the fit thread handed it to the recorder
  };

  void Loop();
  absl::Status RunRound(int64_t round);
  // Commits queued rounds in order and publishes each after its commit.
  void RecordLoop();
  // Stops the recorder once it has drained its queue; the first recording
  // error, if any.
  absl::Status DrainRecorder();
  void Finish(const absl::Status& status);

  FitTaskSetup setup_;
  const int64_t first_round_;
  const int64_t trace_values_per_neuron_;  // kept for the metrics, a neuron
  std::thread thread_;
  std::thread recorder_;
  mutable absl::Mutex mu_;
  // Front: the round being committed.
  std::deque<EvaluatedRound> to_record_ ABSL_GUARDED_BY(mu_);
  bool recording_ended_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status record_status_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::FitRound> published_ ABSL_GUARDED_BY(mu_);
  int64_t acked_ ABSL_GUARDED_BY(mu_) = -1;
  End end_request_ ABSL_GUARDED_BY(mu_) = End::kNone;
  bool abandon_round_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cellfit::fitting

#endif  // CELLFIT_SERVER_FITTING_FIT_TASK_H_
