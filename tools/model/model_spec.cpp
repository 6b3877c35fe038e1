#include "model/model_spec.hpp"

#include <algorithm>
#include <functional>

#include "common/stats_options.hpp"

namespace dpa::tools {

FeatureSpec FeatureSpec::zoo(dpa_stats_set set) {
  const dpa_layout* zoo = dpa_zoo_layout();
  FeatureSpec f;
  f.kind = DPA_FEATURES_STATISTICS;
  f.stats_set = set;
  f.segments.assign(zoo->segments, zoo->segments + zoo->num_segments);
  f.total_length = zoo->total_length;
  return f;
}

std::uint32_t FeatureSpec::weight_features() const {
  if (!weights) return 0;
  if (kind == DPA_FEATURES_RAW_WEIGHTS) return total_length;
  return static_cast<std::uint32_t>(segments.size()) * dpa_stats_per_segment(stats_set);
}

std::string FeatureSpec::describe() const {
  std::string s;
  if (weights) {
    s = kind == DPA_FEATURES_RAW_WEIGHTS ? "the raw weights" : std::string("the ") + stats_set_name(stats_set) + " statistics";
  }
  if (!context.empty()) s += (s.empty() ? "" : " and ") + std::to_string(context.size()) + " context values";
  return s;
}

std::uint32_t tree_depth(const Tree& tree) {
  std::function<std::uint32_t(std::int32_t)> depth = [&](std::int32_t i) -> std::uint32_t {
    const TreeNode& n = tree.nodes[static_cast<std::size_t>(i)];
    if (n.is_leaf) return 0;
    return 1 + std::max(depth(n.left), depth(n.right));
  };
  return tree.nodes.empty() ? 0 : depth(0);
}

float reference_tree_value(const Tree& tree, const float* x) {
  const TreeNode* n = &tree.nodes[0];
  while (!n->is_leaf) {
    n = &tree.nodes[static_cast<std::size_t>(x[n->feature] < n->threshold ? n->left : n->right)];
  }
  return n->value;
}

float reference_gbdt_score(const GbdtModel& model, const float* x) {
  double sum = model.base_score;
  for (const Tree& t : model.trees) sum += reference_tree_value(t, x);
  return static_cast<float>(sum);
}

}  // namespace dpa::tools
