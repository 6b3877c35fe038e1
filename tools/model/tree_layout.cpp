#include "model/tree_layout.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <utility>

#include "common/cli_args.hpp"

namespace dpa::tools {
namespace {

template <class T>
void append(std::vector<unsigned char>& out, const T& value) {
  const auto* p = reinterpret_cast<const unsigned char*>(&value);
  out.insert(out.end(), p, p + sizeof(T));
}

EncodedTrees cannot(dpa_section_type type, std::string why) {
  EncodedTrees e;
  e.type = type;
  e.why_not = std::move(why);
  return e;
}

// Copies a node-based subtree into the complete-tree arrays at position `at`.
void fill_complete(const Tree& tree, std::int32_t node, std::uint32_t at, std::uint32_t levels_left,
                   std::vector<dpa_tree_node>& nodes, std::vector<float>& leaves, std::uint32_t internal) {
  const TreeNode& n = tree.nodes[static_cast<std::size_t>(node)];
  if (levels_left == 0) {
    leaves[at - internal] = n.value;  // a leaf (the depth was checked)
    return;
  }
  if (n.is_leaf) {
    // Padding: a split whose two subtrees end in the same value, so its direction is moot.
    nodes[at] = dpa_tree_node{0.0f, 0u};
    fill_complete(tree, node, 2 * at + 1, levels_left - 1, nodes, leaves, internal);
    fill_complete(tree, node, 2 * at + 2, levels_left - 1, nodes, leaves, internal);
    return;
  }
  nodes[at] = dpa_tree_node{n.threshold, n.feature};
  fill_complete(tree, n.left, 2 * at + 1, levels_left - 1, nodes, leaves, internal);
  fill_complete(tree, n.right, 2 * at + 2, levels_left - 1, nodes, leaves, internal);
}

// A split feature of the sparse layout: a model feature read with one zero mode.
using SplitKey = std::pair<std::uint32_t, dpa_zero_mode>;

constexpr std::uint32_t kLeftLeaf = 1u << 16, kRightLeaf = 1u << 17, kDistanceShift = 18;

std::uint32_t word_of_leaf(float value) {
  std::uint32_t w;
  std::memcpy(&w, &value, sizeof w);
  return w;
}

}  // namespace

void check_trees(const GbdtModel& model, std::uint32_t num_features) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw ToolError("cannot write model: " + what);
  };
  require(!model.trees.empty(), "a tree ensemble needs at least one tree");
  require(model.trees.size() <= DPA_MODEL_MAX_TREES, "too many trees");
  require(std::isfinite(model.base_score), "base score is NaN or Inf");
  for (const Tree& t : model.trees) {
    require(!t.nodes.empty(), "empty tree");
    const auto count = static_cast<std::int32_t>(t.nodes.size());
    for (std::int32_t i = 0; i < count; ++i) {
      const TreeNode& n = t.nodes[static_cast<std::size_t>(i)];
      if (n.is_leaf) {
        require(std::isfinite(n.value), "leaf value is NaN or Inf");
        continue;
      }
      // Children come after their parent: no cycles, every node reachable once.
      require(n.left > i && n.left < count && n.right > i && n.right < count, "bad child index");
      require(n.feature < num_features, "split feature index out of range");
      require(!std::isnan(n.threshold), "split threshold is NaN");
      require(n.zero_mode <= DPA_ZERO_RIGHT, "bad zero mode");
    }
  }
}

