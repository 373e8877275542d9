// cellfit refine ID: brian2modelfitting's refine (bounded Levenberg-Marquardt
// from the best parameters of the fit, or given ones), run by the server.
#include <cmath>
#include <ostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/assignments.h"
#include "client/cli/format.h"
#include "client/cli/round_report.h"
#include "client/cli/units.h"
#include "client/cli/verbs.h"

namespace cellfit::client::cli {
namespace {

class RefineVerb final : public Verb {
 public:
  std::string_view name() const override { return "refine"; }
  std::string_view summary() const override {
    return "refine a fit locally (Levenberg-Marquardt) from its best "
           "parameters";
  }
  void DefineArgs(ArgParser& args) override {
    args.AddPositional("ID", &fitter_, "the fitter");
    args.AddString("params", &params_, "NAME=QUANTITY,...",
                   "start here (default: the best of the current run)");
    args.AddInt("max_iterations", &max_iterations_, "N",
                "iterations at most (default 100, or none with --max-nfev)");
    args.AddInt("max_nfev", &max_nfev_, "N",
                "simulations at most (brian2modelfitting's max_nfev; "
                "default no limit)");
    args.AddString("iteration", &iteration_, "X",
                   "value of the model's `iteration` (default 1e9, as "
                   "brian2modelfitting: no coupling to the target)");
    args.AddFlag("calc_gradient", &calc_gradient_,
                 "Jacobian from the sensitivity equations instead of finite "
                 "differences");
    args.AddString("callback", &callback_, "text|none",
                   "text shows each iteration (default); none only the "
                   "result");
  }

  absl::Status Run(Context& context) override {
    if (callback_ != "text" && callback_ != "none") {
      return absl::InvalidArgumentError(
          absl::StrCat("--callback: '", callback_, "' is not text or none"));
    }
    if (max_iterations_ < 0) {
      return absl::InvalidArgumentError("--max-iterations must be positive");
    }
    if (max_nfev_ < 0) {
      return absl::InvalidArgumentError("--max-nfev must be positive");
    }
    cellfit::v1::RefineRequest request;
    request.set_fitter_id(fitter_);
    request.set_max_iterations(static_cast<uint32_t>(max_iterations_));
    request.set_max_evaluations(static_cast<uint32_t>(max_nfev_));
    if (!iteration_.empty()) {
      double iteration = 0;
      if (!absl::SimpleAtod(iteration_, &iteration) ||
          !std::isfinite(iteration)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--iteration: '", iteration_, "' is not a finite number"));
      }
      request.set_iteration(iteration);
    }
    request.set_calc_gradient(calc_gradient_);
    if (!params_.empty()) {
      auto params = ParseParameterRow(params_, "params");
      if (!params.ok()) return params.status();
      *request.mutable_params() = *params;
    }
    absl::StatusOr<Client*> client = context.client();
    if (!client.ok()) return client.status();
    absl::StatusOr<cellfit::v1::FitterInfo> info =
        (*client)->GetFitter(fitter_);
    if (!info.ok()) return info.status();
    std::optional<cellfit::v1::RefineUpdate> last;
    absl::Status status =
        (*client)->Refine(
            request, [&](const cellfit::v1::RefineUpdate& update) {
              // The final update repeats the result, which is printed
              // below as the refined error and parameters.
              if (callback_ == "text" && !update.done()) {
                context.out()
                    << "iteration " << update.iteration() << ": error "
                    << FormatError(update.error(), info->error_dimension())
                    << " | " << FormatParameterRow(update.params()) << "\n";
                context.out().flush();
              }
              last = update;
              return absl::OkStatus();
            });
    if (!status.ok()) return status;
    if (!last) return absl::InternalError("the server sent no refine result");
    context.out() << "refined error: "
                  << FormatError(last->error(), info->error_dimension())
                  << "\nrefined parameters:\n";
    PrintParameterTable(context.out(), last->params());
    if (!last->message().empty()) {
      context.out() << "stopped: " << last->message() << "\n";
    }
    return absl::OkStatus();
  }

 private:
  std::string fitter_;
  std::string params_;
  int max_iterations_ = 0;  // 0: the server's default
  int max_nfev_ = 0;
  std::string iteration_;
  bool calc_gradient_ = false;
  std::string callback_ = "text";
};

}  // namespace

std::unique_ptr<Verb> MakeRefineVerb() {
  return std::make_unique<RefineVerb>();
}

}  // namespace cellfit::client::cli
