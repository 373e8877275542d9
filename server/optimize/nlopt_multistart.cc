#include "server/optimize/nlopt_multistart.h"

#include <nlopt.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/optimize/random.h"
#include "server/optimize/status_macros.h"

namespace cellfit::optimize {
namespace {

// Distinct streams derived from the one seed.
constexpr uint64_t kLatinHypercubeStream = 0x4c48532d73746172ULL;
constexpr uint64_t kRestartStream = 0x726573746172742dULL;
constexpr uint64_t kNloptSeedStream = 0x6e6c6f70742d7372ULL;

bool IsDirect(std::string_view name) { return name.starts_with("GN_DIRECT"); }

bool UsesPopulation(std::string_view name) {
  return name == "GN_CRS2_LM" || name == "GN_ISRES" || name == "GN_ESCH";
}

}  // namespace

absl::StatusOr<NloptSettings> ReadNloptSettings(
    const MethodInfo& method, const std::map<std::string, double>& options,
    int dimension) {
  OptionReader reader(method.canonical_name, options,
                      AcceptedOptions(MethodFamily::kNlopt));
  OPTIMIZE_RETURN_IF_ERROR(reader.CheckNames());
  if (reader.Has("population") && !UsesPopulation(method.canonical_name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "option 'population' of optimizer ", method.canonical_name,
        " has no effect: only GN_CRS2_LM, GN_ISRES and GN_ESCH have one"));
  }
  if (reader.Has("initial_step") &&
      !absl::StartsWith(method.canonical_name, "LN_")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "option 'initial_step' of optimizer ", method.canonical_name,
        " has no effect: only the local (LN_) methods take a first step"));
  }
  NloptSettings settings;
  settings.algorithm = method.nlopt_algorithm;
  settings.dimension = dimension;
  OPTIMIZE_ASSIGN_OR_RETURN(settings.xtol_abs,
                            reader.Real("xtol_abs", 1e-6, 0.0, 1.0));
  OPTIMIZE_ASSIGN_OR_RETURN(settings.xtol_rel,
                            reader.Real("xtol_rel", 0.0, 0.0, 1.0));
  OPTIMIZE_ASSIGN_OR_RETURN(settings.ftol_abs,
                            reader.Real("ftol_abs", 0.0, 0.0, 1e300));
  OPTIMIZE_ASSIGN_OR_RETURN(settings.ftol_rel,
                            reader.Real("ftol_rel", 1e-8, 0.0, 1.0));
  OPTIMIZE_ASSIGN_OR_RETURN(
      settings.maxeval,
      reader.Integer("maxeval", 1000 * (int64_t{dimension} + 1), 1,
                     100'000'000));
  OPTIMIZE_ASSIGN_OR_RETURN(int64_t population,
                            reader.Integer("population", 0, 0, 1'000'000));
  settings.population = static_cast<int>(population);
  OPTIMIZE_ASSIGN_OR_RETURN(
      settings.initial_step,
      reader.Real("initial_step", 0.0, 0.0, 1.0, /*open_min=*/true));
  return settings;
}

absl::StatusOr<std::unique_ptr<Optimizer>> NloptMultiStart::Create(
    const OptimizerConfig& config, const MethodInfo& method,
    const ParameterSpace& space, int n_samples) {
  OPTIMIZE_ASSIGN_OR_RETURN(
      NloptSettings settings,
      ReadNloptSettings(method, config.options, space.dimension()));
  return std::unique_ptr<Optimizer>(
      new NloptMultiStart(config, method, space, n_samples, settings));
}

NloptMultiStart::NloptMultiStart(const OptimizerConfig& config,
                                 const MethodInfo& method,
                                 const ParameterSpace& space, int n_samples,
                                 const NloptSettings& settings)
    : Optimizer(method.canonical_name, space, n_samples, config.seed,
                config.options),
      settings_(settings),
      partitioned_(IsDirect(method.canonical_name)) {
  const int d = space.dimension();
  Random rng(MixSeed(config.seed, kLatinHypercubeStream));
  first_starts_ = LatinHypercube(n_samples, d, rng);
  if (partitioned_) {
    cells_ = PartitionUnitBox(n_samples, d);
    restart_side_ = std::min(0.5, std::pow(1.0 / n_samples, 1.0 / d));
  }
}

RunStart NloptMultiStart::MakeStart(int run, int64_t restart) const {
  const int d = dimension();
  RunStart start;
  start.restart = restart;
  start.seed = MixSeed(seed() ^ kNloptSeedStream, run, restart);
  if (partitioned_) {
    if (restart == 0) {
      start.lower = cells_[run].lower;
      start.upper = cells_[run].upper;
    } else {
      Random rng(MixSeed(seed() ^ kRestartStream, run, restart));
      const double half = restart_side_ / 2.0;
      start.lower.resize(d);
      start.upper.resize(d);
      for (int k = 0; k < d; ++k) {
        const double centre = half + (1.0 - restart_side_) * rng.Uniform();
        start.lower[k] = std::max(0.0, centre - half);
        start.upper[k] = std::min(1.0, centre + half);
      }
    }
    start.x0 = (start.lower + start.upper) / 2.0;
    return start;
  }
  start.lower = Eigen::VectorXd::Zero(d);
  start.upper = Eigen::VectorXd::Ones(d);
  if (restart == 0) {
    start.x0 = first_starts_.row(run).transpose();
  } else {
    Random rng(MixSeed(seed() ^ kRestartStream, run, restart));
    start.x0.resize(d);
    for (int k = 0; k < d; ++k) start.x0[k] = rng.Uniform();
  }
  return start;
}