EncodedTrees encode_complete(const GbdtModel& model, std::uint32_t num_features) {
  std::uint32_t depth = 1;
  for (const Tree& t : model.trees) {
    depth = std::max(depth, tree_depth(t));
    for (const TreeNode& n : t.nodes) {
      if (n.is_leaf) continue;
      if (n.zero_mode != DPA_ZERO_AS_IS) return cannot(DPA_SECTION_GBDT, "complete trees have no zero-as-missing splits");
      if (!std::isfinite(n.threshold)) return cannot(DPA_SECTION_GBDT, "complete trees have finite thresholds only");
    }
  }
  if (depth > DPA_MODEL_MAX_TREE_DEPTH) {
    return cannot(DPA_SECTION_GBDT, "trees reach depth " + std::to_string(depth) + "; complete trees stop at " +
                                        std::to_string(DPA_MODEL_MAX_TREE_DEPTH));
  }
  EncodedTrees e;
  e.type = DPA_SECTION_GBDT;
  const std::uint32_t internal = (1u << depth) - 1;
  dpa_gbdt_section s{};
  s.num_trees = static_cast<std::uint32_t>(model.trees.size());
  s.depth = depth;
  s.num_features = num_features;
  s.base_score = model.base_score;
  append(e.bytes, s);
  std::vector<float> all_leaves;
  all_leaves.reserve(model.trees.size() * (internal + 1));
  for (const Tree& t : model.trees) {
    std::vector<dpa_tree_node> nodes(internal);
    std::vector<float> leaves(internal + 1);
    fill_complete(t, 0, 0, depth, nodes, leaves, internal);
    for (const dpa_tree_node& n : nodes) append(e.bytes, n);
    all_leaves.insert(all_leaves.end(), leaves.begin(), leaves.end());
  }
  for (float v : all_leaves) append(e.bytes, v);
  return e;
}

EncodedTrees encode_sparse(const GbdtModel& model, std::uint32_t num_features) {
  if (num_features > 0xFFFFu) return cannot(DPA_SECTION_SPARSE_GBDT, "sparse trees read at most 65535 features");
  // Every split feature's distinct thresholds, ascending; a node's index is its place in the table.
  std::map<SplitKey, std::vector<float>> thresholds;
  for (const Tree& t : model.trees) {
    for (const TreeNode& n : t.nodes) {
      if (!n.is_leaf) thresholds[{n.feature, n.zero_mode}].push_back(n.threshold);
    }
  }
  if (thresholds.empty()) {
    thresholds[{0u, DPA_ZERO_AS_IS}].push_back(0.0f);  // the format wants one; no node uses it
  }
  std::map<SplitKey, std::uint32_t> first;
  std::uint64_t total = 0;
  for (auto& [key, values] : thresholds) {
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    first[key] = static_cast<std::uint32_t>(total);
    total += values.size();
    if (total > DPA_MODEL_MAX_THRESHOLDS) {
      return cannot(DPA_SECTION_SPARSE_GBDT, "more than " + std::to_string(DPA_MODEL_MAX_THRESHOLDS) +
                                                 " distinct split thresholds");
    }
  }
  auto index_of = [&](const TreeNode& n) {
    const SplitKey key{n.feature, n.zero_mode};
    const std::vector<float>& values = thresholds.at(key);
    return first.at(key) + static_cast<std::uint32_t>(std::lower_bound(values.begin(), values.end(), n.threshold) - values.begin());
  };
  std::vector<std::uint32_t> tree_start, words;
  std::uint32_t max_depth = 0;
  for (const Tree& t : model.trees) {
    tree_start.push_back(static_cast<std::uint32_t>(words.size()));
    // Preorder without recursion: right children wait on a stack with the word that points at them.
    struct Pending {
      std::int32_t node;
      std::uint32_t depth;
      std::int64_t parent_word;  // -1: a left child or the root
    };
    std::vector<Pending> stack{{0, 0, -1}};
    while (!stack.empty()) {
      const Pending p = stack.back();
      stack.pop_back();
      const auto here = static_cast<std::uint32_t>(words.size());
      if (p.parent_word >= 0) {
        const std::uint32_t distance = here - static_cast<std::uint32_t>(p.parent_word);
        if (distance > DPA_MODEL_MAX_RIGHT_DISTANCE) {
          return cannot(DPA_SECTION_SPARSE_GBDT, "a left subtree of more than " +
                                                     std::to_string(DPA_MODEL_MAX_RIGHT_DISTANCE - 1) + " nodes");
        }
        words[static_cast<std::size_t>(p.parent_word)] |= distance << kDistanceShift;
      }
      if (p.depth > DPA_MODEL_MAX_SPARSE_DEPTH) {
        return cannot(DPA_SECTION_SPARSE_GBDT, "trees deeper than " + std::to_string(DPA_MODEL_MAX_SPARSE_DEPTH));
      }
      const TreeNode& n = t.nodes[static_cast<std::size_t>(p.node)];
      if (n.is_leaf) {
        max_depth = std::max(max_depth, p.depth);
        words.push_back(word_of_leaf(n.value));
        continue;
      }
      const TreeNode& left = t.nodes[static_cast<std::size_t>(n.left)];
      const TreeNode& right = t.nodes[static_cast<std::size_t>(n.right)];
      words.push_back(index_of(n) | (left.is_leaf ? kLeftLeaf : 0u) | (right.is_leaf ? kRightLeaf : 0u));
      stack.push_back({n.right, p.depth + 1, here});
      stack.push_back({n.left, p.depth + 1, -1});
    }
  }
  EncodedTrees e;
  e.type = DPA_SECTION_SPARSE_GBDT;
  dpa_sparse_gbdt_section s{};
  s.num_trees = static_cast<std::uint32_t>(model.trees.size());
  s.num_features = num_features;
  s.num_split_features = static_cast<std::uint32_t>(thresholds.size());
  s.num_thresholds = static_cast<std::uint32_t>(total);
  s.num_words = static_cast<std::uint32_t>(words.size());
  s.base_score = model.base_score;
  s.max_depth = max_depth;
  append(e.bytes, s);
  for (const auto& [key, values] : thresholds) {
    append(e.bytes, dpa_split_feature{static_cast<std::uint16_t>(key.first), static_cast<std::uint16_t>(key.second),
                                      static_cast<std::uint32_t>(values.size())});
  }
  for (const auto& [key, values] : thresholds) {
    for (float v : values) append(e.bytes, v);
  }
  for (std::uint32_t v : tree_start) append(e.bytes, v);
  for (std::uint32_t v : words) append(e.bytes, v);
  return e;
}

