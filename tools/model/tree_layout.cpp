#include "model/tree_layout.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <utility>

#include "common/errors.hpp"

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

// The option names of layouts and leaf formats: one table each, for printing and parsing.
template <class T>
struct Named {
  T value;
  const char* name;
};
constexpr Named<TreeLayout> kLayouts[] = {
    {TreeLayout::automatic, "auto"}, {TreeLayout::complete, "complete"}, {TreeLayout::sparse, "sparse"}};
constexpr Named<dpa_leaf_format> kLeafFormats[] = {{DPA_LEAF_FLOAT32, "f32"}, {DPA_LEAF_FLOAT16, "f16"}};

template <class T, std::size_t N>
const char* name_of(const Named<T> (&table)[N], T value) {
  for (const Named<T>& n : table) {
    if (n.value == value) return n.name;
  }
  return "?";  // unreachable: every enumerator is in its table
}

template <class T, std::size_t N>
T parse_name(const Named<T> (&table)[N], const std::string& name, const char* option) {
  std::string names;
  for (std::size_t i = 0; i < N; ++i) {
    if (name == table[i].name) return table[i].value;
    names += std::string(i == 0 ? "" : i + 1 == N ? " or " : ", ") + table[i].name;
  }
  throw UsageError(std::string(option) + " takes " + names + ", not '" + name + "'");
}

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
  require(model.trees.size() <= DPA_MODEL_MAX_TREES, std::to_string(model.trees.size()) +
                                                         " trees, more than the format's limit of " +
                                                         std::to_string(DPA_MODEL_MAX_TREES));
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

CompleteShape complete_shape(const GbdtModel& model) {
  CompleteShape shape;
  if (model.leaves != DPA_LEAF_FLOAT32) {
    shape.why_not = "complete trees store float32 leaves only";
    return shape;
  }
  std::uint32_t depth = 1;
  for (const Tree& t : model.trees) {
    depth = std::max(depth, tree_depth(t));
    for (const TreeNode& n : t.nodes) {
      if (n.is_leaf) continue;
      if (n.zero_mode != DPA_ZERO_AS_IS) {
        shape.why_not = "complete trees have no zero-as-missing splits";
        return shape;
      }
      if (!std::isfinite(n.threshold)) {
        shape.why_not = "complete trees have finite thresholds only";
        return shape;
      }
    }
  }
  if (depth > DPA_MODEL_MAX_TREE_DEPTH) {
    shape.why_not = "trees reach depth " + std::to_string(depth) + "; complete trees stop at " +
                    std::to_string(DPA_MODEL_MAX_TREE_DEPTH);
    return shape;
  }
  shape.depth = depth;
  shape.bytes = dpa_gbdt_section_bytes(model.trees.size(), depth);
  return shape;
}

