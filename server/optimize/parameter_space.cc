#include "server/optimize/parameter_space.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace cellfit::optimize {

absl::StatusOr<ParameterSpace> ParameterSpace::Create(
    std::vector<ParameterBounds> parameters) {
  if (parameters.empty()) {
    return absl::InvalidArgumentError(
        "the parameter space is empty: give bounds for at least one fitted "
        "parameter");
  }
  absl::flat_hash_set<std::string> seen;
  for (const ParameterBounds& p : parameters) {
    if (p.name.empty()) {
      return absl::InvalidArgumentError("a fitted parameter has an empty name");
    }
    if (!seen.insert(p.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter '", p.name, "' has bounds given twice"));
    }
    if (!std::isfinite(p.lower) || !std::isfinite(p.upper)) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter '", p.name, "' has bounds [", p.lower, ", ",
                       p.upper, "]; both bounds must be finite"));
    }
    if (!(p.lower < p.upper)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "parameter '", p.name, "' has bounds [", p.lower, ", ", p.upper,
          "]; the lower bound must be below the upper bound"));
    }
    if (p.log_scale && !(p.lower > 0.0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter '", p.name,
                       "' is searched on a log scale but its lower "
                       "bound is ",
                       p.lower, "; log-scaled bounds must both be positive"));
    }
  }
  return ParameterSpace(std::move(parameters));
}

ParameterSpace::ParameterSpace(std::vector<ParameterBounds> parameters)
    : parameters_(std::move(parameters)) {
  for (const ParameterBounds& p : parameters_) {
    if (p.log_scale) {
      offset_.push_back(std::log(p.lower));
      width_.push_back(std::log(p.upper) - std::log(p.lower));
    } else {
      offset_.push_back(p.lower);
      width_.push_back(p.upper - p.lower);
    }
  }
}

std::vector<std::string> ParameterSpace::names() const {
  std::vector<std::string> names;
  names.reserve(parameters_.size());
  for (const ParameterBounds& p : parameters_) names.push_back(p.name);
  return names;
}

double ParameterSpace::ToPhysical(int index, double unit) const {
  const ParameterBounds& p = parameters_[index];
  if (unit <= 0.0) return p.lower;
  if (unit >= 1.0) return p.upper;
  double value = offset_[index] + unit * width_[index];
  if (p.log_scale) value = std::exp(value);
  return std::clamp(value, p.lower, p.upper);
}

Eigen::VectorXd ParameterSpace::ToPhysical(const Eigen::VectorXd& unit) const {
  Eigen::VectorXd physical(unit.size());
  for (int i = 0; i < dimension(); ++i) physical[i] = ToPhysical(i, unit[i]);
  return physical;
}

Eigen::MatrixXd ParameterSpace::ToPhysicalRows(
    const Eigen::MatrixXd& unit) const {
  Eigen::MatrixXd physical(unit.rows(), unit.cols());
  for (Eigen::Index r = 0; r < unit.rows(); ++r) {
    for (int i = 0; i < dimension(); ++i) {
      physical(r, i) = ToPhysical(i, unit(r, i));
    }
  }
  return physical;
}

double ParameterSpace::ToUnit(int index, double physical) const {
  const ParameterBounds& p = parameters_[index];
  if (physical == p.lower) return 0.0;
  if (physical == p.upper) return 1.0;
  const double value = p.log_scale ? std::log(physical) : physical;
  return (value - offset_[index]) / width_[index];
}

Eigen::VectorXd ParameterSpace::ToUnit(const Eigen::VectorXd& physical) const {
  Eigen::VectorXd unit(physical.size());
  for (int i = 0; i < dimension(); ++i) unit[i] = ToUnit(i, physical[i]);
  return unit;
}

bool ParameterSpace::Contains(const Eigen::VectorXd& physical) const {
  if (physical.size() != dimension()) return false;
  for (int i = 0; i < dimension(); ++i) {
    if (!(physical[i] >= parameters_[i].lower &&
          physical[i] <= parameters_[i].upper)) {
      return false;
    }
  }
  return true;
}

bool ParameterSpace::operator==(const ParameterSpace& other) const {
  if (parameters_.size() != other.parameters_.size()) return false;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const ParameterBounds& a = parameters_[i];
    const ParameterBounds& b = other.parameters_[i];
    if (a.name != b.name || a.lower != b.lower || a.upper != b.upper ||
        a.log_scale != b.log_scale) {
      return false;
    }
  }
  return true;
}

}  // namespace cellfit::optimize
