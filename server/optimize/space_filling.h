// Spreading starting points and sub-boxes over the unit box.
#ifndef CELLFIT_SERVER_OPTIMIZE_SPACE_FILLING_H_
#define CELLFIT_SERVER_OPTIMIZE_SPACE_FILLING_H_

#include <vector>

#include "Eigen/Core"
#include "server/optimize/random.h"

namespace cellfit::optimize {

// A Latin hypercube sample of n points in [0, 1]^d (n x d): along every
// coordinate each of the n equal strata holds exactly one point, placed
// uniformly within it.
Eigen::MatrixXd LatinHypercube(int n, int d, Random& rng);

struct Box {
  Eigen::VectorXd lower;
  Eigen::VectorXd upper;
};

// Splits [0, 1]^d into n boxes of (nearly) equal volume by recursive
// bisection of the longest side, each cut placed in proportion to the number
// of boxes on either side. Deterministic.
std::vector<Box> PartitionUnitBox(int n, int d);

}  // namespace cellfit::optimize

#endif  // CELLFIT_SERVER_OPTIMIZE_SPACE_FILLING_H_
