// The fitted parameters and their bounds, and the map between physical values
// and the normalised unit box that every optimizer searches.
//
// Optimizers work in [0, 1]^d so that one step size, one tolerance and one
// initial spread suit parameters whose units and magnitudes differ by many
// orders (a capacitance of 1e-12 F next to a time constant of 1e-2 s). A
// parameter may ask for a logarithmic scale, as for conductances spanning
// decades: then equal steps in the unit box are equal ratios of the value.
#ifndef CELLFIT_SERVER_OPTIMIZE_PARAMETER_SPACE_H_
#define CELLFIT_SERVER_OPTIMIZE_PARAMETER_SPACE_H_

#include <string>
#include <vector>

#include "Eigen/Core"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cellfit::optimize {

// One fitted parameter, in SI units.
struct ParameterBounds {
  std::string name;
  double lower = 0.0;
  double upper = 0.0;
  bool log_scale = false;  // search log(value) uniformly; needs lower > 0
};

class ParameterSpace {
 public:
  // Checks every parameter: a non-empty name not used twice, finite bounds
  // with lower < upper, and positive bounds when log-scaled. Errors name the
  // parameter.
  static absl::StatusOr<ParameterSpace> Create(
      std::vector<ParameterBounds> parameters);

  int dimension() const { return static_cast<int>(parameters_.size()); }
  const std::vector<ParameterBounds>& parameters() const { return parameters_; }
  std::vector<std::string> names() const;

  // Physical value of a point of the unit box; the result lies within the
  // bounds even where rounding of exp/log would step outside. Unit
  // coordinates 0 and 1 give exactly the lower and upper bound.
  double ToPhysical(int index, double unit) const;
  Eigen::VectorXd ToPhysical(const Eigen::VectorXd& unit) const;
  // Row by row: each row of `unit` is one point.
  Eigen::MatrixXd ToPhysicalRows(const Eigen::MatrixXd& unit) const;

  // Unit-box coordinate of a physical value (values outside the bounds map
  // outside [0, 1]).
  double ToUnit(int index, double physical) const;
  Eigen::VectorXd ToUnit(const Eigen::VectorXd& physical) const;

  // Whether every coordinate lies within its closed bounds.
  bool Contains(const Eigen::VectorXd& physical) const;

  bool operator==(const ParameterSpace& other) const;

 private:
  explicit ParameterSpace(std::vector<ParameterBounds> parameters);

  std::vector<ParameterBounds> parameters_;
  // Per parameter: the lower end and width of the searched interval, in the
  // value itself or in its natural logarithm.
  std::vector<double> offset_;
  std::vector<double> width_;
};

}  // namespace cellfit::optimize

#endif  // CELLFIT_SERVER_OPTIMIZE_PARAMETER_SPACE_H_
