#include "server/optimize/nlopt_run.h"

#include <nlopt.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/optimize/random.h"

namespace cellfit::optimize {
namespace {

std::string ResultName(nlopt_result result) {
  const char* name = nlopt_result_to_string(result);
  return name != nullptr ? name : absl::StrCat(static_cast<int>(result));
}

}  // namespace

NloptRun::NloptRun(const NloptSettings& settings, int index,
                   std::function<RunStart(int64_t)> next_start, RunStart start,
                   std::vector<double> history, Eigen::VectorXd last_point)
    : settings_(settings),
      index_(index),
      next_start_(std::move(next_start)),
      start_(std::move(start)),
      history_(std::move(history)),
      last_point_(std::move(last_point)),
      fiber_([this] { Main(); }) {}

NloptRun::~NloptRun() {
  if (fiber_.started() && !fiber_.finished()) {
    shutdown_ = true;
    fiber_.Resume();
  }
}

absl::StatusOr<Eigen::VectorXd> NloptRun::Next() {
  if (!failure_.ok()) return failure_;
  if (has_pending_) return pending_;
  fiber_.Resume();
  if (!failure_.ok()) return failure_;
  if (!has_pending_) {
    return absl::InternalError("NLopt run returned without a point");
  }
  return pending_;
}

void NloptRun::Answer(double value) {
  history_.push_back(value);
  last_point_ = pending_;
  has_pending_ = false;
}

void NloptRun::Reseed(size_t evaluation) const {
  nlopt_srand(static_cast<unsigned long>(
      MixSeed(start_.seed, static_cast<uint64_t>(evaluation))));
}

void NloptRun::Main() {
  while (true) {
    if (OptimizeOnce()) return;
    if (!failure_.ok()) break;
  }
  // Dead: stay paused until the destructor asks to finish.
  while (!shutdown_) fiber_.Yield();
}

double NloptRun::Objective(unsigned n, const double* x, double* gradient,
                           void* data) {
  return static_cast<NloptRun*>(data)->Evaluate(x);
}

double NloptRun::Evaluate(const double* x) {
  if (shutdown_ || stopping_) {
    // Some algorithms finish a batch of evaluations before they look at
    // the stop flag; answer those without pausing or recording them.
    return Stop();
  }
  const int d = settings_.dimension;
  Eigen::VectorXd point(d);
  for (int k = 0; k < d; ++k) {
    // A non-finite point means the algorithm broke down; it is never handed
    // out, the restart just ends.
    if (!std::isfinite(x[k])) return Stop();
    // Every accepted algorithm respects bounds; clamping guards against one
    // that steps out by rounding, so that no candidate ever leaves the box.
    point[k] = std::clamp(x[k], start_.lower[k], start_.upper[k]);
  }
  if (evaluations_ < history_.size()) {
    // Replaying a restored run: the value is known.
    if (evaluations_ + 1 == history_.size() && last_point_.size() == d &&
        point != last_point_) {
      failure_ = absl::DataLossError(absl::StrCat(
          "NLopt ",
          nlopt_algorithm_to_string(
              static_cast<nlopt_algorithm>(settings_.algorithm)),
          " run ", index_, " does not replay its checkpoint: evaluation ",
          evaluations_, " of restart ", start_.restart,
          " differs from the recorded point (was the state saved by another "
          "NLopt version?)"));
      return Stop();
    }
    return Feed(history_[evaluations_++]);
  }
  pending_ = std::move(point);
  has_pending_ = true;
  fiber_.Yield();
  if (shutdown_) return Stop();
  // The owner's Answer appended the value.
  return Feed(history_[evaluations_++]);
}

double NloptRun::Stop() {
  stopping_ = true;
  nlopt_force_stop(static_cast<nlopt_opt>(opt_));
  // Finite: some algorithms do arithmetic with the value before they look at
  // the stop flag, and infinities can send them into endless loops.
  return 0.0;
}

double NloptRun::Feed(double value) {
  if (std::isnan(value)) return Stop();
  Reseed(evaluations_);
  return value;
}

bool NloptRun::OptimizeOnce() {
  const auto algorithm = static_cast<nlopt_algorithm>(settings_.algorithm);
  const int d = settings_.dimension;
  nlopt_opt opt = nlopt_create(algorithm, static_cast<unsigned>(d));
  if (opt == nullptr) {
    failure_ = absl::InternalError(
        absl::StrCat("NLopt could not create ",
                     nlopt_algorithm_to_string(algorithm), " in ", d, " dims"));
    return false;
  }
  nlopt_result setup = NLOPT_SUCCESS;
  const auto apply = [&setup](nlopt_result result) {
    if (result < 0 && setup >= 0) setup = result;
  };
  apply(nlopt_set_lower_bounds(opt, start_.lower.data()));
  apply(nlopt_set_upper_bounds(opt, start_.upper.data()));
  apply(nlopt_set_min_objective(opt, &NloptRun::Objective, this));
  if (settings_.xtol_abs > 0)
    apply(nlopt_set_xtol_abs1(opt, settings_.xtol_abs));
  if (settings_.xtol_rel > 0)
    apply(nlopt_set_xtol_rel(opt, settings_.xtol_rel));
  if (settings_.ftol_abs > 0)
    apply(nlopt_set_ftol_abs(opt, settings_.ftol_abs));
  if (settings_.ftol_rel > 0)
    apply(nlopt_set_ftol_rel(opt, settings_.ftol_rel));
  if (settings_.maxeval > 0) {
    apply(nlopt_set_maxeval(opt, static_cast<int>(settings_.maxeval)));
  }
  if (settings_.population > 0) {
    apply(
        nlopt_set_population(opt, static_cast<unsigned>(settings_.population)));
  }
  if (settings_.initial_step > 0) {
    apply(nlopt_set_initial_step1(opt, settings_.initial_step));
  }
  if (setup < 0) {
    failure_ = absl::InternalError(absl::StrCat(
        "NLopt rejected the settings of ", nlopt_algorithm_to_string(algorithm),
        ": ", ResultName(setup)));
    nlopt_destroy(opt);
    return false;
  }

  Reseed(0);
  stopping_ = false;
  Eigen::VectorXd x = start_.x0;
  double minimum = HUGE_VAL;
  evaluations_ = 0;
  opt_ = opt;
  const nlopt_result result = nlopt_optimize(opt, x.data(), &minimum);
  const std::string message =
      nlopt_get_errmsg(opt) != nullptr ? nlopt_get_errmsg(opt) : "";
  opt_ = nullptr;
  nlopt_destroy(opt);

  if (shutdown_) return true;
  if (!failure_.ok()) return false;
  if (evaluations_ == 0) {
    failure_ = absl::InternalError(absl::StrCat(
        "NLopt ", nlopt_algorithm_to_string(algorithm), " run ", index_,
        " stopped with ", ResultName(result), " before evaluating any point",
        message.empty() ? "" : ": ", message));
    return false;
  }
  if (evaluations_ < history_.size()) {
    failure_ = absl::DataLossError(absl::StrCat(
        "NLopt ", nlopt_algorithm_to_string(algorithm), " run ", index_,
        " does not replay its checkpoint: it stopped after ", evaluations_,
        " of ", history_.size(), " recorded evaluations"));
    return false;
  }
  start_ = next_start_(start_.restart + 1);
  history_.clear();
  last_point_.resize(0);
  return false;
}

}  // namespace cellfit::optimize