EncodedTrees encode_complete(const GbdtModel& model, std::uint32_t num_features) {
  const CompleteShape shape = complete_shape(model);
  if (!shape.ok()) return cannot(DPA_SECTION_GBDT, shape.why_not);
  const std::uint32_t depth = shape.depth;
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

namespace {

// Every split feature's distinct thresholds, ascending; a node's threshold index is its place in
// the table, counted over all features in key order.
struct ThresholdTable {
  std::map<SplitKey, std::vector<float>> values;
  std::map<SplitKey, std::uint32_t> first;
  std::uint64_t total = 0;

  std::uint32_t index_of(const TreeNode& n) const {
    const SplitKey key{n.feature, n.zero_mode};
    const std::vector<float>& v = values.at(key);
    return first.at(key) + static_cast<std::uint32_t>(std::lower_bound(v.begin(), v.end(), n.threshold) - v.begin());
  }
};

ThresholdTable threshold_table(const GbdtModel& model) {
  ThresholdTable table;
  for (const Tree& t : model.trees) {
    for (const TreeNode& n : t.nodes) {
      if (!n.is_leaf) table.values[{n.feature, n.zero_mode}].push_back(n.threshold);
    }
  }
  if (table.values.empty()) {
    table.values[{0u, DPA_ZERO_AS_IS}].push_back(0.0f);  // the format wants one; no node uses it
  }
  for (auto& [key, v] : table.values) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    table.first[key] = static_cast<std::uint32_t>(table.total);
    table.total += v.size();
  }
  return table;
}

// Units (model_format.h): a node's 32-bit word is one u32 unit, or two u16 units low half first;
// a leaf is one unit, its float32 or float16 bits.
struct SparseUnits {
  std::vector<std::uint32_t> tree_start, units;
  std::uint32_t max_depth = 0;
};

// Appends one tree in preorder, without recursion: right children wait on a stack with the word
// that points at them. Returns why the tree cannot be encoded, or "".
std::string append_sparse_tree(const Tree& t, const ThresholdTable& table, bool half, SparseUnits& out) {
  const std::uint32_t node_units = half ? 2 : 1;
  std::vector<std::uint32_t>& units = out.units;
  out.tree_start.push_back(static_cast<std::uint32_t>(units.size()));
  struct Pending {
    std::int32_t node;
    std::uint32_t depth;
    std::int64_t parent_word;  // -1: a left child or the root
  };
  std::vector<Pending> stack{{0, 0, -1}};
  while (!stack.empty()) {
    const Pending p = stack.back();
    stack.pop_back();
    const auto here = static_cast<std::uint32_t>(units.size());
    if (p.parent_word >= 0) {
      const std::uint32_t distance = here - static_cast<std::uint32_t>(p.parent_word);
      if (distance > DPA_MODEL_MAX_RIGHT_DISTANCE) {
        return "a left subtree of more than " + std::to_string(DPA_MODEL_MAX_RIGHT_DISTANCE - 1) + " units";
      }
      // The distance sits in the word's high bits: in the node's last unit when it has two.
      units[static_cast<std::size_t>(p.parent_word) + node_units - 1] |=
          (distance << DPA_SPARSE_DISTANCE_SHIFT) >> (half ? 16 : 0);
    }
    if (p.depth > DPA_MODEL_MAX_SPARSE_DEPTH) return "trees deeper than " + std::to_string(DPA_MODEL_MAX_SPARSE_DEPTH);
    const TreeNode& n = t.nodes[static_cast<std::size_t>(p.node)];
    if (n.is_leaf) {
      out.max_depth = std::max(out.max_depth, p.depth);
      if (!half) {
        units.push_back(word_of_leaf(n.value));
        continue;
      }
      const std::uint16_t h = float_to_half(n.value);
      if (!(dpa_half_to_float(h) == n.value)) {  // also catches values beyond float16's range
        return "float16 leaves need leaf values rounded to float16 (leaf " + std::to_string(n.value) + ")";
      }
      units.push_back(h);
      continue;
    }
    const TreeNode& left = t.nodes[static_cast<std::size_t>(n.left)];
    const TreeNode& right = t.nodes[static_cast<std::size_t>(n.right)];
    const std::uint32_t word =
        table.index_of(n) | (left.is_leaf ? DPA_SPARSE_LEFT_LEAF : 0u) | (right.is_leaf ? DPA_SPARSE_RIGHT_LEAF : 0u);
    if (half) {
      units.push_back(word & 0xFFFFu);
      units.push_back(word >> 16);
    } else {
      units.push_back(word);
    }
    stack.push_back({n.right, p.depth + 1, here});
    stack.push_back({n.left, p.depth + 1, -1});
  }
  return "";
}

}  // namespace

EncodedTrees encode_sparse(const GbdtModel& model, std::uint32_t num_features) {
  if (num_features > 0xFFFFu) return cannot(DPA_SECTION_SPARSE_GBDT, "sparse trees read at most 65535 features");
  const ThresholdTable table = threshold_table(model);
  if (table.total > DPA_MODEL_MAX_THRESHOLDS) {
    return cannot(DPA_SECTION_SPARSE_GBDT,
                  "more than " + std::to_string(DPA_MODEL_MAX_THRESHOLDS) + " distinct split thresholds");
  }
  const bool half = model.leaves == DPA_LEAF_FLOAT16;
  SparseUnits sparse;
  for (const Tree& t : model.trees) {
    const std::string why = append_sparse_tree(t, table, half, sparse);
    if (!why.empty()) return cannot(DPA_SECTION_SPARSE_GBDT, why);
  }
  EncodedTrees e;
  e.type = DPA_SECTION_SPARSE_GBDT;
  dpa_sparse_gbdt_section s{};
  s.num_trees = static_cast<std::uint32_t>(model.trees.size());
  s.num_features = num_features;
  s.num_split_features = static_cast<std::uint32_t>(table.values.size());
  s.num_thresholds = static_cast<std::uint32_t>(table.total);
  s.num_units = static_cast<std::uint32_t>(sparse.units.size());
  s.base_score = model.base_score;
  s.max_depth = sparse.max_depth;
  s.leaf_format = model.leaves;
  append(e.bytes, s);
  for (const auto& [key, values] : table.values) {
    append(e.bytes, dpa_split_feature{static_cast<std::uint16_t>(key.first), static_cast<std::uint16_t>(key.second),
                                      static_cast<std::uint32_t>(values.size())});
  }
  for (const auto& [key, values] : table.values) {
    for (float v : values) append(e.bytes, v);
  }
  for (std::uint32_t v : sparse.tree_start) append(e.bytes, v);
  for (std::uint32_t v : sparse.units) {
    if (half) {
      append(e.bytes, static_cast<std::uint16_t>(v));
    } else {
      append(e.bytes, v);
    }
  }
  return e;
}

