// Complete trees of one depth, walked branch-free: at each level the next node index is computed
// from a comparison, never branched on, so a row costs depth * (load + compare) per tree with no
// mispredictions. Eight trees are walked together so their independent loads overlap.
#include "predictors.hpp"

namespace dpa::detail {
namespace {

inline std::uint32_t step(const dpa_tree_node* tree, std::uint32_t i, const float* x) {
  const dpa_tree_node& n = tree[i];
  return 2 * i + 1 + static_cast<std::uint32_t>(!(x[n.feature] < n.threshold));
}

// Walks kLanes consecutive trees together; returns their leaf values summed in tree order.
template <std::uint32_t kLanes>
inline void walk_group(const dpa_tree_node* first_tree, const float* first_leaves,
                       std::uint32_t depth, std::uint32_t internal, const float* x, double* sum) {
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

float gbdt_score(const dpa_gbdt_section* g, const float* x) {
  constexpr std::uint32_t kGroup = 8;  // independent load chains in flight
  const std::uint32_t depth = g->depth;
  const std::uint32_t internal = (1u << depth) - 1;
  const auto* nodes = reinterpret_cast<const dpa_tree_node*>(g + 1);
  const float* leaves =
      reinterpret_cast<const float*>(nodes + static_cast<std::size_t>(g->num_trees) * internal);
  double sum = g->base_score;
  std::uint32_t t = 0;
  for (; t + kGroup <= g->num_trees; t += kGroup) {
    walk_group<kGroup>(nodes + static_cast<std::size_t>(t) * internal,
                       leaves + static_cast<std::size_t>(t) * (internal + 1), depth, internal, x, &sum);
  }
  for (; t < g->num_trees; ++t) {
    walk_group<1>(nodes + static_cast<std::size_t>(t) * internal,
                  leaves + static_cast<std::size_t>(t) * (internal + 1), depth, internal, x, &sum);
  }
  return static_cast<float>(sum);
}

}  // namespace dpa::detail
