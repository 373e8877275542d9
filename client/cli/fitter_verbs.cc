// cellfit ls, cellfit cancel and cellfit rm: the caller's fitters.
#include <functional>
#include <iostream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "client/cli/exit_codes.h"
#include "client/cli/format.h"
#include "client/cli/round_report.h"
#include "client/cli/verbs.h"

namespace cellfit::client::cli {
namespace {

std::string KindName(cellfit::v1::FitterKind kind) {
  switch (kind) {
    case cellfit::v1::FITTER_KIND_TRACE:
      return "trace";
    case cellfit::v1::FITTER_KIND_SPIKE:
      return "spike";
    case cellfit::v1::FITTER_KIND_ONLINE_TRACE:
      return "online_trace";
    default:
      return "?";
  }
}

// Runs `act` on each fitter ID. One unknown ID must not keep the others from
// being acted on: each failure is reported where it happens, and the exit
// code says some failed ("2 of 3 fitters not removed"). An unreachable server
// fails every later ID too, so that ends the command at once.
absl::Status ForEachFitter(
    Context& context, const std::vector<std::string>& ids,
    std::string_view done,
    const std::function<absl::Status(const std::string&)>& act) {
  int failed = 0;
  absl::Status first_failure;
  for (const std::string& id : ids) {
    absl::Status status = act(id);
    if (status.ok()) continue;
    if (ExitCodeFor(status) == kExitUnreachable) return status;
    context.out().flush();
    std::cerr << "cellfit: error: " << status.message() << "\n";
    if (failed++ == 0) first_failure = status;
  }
  if (failed == 0) return absl::OkStatus();
  return absl::Status(
      first_failure.code(),
      absl::StrFormat("%d of %d fitters not %s", failed, ids.size(), done));
}

std::string StateName(cellfit::v1::FitterState state) {
  switch (state) {
    case cellfit::v1::FITTER_STATE_IDLE:
      return "idle";
    case cellfit::v1::FITTER_STATE_RUNNING:
      return "running";
    case cellfit::v1::FITTER_STATE_CANCELLED:
      return "cancelled";
    case cellfit::v1::FITTER_STATE_FAILED:
      return "failed";
    default:
      return "?";
  }
}

class ListVerb final : public Verb {
 public:
  std::string_view name() const override { return "ls"; }
  std::string_view summary() const override { return "list your fitters"; }
  void DefineArgs(ArgParser&) override {}

  absl::Status Run(Context& context) override {
    absl::StatusOr<Client*> client = context.client();
    if (!client.ok()) return client.status();
    absl::StatusOr<std::vector<cellfit::v1::FitterInfo>> fitters =
        (*client)->ListFitters();
    if (!fitters.ok()) return fitters.status();
    if (fitters->empty()) {
      context.out() << "no fitters\n";
      return absl::OkStatus();
    }
    std::vector<std::vector<std::string>> rows = {{"ID", "NAME", "KIND",
                                                   "STATE", "RUN", "ROUNDS",
                                                   "BEST ERROR", "CREATED"}};
    for (const cellfit::v1::FitterInfo& fitter : *fitters) {
      absl::Time created = absl::FromUnixSeconds(fitter.created().seconds());
      rows.push_back(
          {fitter.id(), fitter.name().empty() ? "-" : fitter.name(),
           KindName(fitter.kind()), StateName(fitter.state()),
           std::to_string(fitter.run()), std::to_string(fitter.rounds_done()),
           fitter.rounds_done() > 0
               ? FormatError(fitter.best_error(), fitter.error_dimension())
               : "-",
           absl::FormatTime("%Y-%m-%d %H:%M", created, absl::LocalTimeZone())});
    }
    PrintTable(context.out(), rows);
    return absl::OkStatus();
  }
};

class RemoveVerb final : public Verb {
 public:
  std::string_view name() const override { return "rm"; }
  std::string_view summary() const override {
    return "delete fitters and everything recorded for them";
  }
  void DefineArgs(ArgParser& args) override {
    args.AddRepeatedPositional("ID", &ids_, "the fitters to delete");
  }

  absl::Status Run(Context& context) override {
    absl::StatusOr<Client*> client = context.client();
    if (!client.ok()) return client.status();
    return ForEachFitter(context, ids_, "removed",
                         [&](const std::string& id) -> absl::Status {
                           absl::Status status = (*client)->DeleteFitter(id);
                           if (status.ok()) {
                             context.out() << "removed " << id << "\n";
                           }
                           return status;
                         });
  }

 private:
  std::vector<std::string> ids_;
};

class CancelVerb final : public Verb {
 public:
  std::string_view name() const override { return "cancel"; }
  std::string_view summary() const override {
    return "stop a running fit (at the end of the batch in progress)";
  }
  void DefineArgs(ArgParser& args) override {
    args.AddRepeatedPositional("ID", &ids_, "the fitters to stop");
  }

  absl::Status Run(Context& context) override {
    absl::StatusOr<Client*> client = context.client();
    if (!client.ok()) return client.status();
    return ForEachFitter(
        context, ids_, "cancelled", [&](const std::string& id) -> absl::Status {
          absl::StatusOr<cellfit::v1::FitterInfo> info =
              (*client)->CancelFit(id);
          if (!info.ok()) return info.status();
          context.out() << "cancelled " << id << " ("
                        << StateName(info->state()) << ", "
                        << info->rounds_done() << " rounds done)\n";
          return absl::OkStatus();
        });
  }

 private:
  std::vector<std::string> ids_;
};

}  // namespace

std::unique_ptr<Verb> MakeCancelVerb() {
  return std::make_unique<CancelVerb>();
}
std::unique_ptr<Verb> MakeListVerb() { return std::make_unique<ListVerb>(); }
std::unique_ptr<Verb> MakeRemoveVerb() {
  return std::make_unique<RemoveVerb>();
}

}  // namespace cellfit::client::cli
