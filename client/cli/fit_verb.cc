// cellfit fit JOB.toml and cellfit watch ID: run a fit and follow its rounds.
//
// Ctrl-C during `cellfit fit` asks the server to stop after the round in
// progress (the rounds done stay recorded and the fitter can continue with
// `--fitter ID`); a second Ctrl-C ends the command at once.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/cli/job_diagnostics.h"
#include "client/cli/round_report.h"
#include "client/cli/verbs.h"
#include "client/cli/worker_wait_notice.h"
#include "client/job_file.h"

namespace cellfit::client::cli {
namespace {

std::atomic<bool> interrupted{false};

void OnInterrupt(int) {
  interrupted.store(true);
  constexpr char kMessage[] =
      "\ncellfit: stopping after the current round (Ctrl-C again to quit "
      "now)\n";
  // Only async-signal-safe calls here.
  [[maybe_unused]] ssize_t written = write(2, kMessage, sizeof(kMessage) - 1);
  std::signal(SIGINT, SIG_DFL);
}

class FitVerb final : public Verb {
 public:
  std::string_view name() const override { return "fit"; }
  std::string_view summary() const override {
    return "create a fitter from a job file and fit it (or continue one)";
  }
  void DefineArgs(ArgParser& args) override {
    args.AddPositional("JOB.toml", &path_, "the job file");
    args.AddString("callback", &callback_, "text|progressbar|none",
                   "how rounds are shown (default text)");
    args.AddInt("rounds", &rounds_, "N",
                "rounds to run (default: the job file's n_rounds)");
    args.AddString("seed", &seed_, "S",
                   "the optimizer's seed (default: the job file's)");
    args.AddString("backend", &backend_, "runtime|standalone",
                   "simulation backend of a new fitter (default: the job "
                   "file's)");
    args.AddString("fitter", &fitter_, "ID",
                   "continue this fitter instead of creating one");
    args.AddFlag("restart", &restart_,
                 "with --fitter: start a new run (fresh optimizer, iteration "
                 "0) instead of continuing");
  }

  absl::Status Run(Context& context) override {
    absl::StatusOr<Callback> callback = ParseCallback(callback_);
    if (!callback.ok()) return callback.status();
    if (restart_ && fitter_.empty()) {
      return absl::InvalidArgumentError(
          "--restart needs --fitter ID (a new fitter starts a new run anyway)");
    }
    absl::StatusOr<Job> job = ReadJobFile(path_);
    if (!job.ok()) return job.status();
    cellfit::v1::FitRequest request = job->fit;
    if (rounds_ != 0) {
      if (rounds_ < 0) {
        return absl::InvalidArgumentError("--rounds must be at least 1");
      }
      request.set_n_rounds(static_cast<uint32_t>(rounds_));
    }
    if (!seed_.empty()) {
      uint64_t seed = 0;
      if (!absl::SimpleAtoi(seed_, &seed)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--seed: '", seed_, "' is not a non-negative integer"));
      }
      request.mutable_optimizer()->set_seed(seed);
    }
    request.set_restart(restart_);
    if (!backend_.empty()) {
      if (!fitter_.empty()) {
        return absl::InvalidArgumentError(
            "--backend applies to a new fitter; an existing fitter keeps its "
            "backend");
      }
      if (backend_ == "runtime") {
        job->spec.set_backend(cellfit::v1::BACKEND_RUNTIME);
      } else if (backend_ == "standalone") {
        job->spec.set_backend(cellfit::v1::BACKEND_STANDALONE);
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "--backend: '", backend_,
            "' is not a backend (expected runtime or standalone)"));
      }
    }
    // The server hears from this client after each round: that is how
    // Ctrl-C stops the fit cleanly at a round's end. It runs the next round
    // meanwhile, so the round trip costs no time; after a stop, that round in
    // progress is the last one.
    request.set_acknowledge_rounds(true);
    request.set_rounds_ahead(1);

    absl::StatusOr<Client*> client = context.client();
    if (!client.ok()) return client.status();
    // The fitter line promises a fitter: an unknown ID ends here.
    if (!fitter_.empty()) {
      absl::StatusOr<cellfit::v1::FitterInfo> info =
          (*client)->GetFitter(fitter_);
      if (!info.ok()) return info.status();
    }
    // Every problem of the job file, at its place, before anything exists
    // on the server; this also gives bare-number bounds their units.
    absl::StatusOr<cellfit::v1::CheckModelResponse> checked =
        CheckJob(**client, *job, request);
    if (!checked.ok()) return checked.status();
    bool created_here = false;
    if (fitter_.empty()) {
      absl::StatusOr<cellfit::v1::FitterInfo> created =
          (*client)->CreateFitter(job->spec);
      if (!created.ok()) return LocateErrors(*job, created.status());
      fitter_ = created->id();
      created_here = true;
    }
    request.set_fitter_id(fitter_);
    context.out() << "fitter: " << fitter_ << "\n";
    context.out().flush();
    // A fitter this command made and whose first fit the server refused
    // before any round holds nothing: remove it rather than leave an empty
    // idle fitter in `cellfit ls`. A continued fitter is the user's.
    const auto refused = [&](const absl::Status& status, uint64_t rounds_seen) {
      if (!created_here || rounds_seen > 0 ||
          !(absl::IsInvalidArgument(status) ||
            absl::IsFailedPrecondition(status))) {
        return LocateErrors(*job, status);
      }
      absl::Status deleted = (*client)->DeleteFitter(fitter_);
      absl::Status located = LocateErrors(*job, status);
      return absl::Status(
          located.code(),
          absl::StrCat(located.message(), "\n",
                       deleted.ok() ? "cellfit: removed the new fitter "
                                    : "cellfit: could not remove the new "
                                      "fitter ",
                       fitter_, ", which ran no round",
                       deleted.ok() ? std::string()
                                    : absl::StrCat(": ", deleted.message())));
    };

