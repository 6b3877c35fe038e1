// A GBDT node's best split, from its gradient and hessian histograms: the trainer's split search
// (train/gbdt_trainer.cpp), and the scan it must agree with bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>

#include "train/gbdt_trainer.hpp"

namespace dpa::tools {

// A histogram bin's gradient and hessian sums, or a row's own pair. Deliberately uninitialised:
// histograms zero only the features they use.
struct HistBin {
  double gradient, hessian;
};

struct Split {
  double gain = 0;
  std::uint32_t feature = 0;
  std::uint32_t bin = 0;  // rows with code <= bin go left
  bool valid = false;
};

constexpr std::size_t kMaxBoundaries = 255;  // codes are bytes: at most 256 bins, 255 boundaries

// One node's histograms: the feature at position i (id features[i]) keeps its bins at
// bins[offset[i]], boundaries[i] + 1 of them (boundaries[i] <= kMaxBoundaries); gradient and
// hessian are the node's sums.
struct NodeHistograms {
  const HistBin* bins;
  const std::size_t* offset;
  const std::uint32_t* features;
  const std::size_t* boundaries;
  double gradient, hessian;
};

// The best split of the features at positions [first, last), by the rule: boundaries in order
// (features, then bins), a child lighter than min_child_weight never, and a candidate replaces
// the best so far when its gain exceeds it by more than 1e-12 (and min_split_gain). Fast: most
// boundaries are ruled out without computing their gain.
Split find_best_split(const NodeHistograms& node, const GbdtParams& p, std::size_t first, std::size_t last);

// The same rule computing every boundary's gain: what find_best_split returns, bit for bit (a
// test compares them).
Split find_best_split_every_gain(const NodeHistograms& node, const GbdtParams& p, std::size_t first, std::size_t last);

}  // namespace dpa::tools