EncodedTrees encode_trees(const GbdtModel& model, std::uint32_t num_features) {
  check_trees(model, num_features);
  if (model.layout == TreeLayout::complete) {
    EncodedTrees complete = encode_complete(model, num_features);
    if (!complete.ok()) throw ToolError("cannot write complete trees: " + complete.why_not);
    return complete;
  }
  EncodedTrees sparse = encode_sparse(model, num_features);
  if (model.layout == TreeLayout::sparse) {
    if (!sparse.ok()) throw ToolError("cannot write sparse trees: " + sparse.why_not);
    return sparse;
  }
  // Automatic: complete trees are sized from their depth, and encoded only when they are chosen
  // (padded deep trees can take gigabytes).
  const CompleteShape complete = complete_shape(model);
  if (!complete.ok() && !sparse.ok()) {
    throw ToolError("cannot write the trees: " + complete.why_not + ", and " + sparse.why_not);
  }
  if (complete.ok() && (!sparse.ok() || complete.bytes <= sparse.bytes.size()))
    return encode_complete(model, num_features);
  return sparse;
}

std::uint16_t float_to_half(float v) {
  std::uint32_t x;
  std::memcpy(&x, &v, sizeof x);
  const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t magnitude = x & 0x7FFFFFFFu;
  if (magnitude > 0x7F800000u) return static_cast<std::uint16_t>(sign | 0x7E00u);   // NaN
  if (magnitude >= 0x477FF000u) return static_cast<std::uint16_t>(sign | 0x7C00u);  // >= 65520: infinity
  if (magnitude < 0x38800000u) {  // below 2^-14: a subnormal half, units of 2^-24 (exact scaling)
    float scaled;
    std::memcpy(&scaled, &magnitude, sizeof scaled);
    return static_cast<std::uint16_t>(sign | static_cast<std::uint16_t>(std::nearbyint(scaled * 16777216.0f)));
  }
  std::uint32_t h = ((magnitude >> 23) - 112u) << 10 | (magnitude & 0x7FFFFFu) >> 13;
  const std::uint32_t rest = magnitude & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // ties to even; a carry moves the exponent
  return static_cast<std::uint16_t>(sign | h);
}

void round_leaves_to_half(GbdtModel& model) {
  for (Tree& t : model.trees) {
    for (TreeNode& n : t.nodes) {
      if (!n.is_leaf) continue;
      const float rounded = dpa_half_to_float(float_to_half(n.value));
      if (!std::isfinite(rounded))
        throw ToolError("leaf value " + std::to_string(n.value) + " is beyond float16's range");
      n.value = rounded;
    }
  }
  model.leaves = DPA_LEAF_FLOAT16;
}

const char* leaf_format_name(dpa_leaf_format leaves) { return name_of(kLeafFormats, leaves); }
dpa_leaf_format parse_leaf_format(const std::string& name) { return parse_name(kLeafFormats, name, "--leaves"); }

const char* tree_layout_name(TreeLayout layout) { return name_of(kLayouts, layout); }
TreeLayout parse_tree_layout(const std::string& name) { return parse_name(kLayouts, name, "--tree-layout"); }

void check_tree_options(TreeLayout layout, dpa_leaf_format leaves) {
  if (leaves == DPA_LEAF_FLOAT16 && layout == TreeLayout::complete) {
    throw UsageError("--leaves f16 needs the sparse layout: complete trees store float32 leaves");
  }
}

}  // namespace dpa::tools
