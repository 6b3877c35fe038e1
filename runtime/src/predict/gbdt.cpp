// Complete trees of one depth, walked branch-free: at each level the next node index is computed
// from a comparison, never branched on, so a row costs depth * (load + compare) per tree with no
// mispredictions. Eight trees are walked together so their independent loads overlap.
#include <cmath>

#include "predictors.hpp"

namespace dpa::detail {
namespace {

inline std::uint32_t step(const dpa_tree_node* tree, std::uint32_t i, const float* x) {
  const dpa_tree_node& n = tree[i];
  return 2 * i + 1 + static_cast<std::uint32_t>(!(x[n.feature] < n.threshold));
}

// Walks kLanes consecutive trees together; returns their leaf values summed in tree order.
template <std::uint32_t kLanes>
inline void walk_group(const dpa_tree_node* first_tree, const float* first_leaves, std::uint32_t depth,
                       std::uint32_t internal, const float* x, double* sum) {
  std::uint32_t index[kLanes] = {};
  for (std::uint32_t d = 0; d < depth; ++d) {
    for (std::uint32_t k = 0; k < kLanes; ++k) {
      index[k] = step(first_tree + static_cast<std::size_t>(k) * internal, index[k], x);
    }
  }
  for (std::uint32_t k = 0; k < kLanes; ++k) {
    *sum += first_leaves[static_cast<std::size_t>(k) * (internal + 1) + (index[k] - internal)];
  }
}

}  // namespace

dpa_status verify_gbdt(const Region& r, dpa_model* m) {
  if (!r.fits(0, 1, sizeof(dpa_gbdt_section))) return DPA_ERR_MODEL_TREES;
  const auto* g = r.at<dpa_gbdt_section>(0);
  if (g->num_trees == 0 || g->num_trees > DPA_MODEL_MAX_TREES || g->depth == 0 || g->depth > DPA_MODEL_MAX_TREE_DEPTH ||
      g->num_features != m->num_features) {
    return DPA_ERR_MODEL_TREES;
  }
  const std::uint64_t leaves_per_tree = 1ull << g->depth;
  const std::uint64_t nodes = g->num_trees * (leaves_per_tree - 1);
  const std::uint64_t leaves = g->num_trees * leaves_per_tree;
  const std::uint64_t leaves_offset = sizeof(dpa_gbdt_section) + nodes * sizeof(dpa_tree_node);
  if (r.size != dpa_gbdt_section_bytes(g->num_trees, g->depth)) {
    return DPA_ERR_MODEL_TREES;  // exact: no bytes the trees do not use (every writer's sizes are)
  }
  const auto* node = r.at<dpa_tree_node>(sizeof(dpa_gbdt_section));
  for (std::uint64_t i = 0; i < nodes; ++i) {
    if (node[i].feature >= m->num_features) return DPA_ERR_MODEL_TREES;
    if (!std::isfinite(node[i].threshold)) return DPA_ERR_MODEL_NON_FINITE;
  }
  if (!std::isfinite(g->base_score) || !all_finite(r.at<float>(leaves_offset), leaves)) {
    return DPA_ERR_MODEL_NON_FINITE;
  }
  return DPA_OK;
}

float gbdt_score(const dpa_gbdt_section* g, const float* x) {
  constexpr std::uint32_t kGroup = 8;  // independent load chains in flight
  const std::uint32_t depth = g->depth;
  const std::uint32_t internal = (1u << depth) - 1;
  const auto* nodes = reinterpret_cast<const dpa_tree_node*>(g + 1);
  const float* leaves = reinterpret_cast<const float*>(nodes + static_cast<std::size_t>(g->num_trees) * internal);
  double sum = g->base_score;
  std::uint32_t t = 0;
  for (; t + kGroup <= g->num_trees; t += kGroup) {
    walk_group<kGroup>(nodes + static_cast<std::size_t>(t) * internal,
                       leaves + static_cast<std::size_t>(t) * (internal + 1), depth, internal, x, &sum);
  }
  for (; t < g->num_trees; ++t) {
    walk_group<1>(nodes + static_cast<std::size_t>(t) * internal, leaves + static_cast<std::size_t>(t) * (internal + 1),
                  depth, internal, x, &sum);
  }
  return static_cast<float>(sum);
}

}  // namespace dpa::detail