    std::unique_ptr<grpc::ClientContext> call = (*client)->NewContext();
    auto stream = (*client)->stub().Fit(call.get());
    cellfit::v1::FitControl start;
    *start.mutable_start() = request;
    interrupted.store(false);
    auto previous = std::signal(SIGINT, OnInterrupt);
    if (!stream->Write(start)) {
      std::signal(SIGINT, previous);
      return refused(FromGrpc(stream->Finish(), "Fit", (*client)->address()),
                     0);
    }
    RoundReporter reporter(*callback, context.out(), request.n_rounds());
    WorkerWaitNotice notice(context, **client);
    cellfit::v1::FitRound round;
    bool writing = true;
    while (stream->Read(&round)) {
      notice.Progress();
      reporter.OnRound(round);
      if (round.last() || !writing) continue;
      cellfit::v1::FitControl control;
      if (interrupted.load()) {
        control.set_stop(true);
      } else {
        control.set_proceed(true);
      }
      writing = stream->Write(control) && !control.stop();
    }
    stream->WritesDone();
    absl::Status status =
        FromGrpc(stream->Finish(), "Fit", (*client)->address());
    std::signal(SIGINT, previous);
    reporter.Finish(absl::IsCancelled(status)        ? "cancelled"
                    : !writing && interrupted.load() ? "stopped"
                                                     : "");
    if (!status.ok()) return refused(status, reporter.rounds_seen());
    if (reporter.rounds_seen() > 0) {
      context.out() << "fitter: " << fitter_ << "  (cellfit results " << fitter_
                    << ", cellfit generate " << fitter_ << ")\n";
    }
    return absl::OkStatus();
  }

 private:
  std::string path_;
  std::string callback_ = "text";
  int rounds_ = 0;
  std::string seed_;
  std::string backend_;
  std::string fitter_;
  bool restart_ = false;
};

class WatchVerb final : public Verb {
 public:
  std::string_view name() const override { return "watch"; }
  std::string_view summary() const override {
    return "show a fit's rounds: the recorded ones, then the live ones";
  }
  void DefineArgs(ArgParser& args) override {
    args.AddPositional("ID", &fitter_, "the fitter");
    args.AddInt("from", &from_round_, "ROUND",
                "replay recorded rounds of the current run from this one "
                "(default 0)");
    args.AddString("callback", &callback_, "text|progressbar|none",
                   "how rounds are shown (default text)");
  }

  absl::Status Run(Context& context) override {
    absl::StatusOr<Callback> callback = ParseCallback(callback_);
    if (!callback.ok()) return callback.status();
    if (from_round_ < 0) {
      return absl::InvalidArgumentError("--from must be 0 or more");
    }
    absl::StatusOr<Client*> client = context.client();
    if (!client.ok()) return client.status();
    absl::StatusOr<cellfit::v1::FitterInfo> info =
        (*client)->GetFitter(fitter_);
    if (!info.ok()) return info.status();
    cellfit::v1::WatchRequest request;
    request.set_fitter_id(fitter_);
    request.set_from_round(static_cast<uint64_t>(from_round_));
    RoundReporter reporter(*callback, context.out(), 0);
    WorkerWaitNotice notice(context, **client);
    absl::Status status =
        (*client)->Watch(request, [&](const cellfit::v1::FitRound& round) {
          notice.Progress();
          reporter.OnRound(round);
          return absl::OkStatus();
        });
    reporter.Finish();
    if (status.ok() && reporter.rounds_seen() == 0) {
      context.out() << "no rounds recorded for " << fitter_
                    << (from_round_ > 0 ? " from that round" : "") << "\n";
    }
    return status;
  }

 private:
  std::string fitter_;
  int from_round_ = 0;
  std::string callback_ = "text";
};

}  // namespace

std::unique_ptr<Verb> MakeFitVerb() { return std::make_unique<FitVerb>(); }
std::unique_ptr<Verb> MakeWatchVerb() { return std::make_unique<WatchVerb>(); }

}  // namespace cellfit::client::cli
