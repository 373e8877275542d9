// The fitting machinery behind the Fitting service: fitters created and
// validated, fits run round by round on the worker pool (ask the optimizer,
// dispatch the round's batches, score, tell, record the round with a
// checkpoint in one transaction, publish it), continuation and restart as
// brian2modelfitting has them, watching, generating traces, results, and
// resuming the fits a previous server process left running.
//
// Callers pass the authenticated user; a fitter of another user is NOT_FOUND
// exactly as a missing one.
#ifndef CELLFIT_SERVER_FITTING_FITTER_MANAGER_H_
#define CELLFIT_SERVER_FITTING_FITTER_MANAGER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cellfit/v1/fitting.pb.h"
#include "server/dispatch/dispatcher.h"
#include "server/fitting/fit_settings.h"
#include "server/fitting/messages.h"
#include "storage/database.h"

namespace cellfit::fitting {

class FitTask;

struct FitterManagerOptions {
  // Largest chunk of values in a streamed message.
  int chunk_values = 65536;
  // Most values one Generate or Simulate may record: a worker answers in one
  // message, and 8 bytes a value must stay under its 256 MiB limit.
  int64_t max_recorded_values = int64_t{24} << 20;
};

// Receives streamed messages; returns false once the receiver is gone.
template <typename Message>
using Sink = std::function<bool(const Message&)>;

// Whether the caller of a long request has gone away (its call was cancelled).
using ClientGone = std::function<bool()>;

// What a Fit call's client tells the server (from its side of the stream).
enum class ClientControl { kProceed, kStop, kGone };

class FitterManager {
 public:
  FitterManager(storage::Database* database, dispatch::Dispatcher* dispatcher,
                FitterManagerOptions options = {});
  // Stops the running fits' threads; fits stay RUNNING in the database and
  // resume when a server opens it again.
  ~FitterManager();

  // Stops the running fits at once (the rounds in progress are abandoned;
  // the fits stay RUNNING in the database and resume when a server opens it
  // again); the streams following them end. Idempotent.
  void Shutdown();

  // Resumes every fit the database says is running (after a restart).
  absl::Status ResumeInterruptedFits();

  absl::StatusOr<v1::CheckModelResponse> CheckModel(
      const v1::CheckModelRequest& request);
  absl::StatusOr<v1::FitterInfo> CreateFitter(
      const std::string& owner, const v1::CreateFitterRequest& request);
  absl::StatusOr<v1::FitterInfo> GetFitter(const std::string& owner,
                                           const std::string& id);
  absl::StatusOr<std::vector<v1::FitterInfo>> ListFitters(
      const std::string& owner);
  absl::StatusOr<v1::FitterInfo> CancelFit(const std::string& owner,
                                           const std::string& id);
  absl::Status DeleteFitter(const std::string& owner, const std::string& id);

  // Runs a Fit call: validates `request`, starts the rounds and streams them
  // to `sink`. With request.acknowledge_rounds, after each round but the last
  // it waits for `next_control` (the client's next message) and evaluates
  // nothing after a stop. `client_cancelled` is polled: a client that cancels
  // the call stops the fit at the end of the current round. Returns when the
  // call's rounds are done (OK), the client stopped it (OK) or went away
  // (CANCELLED), the fit was cancelled (CANCELLED) or failed.
  absl::Status Fit(const std::string& owner, const v1::FitRequest& request,
                   const Sink<v1::FitRound>& sink,
                   const std::function<ClientControl()>& next_control,
                   const std::function<bool()>& client_cancelled);

  // Replays the current run's rounds from `from_round`, then follows the
  // running fit (if any) until it ends or `sink` fails.
  absl::Status Watch(const std::string& owner, const v1::WatchRequest& request,
                     const Sink<v1::FitRound>& sink);

  // Generate, Simulate and Refine wait for workers as long as it takes (a
  // worker may join later), but not once `client_gone` says the caller left
  // (CANCELLED) or the server shuts down (UNAVAILABLE).
  absl::Status Generate(const std::string& owner,
                        const v1::GenerateRequest& request,
                        const Sink<v1::GenerateChunk>& sink,
                        const ClientGone& client_gone = nullptr);
  absl::Status Simulate(const std::string& owner,
                        const v1::SimulateRequest& request,
                        const Sink<v1::GenerateChunk>& sink,
                        const ClientGone& client_gone = nullptr);
  absl::Status Results(const std::string& owner,
                       const v1::ResultsRequest& request,
                       const Sink<v1::ResultsChunk>& sink);
  // TraceFitter.refine: Levenberg-Marquardt from the best (or given)
  // parameters, one update per evaluated point, the last with done = true.
  absl::Status Refine(const std::string& owner,
                      const v1::RefineRequest& request,
                      const Sink<v1::RefineUpdate>& sink,
                      const ClientGone& client_gone = nullptr);

 private:
  friend class FitTask;

  // A fitter as this process knows it.
  struct Entry {
    std::string id;
    std::string owner;
    absl::Mutex mu;
    std::shared_ptr<const v1::FitterSpec> spec ABSL_GUARDED_BY(mu);
    std::shared_ptr<const FitterModel> model ABSL_GUARDED_BY(mu);
    std::shared_ptr<FitTask> task ABSL_GUARDED_BY(mu);  // the fit in progress
    bool generate_job ABSL_GUARDED_BY(mu) = false;
  };

  absl::StatusOr<std::shared_ptr<Entry>> Find(const std::string& owner,
                                              const std::string& id);
  absl::StatusOr<std::shared_ptr<const FitterModel>> ModelOf(Entry& entry);
  absl::StatusOr<std::shared_ptr<const v1::FitterSpec>> SpecOf(Entry& entry);
  absl::StatusOr<v1::FitterInfo> Info(Entry& entry);
  absl::StatusOr<RunUnits> UnitsOf(Entry& entry, const storage::RunRecord& run);

  // Starts (or resumes, without a client) the rounds of a fit.
  absl::StatusOr<std::shared_ptr<FitTask>> StartTask(
      std::shared_ptr<Entry> entry, const v1::FitRequest& request, bool resume);
  // Simulates one parameter set in record mode on the workers.
  absl::StatusOr<v1::BatchResult> RecordOnWorkers(
      const std::string& job_id, const v1::Batch& batch,
      const ClientGone& client_gone);
  // The data each output was fitted to (GenerateRequest.include_targets).
  absl::Status StreamTargets(const jobs::ConvertedSpec& converted,
                             const Sink<v1::GenerateChunk>& sink);
  absl::Status StreamRecording(const v1::BatchResult& result,
                               const std::vector<std::string>& variables,
                               const jobs::ConvertedSpec& converted,
                               const model::Model* model,
                               const Sink<v1::GenerateChunk>& sink);
  // The generate job of a fitter (record-only), registered on first use.
  std::string EnsureGenerateJob(Entry& entry, const v1::FitterSpec& spec,
                                const FitterModel& model, v1::Backend backend);
  std::string NewId();
  uint64_t NewSeed();

  storage::Database* const database_;
  dispatch::Dispatcher* const dispatcher_;
  const FitterManagerOptions options_;
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
  // Set under mu_ (so that no fit starts after Shutdown collected them) and
  // read without it by waits that poll it from inside the dispatcher's lock.
  std::atomic<bool> shutting_down_{false};
};

}  // namespace cellfit::fitting

#endif  // CELLFIT_SERVER_FITTING_FITTER_MANAGER_H_
