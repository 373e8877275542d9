#include "server/optimize/differential_evolution.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/optimize/status_macros.h"
#include "server/optimize/unit_box.h"

namespace cellfit::optimize {

absl::StatusOr<DifferentialEvolutionOptions> ReadDifferentialEvolutionOptions(
    const std::map<std::string, double>& options, int n_samples) {
  OptionReader reader("DE", options,
                      AcceptedOptions(MethodFamily::kDifferentialEvolution));
  OPTIMIZE_RETURN_IF_ERROR(reader.CheckNames());
  DifferentialEvolutionOptions result;
  if (reader.Has("F") && (reader.Has("F1") || reader.Has("F2"))) {
    return absl::InvalidArgumentError(
        "options 'F' and 'F1'/'F2' of optimizer DE conflict: 'F' sets both "
        "weights; give either 'F' or 'F1' and 'F2'");
  }
  OPTIMIZE_ASSIGN_OR_RETURN(double f, reader.Real("F", 0.8, 0.0, 2.0));
  OPTIMIZE_ASSIGN_OR_RETURN(result.f1, reader.Real("F1", f, 0.0, 2.0));
  OPTIMIZE_ASSIGN_OR_RETURN(result.f2, reader.Real("F2", f, 0.0, 2.0));
  OPTIMIZE_ASSIGN_OR_RETURN(result.cr, reader.Real("CR", 0.5, 0.0, 1.0));
  const int64_t min_popsize = std::max(4, n_samples);
  OPTIMIZE_ASSIGN_OR_RETURN(
      int64_t popsize,
      reader.Integer("popsize", std::max(30, n_samples), min_popsize, 1 << 20));
  result.popsize = static_cast<int>(popsize);
  return result;
}

absl::StatusOr<std::unique_ptr<Optimizer>> DifferentialEvolution::Create(
    const OptimizerConfig& config, const ParameterSpace& space, int n_samples) {
  OPTIMIZE_ASSIGN_OR_RETURN(
      DifferentialEvolutionOptions options,
      ReadDifferentialEvolutionOptions(config.options, n_samples));
  return std::unique_ptr<Optimizer>(
      new DifferentialEvolution(config, space, n_samples, options));
}

DifferentialEvolution::DifferentialEvolution(
    const OptimizerConfig& config, const ParameterSpace& space, int n_samples,
    const DifferentialEvolutionOptions& options)
    : Optimizer("DE", space, n_samples, config.seed, config.options),
      options_(options),
      rng_(config.seed),
      population_(options.popsize, space.dimension()),
      fitness_(Eigen::VectorXd::Constant(
          options.popsize, std::numeric_limits<double>::infinity())) {
  population_.setZero();
}

int DifferentialEvolution::PickMember(int excluded_a, int excluded_b) {
  int pick;
  do {
    pick = static_cast<int>(rng_.UniformInt(initialized_));
  } while (pick == excluded_a || pick == excluded_b);
  return pick;
}

Eigen::VectorXd DifferentialEvolution::MakeChild(int parent, int best) {
  const int d = dimension();
  const int a = PickMember(parent, parent);
  const int b = PickMember(parent, a);
  const Eigen::VectorXd x = population_.row(parent).transpose();
  const Eigen::VectorXd donor =
      x + options_.f1 * (population_.row(a) - population_.row(b)).transpose() +
      options_.f2 * (population_.row(best).transpose() - x);
  // Binomial crossover; coordinate `forced` always comes from the donor so
  // that the child differs from its parent. One uniform per coordinate is
  // drawn regardless, keeping the random stream independent of outcomes.
  const int forced = static_cast<int>(rng_.UniformInt(d));
  Eigen::VectorXd child = x;
  for (int k = 0; k < d; ++k) {
    const bool from_donor = rng_.Uniform() < options_.cr;
    if (from_donor || k == forced) child[k] = donor[k];
  }
  ReflectIntoUnit(child);
  return child;
}

absl::StatusOr<Eigen::MatrixXd> DifferentialEvolution::Propose() {
  const int n = n_samples();
  const int d = dimension();
  // Parents, a, b and best are drawn from the members told so far. Lineages
  // are initialised in cursor order, so when the first children are made at
  // least (popsize + 1) / 2 >= 3 members are known (popsize >= 4,
  // popsize >= n_samples): a, b and the parent can always be distinct.
  int best = 0;
  for (int i = 1; i < initialized_; ++i) {
    if (fitness_[i] < fitness_[best]) best = i;
  }
  Eigen::MatrixXd candidates(n, d);
  for (int j = 0; j < n; ++j) {
    const int lineage = (cursor_ + j) % options_.popsize;
    if (lineage >= initialized_) {
      for (int k = 0; k < d; ++k) candidates(j, k) = rng_.Uniform();
    } else {
      candidates.row(j) = MakeChild(lineage, best).transpose();
    }
  }
  return candidates;
}

absl::Status DifferentialEvolution::Update(const Eigen::MatrixXd& candidates,
                                           const Eigen::VectorXd& errors) {
  for (int j = 0; j < n_samples(); ++j) {
    const int lineage = (cursor_ + j) % options_.popsize;
    if (lineage >= initialized_) {
      population_.row(lineage) = candidates.row(j);
      fitness_[lineage] = errors[j];
      initialized_ = lineage + 1;
    } else if (errors[j] <= fitness_[lineage]) {
      population_.row(lineage) = candidates.row(j);
      fitness_[lineage] = errors[j];
    }
  }
  cursor_ = (cursor_ + n_samples()) % options_.popsize;
  return absl::OkStatus();
}

void DifferentialEvolution::SaveAlgorithm(StateWriter& writer) const {
  rng_.Save(writer);
  writer.PutMatrix(population_);
  writer.PutVector(fitness_);
  writer.PutU32(static_cast<uint32_t>(initialized_));
  writer.PutU32(static_cast<uint32_t>(cursor_));
}

absl::Status DifferentialEvolution::RestoreAlgorithm(StateReader& reader) {
  Random rng(0);
  OPTIMIZE_RETURN_IF_ERROR(rng.Restore(reader));
  OPTIMIZE_ASSIGN_OR_RETURN(
      Eigen::MatrixXd population,
      reader.GetMatrixOfShape("DE population", options_.popsize, dimension()));
  OPTIMIZE_ASSIGN_OR_RETURN(
      Eigen::VectorXd fitness,
      reader.GetVectorOfSize("DE fitness", options_.popsize));
  OPTIMIZE_ASSIGN_OR_RETURN(uint32_t initialized,
                            reader.GetU32("DE initialised members"));
  OPTIMIZE_ASSIGN_OR_RETURN(uint32_t cursor, reader.GetU32("DE cursor"));
  OPTIMIZE_RETURN_IF_ERROR(reader.ExpectEnd());
  if (initialized > static_cast<uint32_t>(options_.popsize) ||
      cursor >= static_cast<uint32_t>(options_.popsize)) {
    return absl::DataLossError("DE state has an out-of-range cursor");
  }
  rng_ = rng;
  population_ = std::move(population);
  fitness_ = std::move(fitness);
  initialized_ = static_cast<int>(initialized);
  cursor_ = static_cast<int>(cursor);
  return absl::OkStatus();
}

}  // namespace cellfit::optimize