EncodedTrees encode_trees(const GbdtModel& model, std::uint32_t num_features) {
  check_trees(model, num_features);
  EncodedTrees complete, sparse;
  if (model.layout != TreeLayout::sparse) complete = encode_complete(model, num_features);
  if (model.layout != TreeLayout::complete) sparse = encode_sparse(model, num_features);
  if (model.layout == TreeLayout::complete) {
    if (!complete.ok()) throw ToolError("cannot write complete trees: " + complete.why_not);
    return complete;
  }
  if (model.layout == TreeLayout::sparse) {
    if (!sparse.ok()) throw ToolError("cannot write sparse trees: " + sparse.why_not);
    return sparse;
  }
  if (!complete.ok() && !sparse.ok()) {
    throw ToolError("cannot write the trees: " + complete.why_not + ", and " + sparse.why_not);
  }
  if (!sparse.ok()) return complete;
  if (!complete.ok()) return sparse;
  return complete.bytes.size() <= sparse.bytes.size() ? complete : sparse;
}

const char* tree_layout_name(TreeLayout layout) {
  return layout == TreeLayout::complete ? "complete" : layout == TreeLayout::sparse ? "sparse" : "auto";
}

TreeLayout parse_tree_layout(const std::string& name) {
  for (TreeLayout l : {TreeLayout::automatic, TreeLayout::complete, TreeLayout::sparse}) {
    if (name == tree_layout_name(l)) return l;
  }
  throw UsageError("--tree-layout takes auto, complete or sparse, not '" + name + "'");
}

}  // namespace dpa::tools
