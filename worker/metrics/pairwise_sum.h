// Sums in the order numpy's add.reduce uses for a contiguous float64 row, so
// that errors computed here have the bits of brian2modelfitting's
// `mean(axis=...)` on the same traces. It is also faster than one running
// sum: eight independent additions per step instead of one dependent chain.
#ifndef CELLFIT_WORKER_METRICS_PAIRWISE_SUM_H_
#define CELLFIT_WORKER_METRICS_PAIRWISE_SUM_H_

#include <cstddef>

namespace cellfit::metrics {

// term(first) + ... + term(first + n - 1). Numpy's order: fewer than 8 terms
// one after the other from 0; up to 128 terms in eight interleaved partial
// sums, combined as a tree, then the remainder one by one; longer rows split
// in two at a multiple of 8 near the middle, each half summed so.
template <typename Term>
double PairwiseSum(std::size_t first, std::size_t n, const Term& term) {
  constexpr std::size_t kBlock = 128;
  if (n < 8) {
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) sum += term(first + i);
    return sum;
  }
  if (n <= kBlock) {
    double partial[8];
    for (std::size_t k = 0; k < 8; ++k) partial[k] = term(first + k);
    const std::size_t whole = n - n % 8;
    for (std::size_t i = 8; i < whole; i += 8) {
      for (std::size_t k = 0; k < 8; ++k) partial[k] += term(first + i + k);
    }
    double sum = ((partial[0] + partial[1]) + (partial[2] + partial[3])) +
                 ((partial[4] + partial[5]) + (partial[6] + partial[7]));
    for (std::size_t i = whole; i < n; ++i) sum += term(first + i);
    return sum;
  }
  std::size_t half = n / 2;
  half -= half % 8;
  return PairwiseSum(first, half, term) +
         PairwiseSum(first + half, n - half, term);
}

}  // namespace cellfit::metrics

#endif  // CELLFIT_WORKER_METRICS_PAIRWISE_SUM_H_
