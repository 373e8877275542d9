// Small helpers for points of the normalised search box [0, 1]^d.
#ifndef CELLFIT_SERVER_OPTIMIZE_UNIT_BOX_H_
#define CELLFIT_SERVER_OPTIMIZE_UNIT_BOX_H_

#include <cmath>

#include "Eigen/Core"

namespace cellfit::optimize {

// Folds a coordinate into [0, 1] by mirroring at 0 and 1 as often as needed
// (a period-2 reflection). Unlike clipping, it keeps a population spread
// when a step overshoots, and it is an exact isometry of the box, so a
// method may search the unfolded line while evaluating the folded point.
inline double ReflectIntoUnit(double x) {
  if (x >= 0.0 && x <= 1.0) return x;
  if (!std::isfinite(x)) return 0.5;
  const double y = std::fmod(std::fabs(x), 2.0);
  return y <= 1.0 ? y : 2.0 - y;
}

inline void ReflectIntoUnit(Eigen::Ref<Eigen::VectorXd> x) {
  for (Eigen::Index i = 0; i < x.size(); ++i) x[i] = ReflectIntoUnit(x[i]);
}

// Whether every entry is finite and within [0, 1].
inline bool InUnitBox(const Eigen::MatrixXd& points) {
  for (Eigen::Index c = 0; c < points.cols(); ++c) {
    for (Eigen::Index r = 0; r < points.rows(); ++r) {
      const double v = points(r, c);
      if (!(v >= 0.0 && v <= 1.0)) return false;
    }
  }
  return true;
}

}  // namespace cellfit::optimize

#endif  // CELLFIT_SERVER_OPTIMIZE_UNIT_BOX_H_
