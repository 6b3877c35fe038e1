#include "model/model_spec.hpp"

#include <algorithm>
#include <cmath>

#include "common/errors.hpp"

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
    s = kind == DPA_FEATURES_RAW_WEIGHTS ? "the raw weights"
                                         : std::string("the ") + stats_set_name(stats_set) + " statistics";
  }
  if (!context.empty()) s += (s.empty() ? "" : " and ") + std::to_string(context.size()) + " context values";
  return s;
}

std::string model_name_problem(const std::string& name) {
  if (name.empty()) return "is empty";
  if (name.size() > DPA_MODEL_MAX_NAME_BYTES) {
    return "is " + std::to_string(name.size()) + " bytes, more than the format's " +
           std::to_string(DPA_MODEL_MAX_NAME_BYTES);
  }
  if (name.find('\0') != std::string::npos) return "holds a NUL";
  return "";
}

std::uint32_t tree_depth(const Tree& tree) {
  // One forward pass (children after parents): no recursion, whatever the depth.
  const std::size_t count = tree.nodes.size();
  std::vector<std::uint32_t> depth(count, 0);
  std::uint32_t deepest = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const TreeNode& n = tree.nodes[i];
    deepest = std::max(deepest, depth[i]);
    if (n.is_leaf) continue;
    for (const std::int32_t child : {n.left, n.right}) {
      if (child <= static_cast<std::int64_t>(i) || static_cast<std::size_t>(child) >= count) {
        throw ToolError("tree node " + std::to_string(i) + ": a child does not follow its parent");
      }
      depth[static_cast<std::size_t>(child)] = depth[i] + 1;
    }
  }
  return deepest;
}

bool goes_left(const TreeNode& n, float x) {
  if (n.zero_mode != DPA_ZERO_AS_IS && std::fabs(x) <= DPA_ZERO_THRESHOLD) return n.zero_mode == DPA_ZERO_LEFT;
  return x < n.threshold;
}

float reference_tree_value(const Tree& tree, const float* x) {
  const TreeNode* n = &tree.nodes[0];
  while (!n->is_leaf) { n = &tree.nodes[static_cast<std::size_t>(goes_left(*n, x[n->feature]) ? n->left : n->right)]; }
  return n->value;
}

float reference_gbdt_score(const GbdtModel& model, const float* x) {
  double sum = model.base_score;
  for (const Tree& t : model.trees) sum += reference_tree_value(t, x);
  return static_cast<float>(sum);
}

}  // namespace dpa::tools
