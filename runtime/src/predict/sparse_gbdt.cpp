// Trees of any shape, unpadded (model_format.h, SPARSE_GBDT). A prediction first maps every split
// feature's value to its bin among that feature's sorted thresholds and records, one bit per
// threshold, whether the value lies at or above it; walking a tree then costs one word and one bit
// per level, with comparisons exactly those of x < threshold. Eight trees are walked together so
// that their independent loads overlap, as in the complete-tree walk.
#include <cmath>
#include <cstring>

#include "predictors.hpp"

namespace dpa::detail {
namespace {

constexpr std::uint32_t kIndexMask = 0xFFFFu;
constexpr std::uint32_t kLeftLeaf = 1u << 16;
constexpr std::uint32_t kRightLeaf = 1u << 17;
constexpr std::uint32_t kDistanceShift = 18;
constexpr float kZeroThreshold = 1e-35f;  // LightGBM's kZeroThreshold

struct Layout {
  const dpa_split_feature* split_features;
  const float* thresholds;
  const std::uint32_t* tree_start;
  const std::uint32_t* words;
};

Layout layout_of(const dpa_sparse_gbdt_section* s) {
  const auto* base = reinterpret_cast<const unsigned char*>(s + 1);
  Layout l;
  l.split_features = reinterpret_cast<const dpa_split_feature*>(base);
  l.thresholds = reinterpret_cast<const float*>(l.split_features + s->num_split_features);
  l.tree_start = reinterpret_cast<const std::uint32_t*>(l.thresholds + s->num_thresholds);
  l.words = l.tree_start + s->num_trees;
  return l;
}

float leaf_value(std::uint32_t word) {
  float v;
  std::memcpy(&v, &word, sizeof v);
  return v;
}

// Checks one tree's words [begin, end) as a preorder sequence of nodes: every word one node, every
// right distance pointing where the right subtree starts, leaves finite, depth bounded. Pending
// right children wait on a fixed stack, so a hostile file cannot make this recurse or allocate.
dpa_status verify_tree(const std::uint32_t* words, std::uint32_t begin, std::uint32_t end,
                       std::uint32_t num_thresholds, std::uint32_t* max_depth) {
  struct Pending {
    std::uint32_t position;
    std::uint16_t depth;
    std::uint16_t leaf;
  };
  Pending stack[DPA_MODEL_MAX_SPARSE_DEPTH];
  std::uint32_t pending = 0;
  Pending node{begin, 0, static_cast<std::uint16_t>(end - begin == 1)};
  for (std::uint32_t position = begin;; ++position) {
    if (position >= end || node.position != position) return DPA_ERR_MODEL_TREES;
    const std::uint32_t w = words[position];
    if (node.leaf) {
      if (!std::isfinite(leaf_value(w))) return DPA_ERR_MODEL_NON_FINITE;
      *max_depth = node.depth > *max_depth ? node.depth : *max_depth;
      if (pending == 0) return position + 1 == end ? DPA_OK : DPA_ERR_MODEL_TREES;
      node = stack[--pending];
      continue;
    }
    const std::uint32_t distance = w >> kDistanceShift;
    if ((w & kIndexMask) >= num_thresholds || distance < 2 || node.depth >= DPA_MODEL_MAX_SPARSE_DEPTH ||
        pending == DPA_MODEL_MAX_SPARSE_DEPTH) {
      return DPA_ERR_MODEL_TREES;
    }
    const auto child_depth = static_cast<std::uint16_t>(node.depth + 1);
    stack[pending++] = Pending{position + distance, child_depth, static_cast<std::uint16_t>((w & kRightLeaf) != 0)};
    node = Pending{position + 1, child_depth, static_cast<std::uint16_t>((w & kLeftLeaf) != 0)};
  }
}

// Bits [from, to) of `bits` set to `one`.
void fill_bits(std::uint32_t* bits, std::uint32_t from, std::uint32_t to, bool one) {
  const std::uint32_t value = one ? ~0u : 0u;
  while (from < to) {
    const std::uint32_t word = from / 32, shift = from % 32;
    const std::uint32_t count = to - from < 32 - shift ? to - from : 32 - shift;
    const std::uint32_t mask = (count == 32 ? ~0u : ((1u << count) - 1)) << shift;
    bits[word] = (bits[word] & ~mask) | (value & mask);
    from += count;
  }
}

// Bit g = 1 when the value of threshold g's split feature is >= thresholds[g] (the node goes right).
void map_to_bins(const dpa_sparse_gbdt_section* s, const Layout& l, const float* x, std::uint32_t* bits) {
  std::uint32_t first = 0;
  for (std::uint32_t i = 0; i < s->num_split_features; ++i) {
    const dpa_split_feature& f = l.split_features[i];
    const float v = x[f.feature];
    // at = how many of this feature's thresholds are <= v (they ascend): bits below it go right.
    // A zero caught by the zero mode goes the same way at every threshold.
    const float* t = l.thresholds + first;
    const bool zero = f.zero_mode != DPA_ZERO_AS_IS && std::fabs(v) <= kZeroThreshold;
    std::uint32_t at = zero && f.zero_mode == DPA_ZERO_RIGHT ? f.num_thresholds : 0;
    std::uint32_t count = zero ? 0 : f.num_thresholds;
    while (count > 0) {
      const std::uint32_t half = count / 2;
      if (!(v < t[at + half])) {
        at += half + 1;
        count -= half + 1;
      } else {
        count = half;
      }
    }
    fill_bits(bits, first, first + at, true);
    fill_bits(bits, first + at, first + f.num_thresholds, false);
    first += f.num_thresholds;
  }
}

// Walks kLanes consecutive trees together, each lane stopping at its leaf; adds the leaves in tree order.
template <std::uint32_t kLanes>
void walk_group(const Layout& l, std::uint32_t first_tree, std::uint32_t num_trees, std::uint32_t num_words,
                const std::uint32_t* bits, double* sum) {
  std::uint32_t at[kLanes];
  bool leaf[kLanes];
  bool all_leaves = true;
  for (std::uint32_t k = 0; k < kLanes; ++k) {
    const std::uint32_t t = first_tree + k;
    at[k] = l.tree_start[t];
    const std::uint32_t end = t + 1 < num_trees ? l.tree_start[t + 1] : num_words;
    leaf[k] = end - at[k] == 1;
    all_leaves = all_leaves && leaf[k];
  }
  while (!all_leaves) {
    all_leaves = true;
    for (std::uint32_t k = 0; k < kLanes; ++k) {
      const std::uint32_t w = leaf[k] ? 0u : l.words[at[k]];  // a leaf's word is no index
      const std::uint32_t g = w & kIndexMask;
      const std::uint32_t right = (bits[g / 32] >> (g % 32)) & 1u;
      const std::uint32_t next = at[k] + (right ? (w >> kDistanceShift) : 1u);
      const bool reached_leaf = ((w >> (16 + right)) & 1u) != 0;
      at[k] = leaf[k] ? at[k] : next;
      leaf[k] = leaf[k] || reached_leaf;
      all_leaves = all_leaves && leaf[k];
    }
  }
  for (std::uint32_t k = 0; k < kLanes; ++k) *sum += leaf_value(l.words[at[k]]);
}

}  // namespace

std::uint32_t sparse_gbdt_work_floats(std::uint32_t num_thresholds) { return (num_thresholds + 31) / 32; }

dpa_status verify_sparse_gbdt(const Region& r, dpa_model* m) {
  if (!r.fits(0, 1, sizeof(dpa_sparse_gbdt_section))) return DPA_ERR_MODEL_TREES;
  const auto* s = r.at<dpa_sparse_gbdt_section>(0);
  if (s->num_trees == 0 || s->num_trees > DPA_MODEL_MAX_TREES || s->num_features != m->num_features ||
      s->num_features > 0xFFFFu || s->num_split_features == 0 ||
      s->num_split_features > 3ull * s->num_features || s->num_thresholds == 0 ||
      s->num_thresholds > DPA_MODEL_MAX_THRESHOLDS || s->num_words < s->num_trees || s->reserved != 0) {
    return DPA_ERR_MODEL_TREES;
  }
  const std::uint64_t expected = sizeof(dpa_sparse_gbdt_section) +
                                 s->num_split_features * std::uint64_t{sizeof(dpa_split_feature)} +
                                 4ull * (s->num_thresholds + std::uint64_t{s->num_trees} + s->num_words);
  if (r.size != expected) return DPA_ERR_MODEL_TREES;  // exact: no bytes the trees do not use
  const Layout l = layout_of(s);
  std::uint64_t thresholds = 0;
  for (std::uint32_t i = 0; i < s->num_split_features; ++i) {
    const dpa_split_feature& f = l.split_features[i];
    if (f.feature >= s->num_features || f.zero_mode > DPA_ZERO_RIGHT || f.num_thresholds == 0 ||
        f.num_thresholds > s->num_thresholds - thresholds) {
      return DPA_ERR_MODEL_TREES;
    }
    const float* t = l.thresholds + thresholds;
    for (std::uint32_t j = 0; j < f.num_thresholds; ++j) {
      if (std::isnan(t[j])) return DPA_ERR_MODEL_NON_FINITE;
      if (j > 0 && !(t[j - 1] < t[j])) return DPA_ERR_MODEL_TREES;
    }
    thresholds += f.num_thresholds;
  }
  if (thresholds != s->num_thresholds || !std::isfinite(s->base_score)) {
    return thresholds != s->num_thresholds ? DPA_ERR_MODEL_TREES : DPA_ERR_MODEL_NON_FINITE;
  }
  if (l.tree_start[0] != 0) return DPA_ERR_MODEL_TREES;
  std::uint32_t depth = 0;
  for (std::uint32_t t = 0; t < s->num_trees; ++t) {
    const std::uint32_t begin = l.tree_start[t];
    const std::uint32_t end = t + 1 < s->num_trees ? l.tree_start[t + 1] : s->num_words;
    if (end <= begin || end > s->num_words) return DPA_ERR_MODEL_TREES;
    const dpa_status status = verify_tree(l.words, begin, end, s->num_thresholds, &depth);
    if (status != DPA_OK) return status;
  }
  if (depth != s->max_depth) return DPA_ERR_MODEL_TREES;
  m->work_floats = sparse_gbdt_work_floats(s->num_thresholds);
  return DPA_OK;
}

float sparse_gbdt_score(const dpa_sparse_gbdt_section* s, const float* x, float* work) {
  constexpr std::uint32_t kGroup = 8;
  const Layout l = layout_of(s);
  auto* bits = reinterpret_cast<std::uint32_t*>(work);
  map_to_bins(s, l, x, bits);
  double sum = s->base_score;
  std::uint32_t t = 0;
  for (; t + kGroup <= s->num_trees; t += kGroup) walk_group<kGroup>(l, t, s->num_trees, s->num_words, bits, &sum);
  for (; t < s->num_trees; ++t) walk_group<1>(l, t, s->num_trees, s->num_words, bits, &sum);
  return static_cast<float>(sum);
}

}  // namespace dpa::detail
