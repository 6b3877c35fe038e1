#include "train/split_search.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace dpa::tools {
namespace {

// The split search scans every bin of every feature: most of a small fit's time (the sweep
// learner's: a few thousand rows, 255 bins). Two things make it cheaper, and the split chosen
// and its gain stay bit for bit those of the scan that computes every bin's gain:
// - A boundary whose bin adds nothing (gradient and hessian both zero: an empty bin, common in
//   deep nodes) has the gain of the boundary before it, which cannot beat the best by more than
//   1e-12 since that one was judged (or is the first, of gain exactly 0, or too light): it is
//   left out.
// - Almost no boundary can beat the best split found so far, and its gain's two divisions cost
//   more than its sums: a feature's boundaries are first screened without a division,
//   vectorised (AVX-512 or AVX2 where the CPU has it), and only a feature where one might beat
//   the best is scanned with exact gains.
// The prefix sums are taken two features at once, since each sum waits on the one before it
// (four measured no faster), gradient and hessian side by side in one vector.
constexpr std::size_t kPrefixLanes = 2;  // prefix_sums is written for two

// Prefix sums of the features at positions [first, first + lanes) at their boundaries b (rows with code <= b go
// left), in bin order as the exact scan takes them, at the boundaries whose bin adds something:
// lane k's are left[k][j] (gl, hl) at boundary bin[k][j], j < kept[k].
struct PrefixSums {
  HistBin left[kPrefixLanes][kMaxBoundaries];
  std::uint16_t bin[kPrefixLanes][kMaxBoundaries];  // not bytes: a byte store may alias the sums
  std::size_t kept[kPrefixLanes];
};

// One feature's running sums: boundary b added, written always, kept when its bin adds something
// (no branch).
struct Lane {
  HistBin sum{0.0, 0.0};
  std::size_t kept = 0;
  void add(const HistBin& cell, std::size_t b, HistBin* left, std::uint16_t* bin_of) {
    sum.gradient += cell.gradient;
    sum.hessian += cell.hessian;
    left[kept] = sum;
    bin_of[kept] = static_cast<std::uint16_t>(b);
    std::uint64_t g, h;  // both zero, of either sign: no bit but the signs set
    std::memcpy(&g, &cell.gradient, sizeof g);
    std::memcpy(&h, &cell.hessian, sizeof h);
    kept += ((g | h) << 1) != 0;
  }
};

// Lane k of s: the feature at position `at`, from boundary `from` on.
void finish_lane(const NodeHistograms& node, std::size_t at, std::size_t from, Lane lane, PrefixSums& s,
                 std::size_t k) {
  const HistBin* h = &node.bins[node.offset[at]];
  for (std::size_t b = from; b < node.boundaries[at]; ++b) lane.add(h[b], b, s.left[k], s.bin[k]);
  s.kept[k] = lane.kept;
}

void prefix_sums(const NodeHistograms& node, std::size_t first, std::size_t lanes, PrefixSums& s) {
  Lane one, two;  // named, not an array: kept in registers
  std::size_t b = 0;
  if (lanes == 2) {
    const HistBin* h1 = &node.bins[node.offset[first]];
    const HistBin* h2 = &node.bins[node.offset[first + 1]];
    for (const std::size_t common = std::min(node.boundaries[first], node.boundaries[first + 1]); b < common; ++b) {
      one.add(h1[b], b, s.left[0], s.bin[0]);
      two.add(h2[b], b, s.left[1], s.bin[1]);
    }
    finish_lane(node, first + 1, b, two, s, 1);
  }
  finish_lane(node, first, b, one, s, 0);
}

// Whether some boundary's gain gl^2/dl + gr^2/dr - parent (dl = hl + lambda, dr = hr + lambda)
// might exceed `threshold`. With dl, dr > 0 it can only if gl^2 dr + gr^2 dl > (threshold +
// parent) dl dr. Both sides are computed in double and widened by 2^-44 of themselves, far more
// than their own roundings and the gain's (a few times 2^-53 each); a boundary is ruled out only
// when the left side is below the right one, so a NaN, an infinity on both sides, a denominator
// <= 0 or a right side too small for relative bounds (subnormal) always counts as "might".
#if defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
bool might_beat(const HistBin* left_of, std::size_t count, const NodeHistograms& node, double parent, double threshold,
                double lambda) {
  const double limit = threshold + parent - std::ldexp(std::fabs(threshold) + std::fabs(parent), -44);
  double might = 0;  // 1 once one might: a select in double vectorises (GCC 12; a count does not)
  for (std::size_t j = 0; j < count; ++j) {
    const double gl = left_of[j].gradient, gr = node.gradient - gl;
    const double dl = left_of[j].hessian + lambda, dr = (node.hessian - left_of[j].hessian) + lambda;
    const double left = (gl * gl * dr + gr * gr * dl) * (1 + 0x1p-44);
    const double right = limit * dl * dr * (1 - 0x1p-44);
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
      if (!might_beat(s.left[k], s.kept[k], node, parent, threshold, p.lambda)) continue;
      for (std::size_t j = 0; j < s.kept[k]; ++j)
        judge_boundary(s.left[k][j].gradient, s.left[k][j].hessian, node, parent, p, node.features[group + k],
                       s.bin[k][j], best);
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
