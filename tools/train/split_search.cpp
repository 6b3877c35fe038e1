#include "train/split_search.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace dpa::tools {
namespace {

// The split search scans every bin of every feature: most of a small fit's time (the sweep
// learner's: a few thousand rows, 255 bins). Almost no boundary can beat the best split found so
// far, and its gain's two divisions cost more than its sums: a feature's boundaries are first
// screened without a division, vectorised (AVX-512 or AVX2 where the CPU has it), and only a
// feature where one might beat the best is scanned with exact gains, boundary after boundary as
// the scan that computes every gain takes them, from the same prefix sums: the split chosen and
// its gain stay bit for bit that scan's.
// The prefix sums are taken four features at once, since each sum waits on the one before it,
// gradient and hessian side by side in one vector: a load, an add and a store per boundary.
constexpr std::size_t kPrefixLanes = 4;  // prefix_sums is written for four

// A gradient-hessian pair as one vector (GCC and Clang): both sums in one instruction, each
// rounded as the scalar sum would be.
typedef double PairVector __attribute__((vector_size(16)));

// Prefix sums of the features at positions [first, first + lanes) at every boundary b (rows with
// code <= b go left), in bin order: left[k][b] = (gl, hl) of lane k.
struct PrefixSums {
  HistBin left[kPrefixLanes][kMaxBoundaries];
};

PairVector load_pair(const HistBin& h) {
  PairVector v;
  std::memcpy(&v, &h, sizeof v);
  return v;
}

void store_pair(HistBin& h, PairVector v) { std::memcpy(&h, &v, sizeof v); }

// One feature's running sums: where its bins are read and its prefix sums written, and its last
// boundary.
struct Lane {
  PairVector sum;
  const HistBin* in;
  HistBin* out;
  std::size_t end;
};

// Lanes [0, K) from boundary `from` to `to`, side by side in registers (copied into locals), so
// that no add waits on the one before it in its lane.
template <std::size_t K>
void run_lanes(Lane* lanes, std::size_t from, std::size_t to) {
  PairVector s[K];
  const HistBin* in[K];
  HistBin* out[K];
  for (std::size_t k = 0; k < K; ++k) s[k] = lanes[k].sum, in[k] = lanes[k].in, out[k] = lanes[k].out;
  for (std::size_t b = from; b < to; ++b) {
    for (std::size_t k = 0; k < K; ++k) {
      s[k] += load_pair(in[k][b]);
      store_pair(out[k][b], s[k]);
    }
  }
  for (std::size_t k = 0; k < K; ++k) lanes[k].sum = s[k];
}

// The lanes still running go on together up to the shortest one's last boundary, which then
// drops out: features of few bins (hyperparameters, the step) beside ones of 255 keep the others
// side by side.
void prefix_sums(const NodeHistograms& node, std::size_t first, std::size_t count, PrefixSums& s) {
  Lane lanes[kPrefixLanes];
  for (std::size_t k = 0; k < count; ++k)
    lanes[k] = {PairVector{}, &node.bins[node.offset[first + k]], s.left[k], node.boundaries[first + k]};
  Lane* active_end = lanes + count;
  for (std::size_t b = 0; active_end != lanes;) {
    const std::size_t to =
        std::min_element(lanes, active_end, [](const Lane& x, const Lane& y) { return x.end < y.end; })->end;
    switch (active_end - lanes) {
      case 4: run_lanes<4>(lanes, b, to); break;
      case 3: run_lanes<3>(lanes, b, to); break;
      case 2: run_lanes<2>(lanes, b, to); break;
      default: run_lanes<1>(lanes, b, to); break;
    }
    b = to;
    active_end = std::remove_if(lanes, active_end, [to](const Lane& l) { return l.end == to; });
  }
}

// Whether some boundary's gain gl^2/dl + gr^2/dr - parent (dl = hl + lambda, dr = hr + lambda)
// might exceed `threshold`. With dl, dr > 0 it can only if gl^2 dr + gr^2 dl > (threshold +
// parent) dl dr. Both sides are computed in double and the right one narrowed by about 2^-43 of
// itself, far more than their own roundings and the gain's (a few times 2^-53 each); a boundary
// is ruled out only when the left side is below the right one, so a NaN, an infinity on both
// sides, a denominator <= 0 or a right side too small for relative bounds (subnormal) always
// counts as "might".
#if defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
bool might_beat(const HistBin* left_of, std::size_t count, const NodeHistograms& node, double parent, double threshold,
                double lambda) {
  const double limit = (threshold + parent - std::ldexp(std::fabs(threshold) + std::fabs(parent), -44)) *
                       ((1 - 0x1p-44) / (1 + 0x1p-44));
  double might = 0;  // 1 once one might: a select in double vectorises (GCC 12; a count does not)
  for (std::size_t j = 0; j < count; ++j) {
    const double gl = left_of[j].gradient, gr = node.gradient - gl;
    const double dl = left_of[j].hessian + lambda, dr = (node.hessian - left_of[j].hessian) + lambda;
    const double left = gl * gl * dr + gr * gr * dl;
    const double right = limit * dl * dr;
    const bool ruled_out = (left < right) & (right > 0x1p-900) & (dl > 0) & (dr > 0);
    might = ruled_out ? might : 1.0;
  }
  return might != 0;
}

// The rule at one boundary (left sums gl, hl): a child lighter than min_child_weight never; a gain
// that exceeds the best so far by more than 1e-12, and min_split_gain, replaces it.
inline void judge_boundary(double gl, double hl, const NodeHistograms& node, double parent, const GbdtParams& p,
                           std::uint32_t feature, std::uint32_t bin, Split& best) {
  const double gr = node.gradient - gl, hr = node.hessian - hl;
  if (hl < p.min_child_weight || hr < p.min_child_weight) return;
  const double gain = gl * gl / (hl + p.lambda) + gr * gr / (hr + p.lambda) - parent;
  if (gain > best.gain + 1e-12 && gain > p.min_split_gain) best = {gain, feature, bin, true};
}

}  // namespace

