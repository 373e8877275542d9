#include "server/optimize/space_filling.h"

#include <utility>

namespace cellfit::optimize {
namespace {

void Split(Box box, int n, std::vector<Box>& out) {
  if (n == 1) {
    out.push_back(std::move(box));
    return;
  }
  Eigen::Index axis = 0;
  (box.upper - box.lower).maxCoeff(&axis);  // first longest side on ties
  const int left = n / 2;
  const double cut = box.lower[axis] + (box.upper[axis] - box.lower[axis]) *
                                           static_cast<double>(left) / n;
  Box low = box;
  Box high = std::move(box);
  low.upper[axis] = cut;
  high.lower[axis] = cut;
  Split(std::move(low), left, out);
  Split(std::move(high), n - left, out);
}

}  // namespace

Eigen::MatrixXd LatinHypercube(int n, int d, Random& rng) {
  Eigen::MatrixXd points(n, d);
  for (int k = 0; k < d; ++k) {
    const std::vector<int> strata = rng.Permutation(n);
    for (int i = 0; i < n; ++i) {
      points(i, k) = (strata[i] + rng.Uniform()) / n;
    }
  }
  return points;
}

std::vector<Box> PartitionUnitBox(int n, int d) {
  std::vector<Box> boxes;
  boxes.reserve(n);
  Split(Box{Eigen::VectorXd::Zero(d), Eigen::VectorXd::Ones(d)}, n, boxes);
  return boxes;
}

}  // namespace cellfit::optimize