std::unique_ptr<NloptRun> NloptMultiStart::MakeRun(
    int run, RunStart start, std::vector<double> history,
    Eigen::VectorXd last_point) const {
  return std::make_unique<NloptRun>(
      settings_, run,
      [this, run](int64_t restart) { return MakeStart(run, restart); },
      std::move(start), std::move(history), std::move(last_point));
}

absl::StatusOr<Eigen::MatrixXd> NloptMultiStart::Propose() {
  if (runs_.empty()) {
    for (int i = 0; i < n_samples(); ++i) {
      runs_.push_back(MakeRun(i, MakeStart(i, 0), {}, Eigen::VectorXd()));
    }
  }
  Eigen::MatrixXd candidates(n_samples(), dimension());
  for (int i = 0; i < n_samples(); ++i) {
    OPTIMIZE_ASSIGN_OR_RETURN(Eigen::VectorXd point, runs_[i]->Next());
    candidates.row(i) = point.transpose();
  }
  return candidates;
}

absl::Status NloptMultiStart::Update(const Eigen::MatrixXd& candidates,
                                     const Eigen::VectorXd& errors) {
  if (runs_.size() != static_cast<size_t>(n_samples())) {
    return absl::InternalError("NLopt runs missing at Tell");
  }
  // After a restore taken between Ask and Tell the runs replay up to the
  // asked point here; either way it must be what was handed out.
  for (int i = 0; i < n_samples(); ++i) {
    OPTIMIZE_ASSIGN_OR_RETURN(Eigen::VectorXd point, runs_[i]->Next());
    if (point != candidates.row(i).transpose()) {
      return absl::DataLossError(absl::StrCat(
          "NLopt run ", i, " of ", method(),
          " does not reproduce the candidate it was asked for; the "
          "checkpoint does not replay on this NLopt build"));
    }
  }
  for (int i = 0; i < n_samples(); ++i) {
    if (std::isfinite(errors[i])) {
      worst_finite_error_ = std::max(worst_finite_error_, errors[i]);
    }
  }
  const double worst = worst_finite_error_;
  const double stand_in =
      std::isfinite(worst)
          ? worst + (worst != 0.0 ? std::fabs(worst) : 1.0)
          : std::numeric_limits<double>::quiet_NaN();  // ends the restart
  for (int i = 0; i < n_samples(); ++i) {
    runs_[i]->Answer(std::isfinite(errors[i]) ? errors[i] : stand_in);
  }
  return absl::OkStatus();
}

void NloptMultiStart::SaveAlgorithm(StateWriter& writer) const {
  writer.PutU32(static_cast<uint32_t>(runs_.size()));
  for (const auto& run : runs_) {
    const RunStart& start = run->start();
    writer.PutI64(start.restart);
    writer.PutU64(start.seed);
    writer.PutVector(start.x0);
    writer.PutVector(start.lower);
    writer.PutVector(start.upper);
    writer.PutDoubles(run->history());
    writer.PutVector(run->last_point());
  }
  writer.PutDouble(worst_finite_error_);
}

absl::Status NloptMultiStart::RestoreAlgorithm(StateReader& reader) {
  const int d = dimension();
  OPTIMIZE_ASSIGN_OR_RETURN(uint32_t count, reader.GetU32("NLopt run count"));
  if (count != 0 && count != static_cast<uint32_t>(n_samples())) {
    return absl::DataLossError(absl::StrCat(
        "NLopt state has ", count, " runs for ", n_samples(), " samples"));
  }
  std::vector<std::unique_ptr<NloptRun>> runs;
  for (uint32_t i = 0; i < count; ++i) {
    RunStart start;
    OPTIMIZE_ASSIGN_OR_RETURN(start.restart, reader.GetI64("NLopt restart"));
    OPTIMIZE_ASSIGN_OR_RETURN(start.seed, reader.GetU64("NLopt seed"));
    OPTIMIZE_ASSIGN_OR_RETURN(start.x0,
                              reader.GetVectorOfSize("NLopt start", d));
    OPTIMIZE_ASSIGN_OR_RETURN(start.lower,
                              reader.GetVectorOfSize("NLopt lower", d));
    OPTIMIZE_ASSIGN_OR_RETURN(start.upper,
                              reader.GetVectorOfSize("NLopt upper", d));
    OPTIMIZE_ASSIGN_OR_RETURN(std::vector<double> history,
                              reader.GetDoubles("NLopt history"));
    OPTIMIZE_ASSIGN_OR_RETURN(Eigen::VectorXd last_point,
                              reader.GetVector("NLopt last point"));

    if (start.restart < 0 ||
        (last_point.size() != 0 && last_point.size() != d) ||
        (last_point.size() == 0) != history.empty() ||
        !(start.lower.array() >= 0.0).all() ||
        !(start.upper.array() <= 1.0).all() ||
        !(start.lower.array() <= start.x0.array()).all() ||
        !(start.x0.array() <= start.upper.array()).all()) {
      return absl::DataLossError(
          absl::StrCat("NLopt state of run ", i, " is malformed"));
    }
    runs.push_back(MakeRun(static_cast<int>(i), std::move(start),
                           std::move(history), std::move(last_point)));
  }
  OPTIMIZE_ASSIGN_OR_RETURN(double worst,
                            reader.GetDouble("NLopt worst error"));
  OPTIMIZE_RETURN_IF_ERROR(reader.ExpectEnd());
  runs_ = std::move(runs);
  worst_finite_error_ = worst;
  return absl::OkStatus();
}

}  // namespace cellfit::optimize