Split find_best_split(const NodeHistograms& node, const GbdtParams& p, std::size_t first, std::size_t last) {
  Split best;
  const double parent = node.gradient * node.gradient / (node.hessian + p.lambda);
  PrefixSums s;
  for (std::size_t group = first; group < last; group += kPrefixLanes) {
    const std::size_t lanes = std::min(kPrefixLanes, last - group);
    prefix_sums(node, group, lanes, s);
    for (std::size_t k = 0; k < lanes; ++k) {
      const double threshold = std::max(best.gain + 1e-12, p.min_split_gain);
      const std::size_t boundaries = node.boundaries[group + k];
      if (!might_beat(s.left[k], boundaries, node, parent, threshold, p.lambda)) continue;
      for (std::size_t b = 0; b < boundaries; ++b)
        judge_boundary(s.left[k][b].gradient, s.left[k][b].hessian, node, parent, p, node.features[group + k],
                       static_cast<std::uint32_t>(b), best);
    }
  }
  return best;
}

Split find_best_split_every_gain(const NodeHistograms& node, const GbdtParams& p, std::size_t first, std::size_t last) {
  Split best;
  const double parent = node.gradient * node.gradient / (node.hessian + p.lambda);
  for (std::size_t i = first; i < last; ++i) {
    const HistBin* h = &node.bins[node.offset[i]];
    double gl = 0, hl = 0;
    for (std::size_t b = 0; b < node.boundaries[i]; ++b) {
      gl += h[b].gradient;
      hl += h[b].hessian;
      judge_boundary(gl, hl, node, parent, p, node.features[i], static_cast<std::uint32_t>(b), best);
    }
  }
  return best;
}

}  // namespace dpa::tools
