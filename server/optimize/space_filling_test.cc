#include "server/optimize/space_filling.h"

#include <set>

#include "gtest/gtest.h"

namespace cellfit::optimize {
namespace {

TEST(SpaceFillingTest, LatinHypercubeHasOnePointPerStratum) {
  Random rng(5);
  for (int n : {1, 2, 7, 20}) {
    const Eigen::MatrixXd points = LatinHypercube(n, 4, rng);
    ASSERT_EQ(points.rows(), n);
    for (int k = 0; k < 4; ++k) {
      std::set<int> strata;
      for (int i = 0; i < n; ++i) {
        ASSERT_GE(points(i, k), 0.0);
        ASSERT_LE(points(i, k), 1.0);
        strata.insert(std::min(n - 1, static_cast<int>(points(i, k) * n)));
      }
      EXPECT_EQ(static_cast<int>(strata.size()), n);
    }
  }
}

TEST(SpaceFillingTest, PartitionTilesTheBoxEvenly) {
  for (int n : {1, 2, 3, 6, 16, 20}) {
    for (int d : {1, 2, 4}) {
      const std::vector<Box> boxes = PartitionUnitBox(n, d);
      ASSERT_EQ(static_cast<int>(boxes.size()), n);
      double volume = 0;
      for (const Box& box : boxes) {
        const double v = (box.upper - box.lower).prod();
        volume += v;
        // Equal volumes up to the integer split of odd counts.
        EXPECT_GT(v, 0.5 / n);
        EXPECT_LT(v, 2.0 / n);
      }
      EXPECT_NEAR(volume, 1.0, 1e-12);
      // Disjoint interiors: the centre of each box lies in no other box.
      for (int a = 0; a < n; ++a) {
        const Eigen::VectorXd centre = (boxes[a].lower + boxes[a].upper) / 2;
        for (int b = 0; b < n; ++b) {
          if (a == b) continue;
          const bool inside = (centre.array() > boxes[b].lower.array()).all() &&
                              (centre.array() < boxes[b].upper.array()).all();
          EXPECT_FALSE(inside) << n << " " << d << " " << a << " " << b;
        }
      }
    }
  }
}

}  // namespace
}  // namespace cellfit::optimize
