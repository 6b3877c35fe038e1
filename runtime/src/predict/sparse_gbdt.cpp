// Trees of any shape, unpadded (model_format.h, SPARSE_GBDT). A prediction first maps every split
// feature's value to its bin among that feature's sorted thresholds and records, one byte per
// threshold, whether the value lies at or above it; walking a tree then costs one node word and
// one byte per level, with comparisons exactly those of x < threshold. Eight trees are walked
// together so that their independent loads overlap, as in the complete-tree walk. (Bytes rather
// than bits: a bit costs the walk two shifts by a variable amount per level, measured 1.4x
// slower; the price is G bytes of scratch instead of G / 8.)
#include <cmath>
#include <cstring>

#include "predictors.hpp"

namespace dpa::detail {
namespace {

constexpr std::uint32_t kLanes = 8;  // trees walked together

// The two unit streams (dpa_leaf_format): how a node's 32-bit word and a leaf's value are read.
struct Float32Units {
  using Unit = std::uint32_t;
  static constexpr std::uint32_t kNodeUnits = 1;
  // The word of the node at `at`; `second` is 1, or 0 to read nothing past `at`.
  static std::uint32_t node(const Unit* units, std::uint32_t at, std::uint32_t) { return units[at]; }
  static float leaf(const Unit* units, std::uint32_t at) {
    float v;
    std::memcpy(&v, &units[at], sizeof v);
    return v;
  }
};

struct Float16Units {
  using Unit = std::uint16_t;
  static constexpr std::uint32_t kNodeUnits = 2;
  static std::uint32_t node(const Unit* units, std::uint32_t at, std::uint32_t second) {
    return units[at] | static_cast<std::uint32_t>(units[at + second]) << 16;
  }
  static float leaf(const Unit* units, std::uint32_t at) { return dpa_half_to_float(units[at]); }
};

struct Layout {
  const dpa_split_feature* split_features;
  const float* thresholds;
  const std::uint32_t* tree_start;
  const void* units;
};

Layout layout_of(const dpa_sparse_gbdt_section* s) {
  const auto* base = reinterpret_cast<const unsigned char*>(s + 1);
  Layout l;
  l.split_features = reinterpret_cast<const dpa_split_feature*>(base);
  l.thresholds = reinterpret_cast<const float*>(l.split_features + s->num_split_features);
  l.tree_start = reinterpret_cast<const std::uint32_t*>(l.thresholds + s->num_thresholds);
  l.units = l.tree_start + s->num_trees;
  return l;
}

// Checks one tree's units [begin, end) as a preorder sequence of nodes: every unit part of one
// node, every right distance pointing where the right subtree starts, leaves finite, depth
// bounded. Pending right children wait on a fixed stack, so a hostile file cannot make this
// recurse or allocate.
template <class Units>
dpa_status verify_tree(const typename Units::Unit* units, std::uint32_t begin, std::uint32_t end,
                       std::uint32_t num_thresholds, std::uint32_t* max_depth) {
  struct Pending {
    std::uint32_t position;
    std::uint16_t depth;
    std::uint16_t leaf;
  };
  Pending stack[DPA_MODEL_MAX_SPARSE_DEPTH];
  std::uint32_t pending = 0;
  Pending node{begin, 0, static_cast<std::uint16_t>(end - begin == 1)};
  for (std::uint32_t position = begin;;) {
    if (position >= end || node.position != position) return DPA_ERR_MODEL_TREES;
    if (node.leaf) {
      if (!std::isfinite(Units::leaf(units, position))) return DPA_ERR_MODEL_NON_FINITE;
      *max_depth = node.depth > *max_depth ? node.depth : *max_depth;
      position += 1;
      if (pending == 0) return position == end ? DPA_OK : DPA_ERR_MODEL_TREES;
      node = stack[--pending];
      continue;
    }
    if (end - position < Units::kNodeUnits + 1) return DPA_ERR_MODEL_TREES;  // no room for children
    const std::uint32_t w = Units::node(units, position, 1);
    const std::uint32_t distance = w >> DPA_SPARSE_DISTANCE_SHIFT;
    if ((w & DPA_SPARSE_INDEX_MASK) >= num_thresholds || distance <= Units::kNodeUnits ||
        node.depth >= DPA_MODEL_MAX_SPARSE_DEPTH || pending == DPA_MODEL_MAX_SPARSE_DEPTH) {
      return DPA_ERR_MODEL_TREES;
    }
    const auto child_depth = static_cast<std::uint16_t>(node.depth + 1);
    stack[pending++] =
        Pending{position + distance, child_depth, static_cast<std::uint16_t>((w & DPA_SPARSE_RIGHT_LEAF) != 0)};
    position += Units::kNodeUnits;
    node = Pending{position, child_depth, static_cast<std::uint16_t>((w & DPA_SPARSE_LEFT_LEAF) != 0)};
  }
}

template <class Units>
dpa_status verify_trees(const dpa_sparse_gbdt_section* s, const Layout& l, std::uint32_t* depth) {
  const auto* units = static_cast<const typename Units::Unit*>(l.units);
  for (std::uint32_t t = 0; t < s->num_trees; ++t) {
    const std::uint32_t begin = l.tree_start[t];
    const std::uint32_t end = t + 1 < s->num_trees ? l.tree_start[t + 1] : s->num_units;
    if (end <= begin || end > s->num_units) return DPA_ERR_MODEL_TREES;
    const dpa_status status = verify_tree<Units>(units, begin, end, s->num_thresholds, depth);
    if (status != DPA_OK) return status;
  }
  return DPA_OK;
}

// How many of each lane's ascending thresholds are <= its value, for kSearchLanes features at
// once: their binary searches step in lockstep, so that their loads overlap, and without a branch
// per step (a comparison whose outcome is data is a misprediction half the time). A lane whose
// range is down to one threshold takes steps of zero.
constexpr std::uint32_t kSearchLanes = 8;

struct SearchLanes {
  const float* base[kSearchLanes];
  std::uint32_t count[kSearchLanes];
  float value[kSearchLanes];
};

void count_at_or_below(SearchLanes& s, std::uint32_t widest, std::uint32_t at[kSearchLanes]) {
  const float* begin[kSearchLanes];
  for (std::uint32_t k = 0; k < kSearchLanes; ++k) begin[k] = s.base[k];
  for (; widest > 1; widest -= widest / 2) {
    for (std::uint32_t k = 0; k < kSearchLanes; ++k) {
      const std::uint32_t half = s.count[k] / 2;
      s.base[k] = s.base[k][half] <= s.value[k] ? s.base[k] + half : s.base[k];
      s.count[k] -= half;
    }
  }
  for (std::uint32_t k = 0; k < kSearchLanes; ++k) {
    at[k] = static_cast<std::uint32_t>(s.base[k] - begin[k]) + (*s.base[k] <= s.value[k] ? 1u : 0u);
  }
}

// right[g] = 1 when the value of threshold g's split feature is >= thresholds[g] (the node goes
// right): the feature's first `count_at_or_below` thresholds. Searching all features before
// writing any byte, and clearing all bytes in one call, measured 2.3x faster than a search and two
// fills per feature in turn (each fill waited on its search).
void map_to_bins(const dpa_sparse_gbdt_section* s, const Layout& l, const float* x, unsigned char* right) {
  std::memset(right, 0, s->num_thresholds);
  std::uint32_t first = 0;  // the block's first threshold
  for (std::uint32_t b = 0; b < s->num_split_features; b += kSearchLanes) {
    const std::uint32_t n = s->num_split_features - b < kSearchLanes ? s->num_split_features - b : kSearchLanes;
    SearchLanes lanes;
    std::uint32_t start = first, widest = 0;
    for (std::uint32_t k = 0; k < kSearchLanes; ++k) {  // lanes past the last feature search lane 0's
      const dpa_split_feature& f = l.split_features[b + (k < n ? k : 0)];
      lanes.value[k] = x[f.feature];
      lanes.base[k] = l.thresholds + (k < n ? start : first);
      lanes.count[k] = f.num_thresholds;
      widest = f.num_thresholds > widest ? f.num_thresholds : widest;
      start += k < n ? f.num_thresholds : 0;
    }
    std::uint32_t at[kSearchLanes];
    count_at_or_below(lanes, widest, at);
    for (std::uint32_t k = 0; k < n; ++k) {
      const dpa_split_feature& f = l.split_features[b + k];
      // A zero caught by the zero mode goes the same way at every threshold.
      const bool zero = f.zero_mode != DPA_ZERO_AS_IS && std::fabs(lanes.value[k]) <= DPA_ZERO_THRESHOLD;
      std::memset(right + first, 1, !zero ? at[k] : f.zero_mode == DPA_ZERO_RIGHT ? f.num_thresholds : 0);
      first += f.num_thresholds;
    }
  }
}

template <class Units>
struct Trees {
  const std::uint32_t* tree_start;
  const typename Units::Unit* units;
  std::uint32_t num_trees, num_units;
  const unsigned char* go_right;  // one byte (0 or 1) per threshold
};

// Walks trees [first, first + lanes) together, each lane stopping at its leaf, and adds their
// leaves in tree order. A lane's whole state is one word, its position with bit 31 set once it
// stands on its leaf, so that eight lanes stay in registers (a separate mask per lane spilled to
// the stack: measured 1.1x slower). The step is arithmetic on masks rather than conditions, which
// compilers turn into branches on data (mispredicted half the time: measured 6x slower). (AVX2
// gathers of the eight lanes, in one to three groups at once, measured no faster than this on an
// AMD EPYC.)
template <class Units, std::uint32_t lanes>
void walk_lanes(const Trees<Units>& s, std::uint32_t first, double* sum) {
  constexpr std::uint32_t kDone = 1u << 31;  // verify_sparse_gbdt keeps num_units below it
  std::uint32_t at[lanes];
  std::uint32_t all_done = kDone;
  for (std::uint32_t k = 0; k < lanes; ++k) {
    const std::uint32_t t = first + k;
    const std::uint32_t end = t + 1 < s.num_trees ? s.tree_start[t + 1] : s.num_units;
    at[k] = s.tree_start[t] | (end - s.tree_start[t] == 1 ? kDone : 0u);
    all_done &= at[k];
  }
  while (all_done == 0) {
    all_done = kDone;
    for (std::uint32_t k = 0; k < lanes; ++k) {
      const std::uint32_t moving = (at[k] >> 31) - 1u;  // all ones until the lane is done
      // A finished lane's leaf is no node: its word reads as 0 (and nothing past the leaf).
      const std::uint32_t w = Units::node(s.units, at[k] & ~kDone, moving & 1u) & moving;
      const std::uint32_t right = s.go_right[w & DPA_SPARSE_INDEX_MASK];  // 0 or 1
      const std::uint32_t step =
          Units::kNodeUnits + (((w >> DPA_SPARSE_DISTANCE_SHIFT) - Units::kNodeUnits) & (0u - right));
      const std::uint32_t reached = (w >> (DPA_SPARSE_LEAF_FLAGS_SHIFT + right)) & 1u;  // the child's leaf flag
      at[k] = (at[k] + (step & moving)) | reached << 31;
      all_done &= at[k];
    }
  }
  for (std::uint32_t k = 0; k < lanes; ++k) *sum += Units::leaf(s.units, at[k] & ~kDone);
}

template <class Units>
double walk_all(const dpa_sparse_gbdt_section* s, const Layout& l, const unsigned char* go_right) {
  const Trees<Units> trees{l.tree_start, static_cast<const typename Units::Unit*>(l.units), s->num_trees, s->num_units,
                           go_right};
  double sum = s->base_score;
  std::uint32_t t = 0;
  for (; t + kLanes <= s->num_trees; t += kLanes) walk_lanes<Units, kLanes>(trees, t, &sum);
  for (; t < s->num_trees; ++t) walk_lanes<Units, 1>(trees, t, &sum);
  return sum;
}

}  // namespace

dpa_status verify_sparse_gbdt(const Region& r, dpa_model* m) {
  if (!r.fits(0, 1, sizeof(dpa_sparse_gbdt_section))) return DPA_ERR_MODEL_TREES;
  const auto* s = r.at<dpa_sparse_gbdt_section>(0);
  if (s->num_trees == 0 || s->num_trees > DPA_MODEL_MAX_TREES || s->num_features != m->num_features ||
      s->num_features > 0xFFFFu || s->num_split_features == 0 || s->num_split_features > 3ull * s->num_features ||
      s->num_thresholds == 0 || s->num_thresholds > DPA_MODEL_MAX_THRESHOLDS || s->num_units < s->num_trees ||
      s->num_units >= (1u << 31) || s->leaf_format > DPA_LEAF_FLOAT16) {
    return DPA_ERR_MODEL_TREES;
  }
  if (r.size != dpa_sparse_gbdt_section_bytes(s)) return DPA_ERR_MODEL_TREES;  // exact: no unused bytes
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
  const dpa_status status = s->leaf_format == DPA_LEAF_FLOAT16 ? verify_trees<Float16Units>(s, l, &depth)
                                                               : verify_trees<Float32Units>(s, l, &depth);
  if (status != DPA_OK) return status;
  if (depth != s->max_depth) return DPA_ERR_MODEL_TREES;
  m->work_floats = (s->num_thresholds + 3) / 4;  // one go-right byte per threshold
  return DPA_OK;
}

float sparse_gbdt_score(const dpa_sparse_gbdt_section* s, const float* x, float* work) {
  const Layout l = layout_of(s);
  auto* go_right = reinterpret_cast<unsigned char*>(work);
  map_to_bins(s, l, x, go_right);
  const double sum = s->leaf_format == DPA_LEAF_FLOAT16 ? walk_all<Float16Units>(s, l, go_right)
                                                        : walk_all<Float32Units>(s, l, go_right);
  return static_cast<float>(sum);
}

}  // namespace dpa::detail
