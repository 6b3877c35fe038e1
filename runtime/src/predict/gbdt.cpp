// Complete trees of one depth, walked branch-free: at each level the next node index is computed
// from a comparison, never branched on, so a row costs depth * (load + compare) per tree with no
// mispredictions. Four trees are walked together so their independent loads overlap.
#include "predictors.hpp"

namespace dpa::detail {
namespace {

inline std::uint32_t step(const dpa_tree_node* tree, std::uint32_t i, const float* x) {
  const dpa_tree_node& n = tree[i];
  return 2 * i + 1 + static_cast<std::uint32_t>(!(x[n.feature] < n.threshold));
}

}  // namespace

float gbdt_score(const dpa_gbdt_section* g, const float* x) {
  const std::uint32_t depth = g->depth;
  const std::uint32_t internal = (1u << depth) - 1;
  const std::uint32_t leaves_per_tree = internal + 1;
  const auto* nodes = reinterpret_cast<const dpa_tree_node*>(g + 1);
  const float* leaves = reinterpret_cast<const float*>(nodes + static_cast<std::size_t>(g->num_trees) * internal);
  double sum = g->base_score;
  std::uint32_t t = 0;
  for (; t + 4 <= g->num_trees; t += 4) {
    const dpa_tree_node* t0 = nodes + static_cast<std::size_t>(t) * internal;
    const dpa_tree_node* t1 = t0 + internal;
    const dpa_tree_node* t2 = t1 + internal;
    const dpa_tree_node* t3 = t2 + internal;
    std::uint32_t i0 = 0, i1 = 0, i2 = 0, i3 = 0;
    for (std::uint32_t d = 0; d < depth; ++d) {
      i0 = step(t0, i0, x);
      i1 = step(t1, i1, x);
      i2 = step(t2, i2, x);
      i3 = step(t3, i3, x);
    }
    const float* l = leaves + static_cast<std::size_t>(t) * leaves_per_tree - internal;
    sum += l[i0];
    sum += l[leaves_per_tree + i1];
    sum += l[2 * leaves_per_tree + i2];
    sum += l[3 * leaves_per_tree + i3];
  }
  for (; t < g->num_trees; ++t) {
    const dpa_tree_node* tree = nodes + static_cast<std::size_t>(t) * internal;
    std::uint32_t i = 0;
    for (std::uint32_t d = 0; d < depth; ++d) i = step(tree, i, x);
    sum += leaves[static_cast<std::size_t>(t) * leaves_per_tree + (i - internal)];
  }
  return static_cast<float>(sum);
}

}  // namespace dpa::detail
