#include "worker/metrics/efel_primitives.h"

#include <algorithm>
#include <cmath>

namespace cellfit::metrics::efel {

void LinearInterpolation(double step, std::span<const double> x,
                         std::span<const double> y, std::vector<double>& xi,
                         std::vector<double>& yi) {
  xi.clear();
  yi.clear();
  const double start = x.front();
  const double stop = x.back();
  // As eFEL (after numpy.arange): the count from ceil, then one more point if
  // the accumulated grid has not reached the end.
  const auto count = static_cast<std::size_t>(std::ceil((stop - start) / step));
  xi.reserve(count + 1);
  double grid = start;
  for (std::size_t i = 0; i < count; ++i) {
    xi.push_back(grid);
    grid += step;
  }
  if (xi.empty() || xi.back() < stop) xi.push_back(grid);

  yi.reserve(xi.size());
  const std::size_t n = x.size();
  std::size_t j = 0;
  for (double xv : xi) {
    while (x[j + 1] < xv) {
      ++j;
      if (j + 1 >= n) {
        j = n - 1;
        break;
      }
    }
    if (j == n - 1) {
      yi.push_back(y[j]);  // past the last sample; eFEL stops here
      break;
    }
    const double slope = (y[j + 1] - y[j]) / (x[j + 1] - x[j]);
    yi.push_back(y[j] + slope * (xv - x[j]));
  }
  // eFEL's Python features cut the time axis to the voltage's length; the
  // C++ ones would read past the voltage otherwise.
  xi.resize(yi.size());
}

std::vector<double> CentralDifference(std::span<const double> v) {
  const std::size_t n = v.size();
  std::vector<double> dv(n);
  dv[0] = v[1] - v[0];
  for (std::size_t i = 1; i + 1 < n; ++i) dv[i] = (v[i + 1] - v[i - 1]) / 2;
  dv[n - 1] = v[n - 1] - v[n - 2];
  return dv;
}

Index FirstMinIndex(std::span<const double> v, Index begin, Index end) {
  if (begin == end) return end;
  Index lowest = begin;
  int min_counter = 0;
  for (Index i = begin + 1; i != end; ++i) {
    if (v[i] < v[lowest]) {
      lowest = i;
      min_counter = 0;
    } else if (v[i] >= v[lowest]) {
      ++min_counter;
    }
    if (min_counter == 2) return lowest;
  }
  return lowest;
}

std::vector<Index> PeakIndices(std::span<const double> v, double threshold) {
  std::vector<Index> up, down;
  const auto n = static_cast<Index>(v.size());
  for (Index i = 1; i < n; ++i) {
    if (v[i] > threshold && v[i - 1] < threshold) {
      up.push_back(i);
    } else if (v[i] < threshold && v[i - 1] > threshold) {
      down.push_back(i);
    }
  }
  if (up.empty() || down.empty()) return {};
  // The trace may start above threshold: drop its first downward crossings.
  auto first_down = std::find_if(down.begin(), down.end(),
                                 [&](Index d) { return d >= up[0]; });
  down.erase(down.begin(), first_down);
  if (up.size() > down.size()) up.resize(down.size());

  std::vector<Index> peaks;
  peaks.reserve(up.size());
  for (std::size_t k = 0; k < up.size(); ++k) {
    double best = -1e9;
    Index best_index = 0;
    bool found = false;
    for (Index j = up[k]; j <= down[k]; ++j) {
      if (best < v[j]) {
        best = v[j];
        best_index = j;
        found = true;
      }
    }
    if (found) peaks.push_back(best_index);
  }
  return peaks;
}

std::vector<Index> MinAhpIndices(std::span<const double> v,
                                 std::span<const Index> peaks) {
  const auto end = static_cast<Index>(v.size());
  std::vector<Index> ahp;
  for (std::size_t i = 0; i < peaks.size(); ++i) {
    const Index segment_end = i + 1 < peaks.size() ? peaks[i + 1] : end;
    const Index index = FirstMinIndex(v, peaks[i], segment_end);
    if (index != end - 1) ahp.push_back(index);
  }
  return ahp;
}

bool ApBeginIndices(std::span<const double> t, std::span<const double> v,
                    double stim_start, std::span<const Index> peaks,
                    std::span<const Index> min_ahp, double derivative_threshold,
                    int derivative_window, std::vector<Index>& begins) {
  begins.clear();
  const auto n = static_cast<Index>(v.size());
  const std::vector<double> dv = CentralDifference(v);
  const std::vector<double> dt = CentralDifference(t);
  std::vector<double> dvdt(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) dvdt[i] = dv[i] / dt[i];

  const auto stim_begin = static_cast<Index>(
      std::find_if(t.begin(), t.end(),
                   [stim_start](double time) { return time >= stim_start; }) -
      t.begin());
  // The first search stops two samples before the stimulus onset (eFEL: the
  // onset index can land slightly late after interpolation).
  std::vector<Index> minima;
  if (stim_begin > 1) {
    minima.push_back(stim_begin - 2);
  } else if (stim_begin == 1) {
    minima.push_back(0);
  } else {
    minima.push_back(stim_begin);
  }
  for (Index a : min_ahp) {
    if (a > stim_begin) minima.push_back(a);
  }
  std::vector<Index> stim_peaks;
  for (Index p : peaks) {
    if (p > stim_begin) stim_peaks.push_back(p);
  }
  if (minima.size() < stim_peaks.size()) return false;

  const Index width = derivative_window;
  for (std::size_t i = 0; i < stim_peaks.size(); ++i) {
    const Index lower = minima[i];
    Index new_begin = stim_peaks[i];
    Index begin = lower;
    bool skip = false;
    while (true) {
      // The last sample in [lower, new_begin) with dv/dt <= threshold; begin
      // is the one after it (lower when there is none).
      begin = lower;
      for (Index j = new_begin - 1; j >= lower; --j) {
        if (dvdt[j] <= derivative_threshold) {
          begin = j + 1;
          break;
        }
      }
      if (begin > n - width) begin = n - width;
      if (begin == lower || begin < 0) {
        skip = true;  // no upstroke between these minima
        break;
      }
      new_begin = begin - 1;
      bool steep = true;
      for (Index k = begin; k < begin + width; ++k) {
        if (dvdt[k] < derivative_threshold) {
          steep = false;
          break;
        }
      }
      if (steep) break;
    }
    if (!skip) begins.push_back(begin);
  }
  return true;
}

std::vector<double> ApWidths(std::span<const double> t,
                             std::span<const double> v, double threshold,
                             std::span<const Index> min_ahp) {
  std::vector<Index> bounds;
  bounds.reserve(min_ahp.size() + 1);
  bounds.push_back(0);
  bounds.insert(bounds.end(), min_ahp.begin(), min_ahp.end());
  std::vector<double> widths;
  for (std::size_t i = 0; i + 1 < bounds.size(); ++i) {
    Index onset = bounds[i];
    while (onset < bounds[i + 1] && !(v[onset] >= threshold)) ++onset;
    Index end = onset;
    while (end < bounds[i + 1] && !(v[end] <= threshold)) ++end;
    widths.push_back(t[end] - t[onset]);
  }
  return widths;
}

}  // namespace cellfit::metrics::efel
