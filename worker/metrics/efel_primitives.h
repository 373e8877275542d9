// The building blocks eFEL computes its spike features from, rewritten from
// the definitions in eFEL's cppcore (Utils.cpp, BasicFeatures.cpp,
// SpikeEvent.cpp, SpikeShape.cpp). They work in eFEL's own units,
// milliseconds and millivolts, so that thresholds, grids and rounding are the
// same as there; efel_features.h converts to and from SI.
//
// Indices are signed (std::ptrdiff_t) because eFEL's index arithmetic is, and
// some of it (AP_begin_indices) steps below zero-based bounds on purpose.
#ifndef CELLFIT_WORKER_METRICS_EFEL_PRIMITIVES_H_
#define CELLFIT_WORKER_METRICS_EFEL_PRIMITIVES_H_

#include <cstddef>
#include <span>
#include <vector>

namespace cellfit::metrics::efel {

using Index = std::ptrdiff_t;

// eFEL's LinearInterpolation (the `interpolate` step every feature depends
// on): resamples y(x) on the grid x[0], x[0] + step, ... accumulated by
// repeated addition like eFEL (not x[0] + i*step), with
// ceil((x.back() - x[0]) / step) points plus one more if the last is still
// below x.back(); values are linear between the two neighbouring samples and
// y.back() past the end. Requires x ascending with at least 3 points and
// step > 0. eFEL can return fewer y than x values when accumulation pushes a
// grid point past x.back() early; `xi` is then cut to the length of `yi`.
void LinearInterpolation(double step, std::span<const double> x,
                         std::span<const double> y, std::vector<double>& xi,
                         std::vector<double>& yi);

// eFEL's getCentralDifferenceDerivative with dx = 1: forward difference at
// the first point, backward at the last, (v[i+1] - v[i-1]) / 2 in between.
// Requires at least 2 points.
std::vector<double> CentralDifference(std::span<const double> v);

// eFEL's first_min_element over v[begin, end): walks forward keeping the
// running minimum and returns it as soon as two later samples have not gone
// below it (the first local minimum); otherwise the overall minimum. Returns
// `end` for an empty range.
Index FirstMinIndex(std::span<const double> v, Index begin, Index end);

// eFEL's peak_indices (non-strict stimulus interval): upward crossings are
// samples with v[i] > threshold > v[i-1], downward ones v[i] < threshold <
// v[i-1] (a sample exactly at the threshold crosses neither way). Downward
// crossings before the first upward one are dropped, surplus upward ones at
// the end too (a spike still above threshold at the end of the trace does
// not count); each peak is the first maximum of v over [up_k, down_k].
// Empty when there is no crossing in either direction (eFEL fails there,
// which makes Spikecount 0 and every spike feature undefined).
std::vector<Index> PeakIndices(std::span<const double> v, double threshold);

// eFEL's min_AHP_indices (non-strict): for each peak, FirstMinIndex from the
// peak up to the next peak (the last one: up to the end of the trace), kept
// unless it is the trace's last sample (the voltage still falling when the
// recording stops). Requires peaks non-empty.
std::vector<Index> MinAhpIndices(std::span<const double> v,
                                 std::span<const Index> peaks);

// eFEL's AP_begin_indices: dv/dt as the ratio of the central differences of
// v and t (mV/ms); for each peak after the stimulus onset, searching
// backwards from the peak towards the previous AHP minimum (the first one:
// two samples before the stimulus onset), the first sample after the last
// point where dv/dt <= derivative_threshold, accepted once dv/dt stays >=
// the threshold for `derivative_window` samples from there. Peaks where no
// such point exists are skipped. Returns false where eFEL fails (more peaks
// after the onset than AHP minima to search from).
bool ApBeginIndices(std::span<const double> t, std::span<const double> v,
                    double stim_start, std::span<const Index> peaks,
                    std::span<const Index> min_ahp, double derivative_threshold,
                    int derivative_window, std::vector<Index>& begins);

// eFEL's AP_width (non-strict): segments [0, ahp_0), [ahp_0, ahp_1), ...;
// in each, from the first sample >= threshold to the next sample <=
// threshold, t[end] - t[onset] (ms). One width per AHP minimum.
std::vector<double> ApWidths(std::span<const double> t,
                             std::span<const double> v, double threshold,
                             std::span<const Index> min_ahp);

}  // namespace cellfit::metrics::efel

#endif  // CELLFIT_WORKER_METRICS_EFEL_PRIMITIVES_H_
