// LightGBM 2.x to 4.x text models of any depth (trees are rebuilt iteratively, children after
// parents), with each objective's output transform.
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "common/errors.hpp"
#include "common/text_format.hpp"
#include "model/importers.hpp"

namespace dpa::tools {
namespace {

constexpr long long kMaxLeaves = 1 << 20;

std::vector<double> parse_numbers(const std::string& text, const std::string& what) {
  std::vector<double> out;
  std::istringstream in(text);
  std::string token;
  while (in >> token) {
    char* end = nullptr;
    const double v = std::strtod(token.c_str(), &end);
    if (*end != '\0') throw ToolError("LightGBM " + what + ": '" + token + "' is not a number");
    out.push_back(v);
  }
  return out;
}

// The single number of a "key=value" field (found by fuzz_import: an empty value crashed).
double single_number(const std::string& text, const std::string& what) {
  const std::vector<double> v = parse_numbers(text, what);
  if (v.size() != 1) throw ToolError("LightGBM " + what + ": expected one number, got '" + text + "'");
  return v[0];
}

using Block = std::map<std::string, std::string>;

// "key=value" lines up to a blank line after the first; a bare word (average_output) is a key
// with an empty value. `line` is left at the first line after the block.
Block read_block(std::istringstream& in, std::string& line) {
  Block kv;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (!kv.empty()) break;
      continue;
    }
    if (line.rfind("Tree=", 0) == 0 || line == "end of trees") break;
    const auto eq = line.find('=');
    kv[line.substr(0, eq)] = eq == std::string::npos ? "" : line.substr(eq + 1);
  }
  return kv;
}

const std::string& field(const Block& kv, const std::string& key, const std::string& where) {
  const auto it = kv.find(key);
  if (it == kv.end()) throw ToolError("LightGBM " + where + " lacks '" + key + "'");
  return it->second;
}

// How an objective turns the summed trees into a prediction. LightGBM's objective line is the
// name followed by options ("binary sigmoid:1", "regression sqrt").
struct LgbObjective {
  const char* name;
  dpa_output_transform transform;
  bool takes_sqrt;  // reg_sqrt: the output is the signed square of the score
};
constexpr LgbObjective kObjectives[] = {
    {"regression", DPA_OUTPUT_IDENTITY, true},    {"regression_l1", DPA_OUTPUT_IDENTITY, true},
    {"huber", DPA_OUTPUT_IDENTITY, true},         {"fair", DPA_OUTPUT_IDENTITY, true},
    {"quantile", DPA_OUTPUT_IDENTITY, true},      {"mape", DPA_OUTPUT_IDENTITY, true},
    {"poisson", DPA_OUTPUT_EXP, false},           {"gamma", DPA_OUTPUT_EXP, false},
    {"tweedie", DPA_OUTPUT_EXP, false},           {"binary", DPA_OUTPUT_SIGMOID, false},
    {"cross_entropy", DPA_OUTPUT_SIGMOID, false}, {"cross_entropy_lambda", DPA_OUTPUT_SOFTPLUS, false},
};

struct Objective {
  std::string text;
  dpa_output_transform transform = DPA_OUTPUT_IDENTITY;
  double leaf_scale = 1.0;  // binary's sigmoid:S: sigmoid(S * score) = sigmoid of scaled leaves
};

Objective parse_objective(const std::string& text) {
  std::istringstream words(text);
  std::string name, option;
  words >> name;
  Objective out;
  out.text = text;
  const LgbObjective* found = &find_objective(kObjectives, name, "LightGBM");
  out.transform = found->transform;
  while (words >> option) {
    if (option == "sqrt") {
      if (!found->takes_sqrt)
        throw ToolError("LightGBM objective '" + text + "': sqrt applies to regression objectives only");
      out.transform = DPA_OUTPUT_SIGNED_SQUARE;
    } else if (option.rfind("sigmoid:", 0) == 0 && name == "binary") {
      out.leaf_scale = single_number(option.substr(8), "sigmoid");
      if (!(out.leaf_scale > 0) || !std::isfinite(out.leaf_scale)) throw ToolError("LightGBM sigmoid must be positive");
    }
    // Other options (alpha:, tweedie_variance_power:, ...) shape training only.
  }
  return out;
}

struct LgbTree {
  std::vector<double> split_feature, threshold, decision_type, left, right, leaf_value;
  long long num_leaves = 0;
};

LgbTree read_tree(const Block& kv, const std::string& where) {
  LgbTree t;
  if (!integer_in_range(single_number(field(kv, "num_leaves", where), "num_leaves"), 1, kMaxLeaves, &t.num_leaves)) {
    throw ToolError("LightGBM " + where + ": bad num_leaves");
  }
  if (kv.count("num_cat") && field(kv, "num_cat", where) != "0") {
    throw ToolError("LightGBM categorical splits are not supported (" + where + ")");
  }
  if (kv.count("is_linear") && field(kv, "is_linear", where) != "0") {
    throw ToolError("LightGBM linear trees (linear_tree=true) are not supported (" + where + ")");
  }
  t.leaf_value = parse_numbers(field(kv, "leaf_value", where), "leaf_value");
  const auto n = static_cast<std::size_t>(t.num_leaves - 1);
  if (n > 0) {
    t.split_feature = parse_numbers(field(kv, "split_feature", where), "split_feature");
    t.threshold = parse_numbers(field(kv, "threshold", where), "threshold");
    t.decision_type = parse_numbers(field(kv, "decision_type", where), "decision_type");
    t.left = parse_numbers(field(kv, "left_child", where), "left_child");
    t.right = parse_numbers(field(kv, "right_child", where), "right_child");
  }
  if (t.split_feature.size() != n || t.threshold.size() != n || t.decision_type.size() != n || t.left.size() != n ||
      t.right.size() != n || t.leaf_value.size() != n + 1) {
    throw ToolError("LightGBM " + where + ": arrays of the wrong length for " + std::to_string(t.num_leaves) +
                    " leaves");
  }
  return t;
}

// One LightGBM split as ours. LightGBM sends x left when double(x) <= threshold, except that with
// missing type Zero a value with |x| <= 1e-35 goes the default way; features reaching a predictor
// are finite, so NaN handling never applies.
void convert_split(const LgbTree& t, std::size_t i, std::uint32_t num_features, const std::string& where,
                   TreeNode* node) {
  long long decision, feature;
  if (!integer_in_range(t.decision_type[i], 0, 255, &decision)) {
    throw ToolError("LightGBM " + where + ": bad decision_type " + number_text(t.decision_type[i]));
  }
  if (decision & 1) throw ToolError("LightGBM categorical splits are not supported (" + where + ")");
  if (!integer_in_range(t.split_feature[i], 0, static_cast<double>(num_features) - 1, &feature)) {
    throw ToolError("LightGBM " + where + ": split on feature " + number_text(t.split_feature[i]) +
                    ", but the model takes " + std::to_string(num_features));
  }
  node->is_leaf = false;
  node->feature = static_cast<std::uint32_t>(feature);
  const double th = t.threshold[i];
  float threshold;
  if (float_threshold_for_less_equal(th, &threshold)) {
    node->threshold = threshold;
  } else {
    // NaN: x <= NaN is false, every x goes right; t >= FLT_MAX: every finite x goes left.
    node->threshold = std::isnan(th) ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
  }
  const int missing = static_cast<int>((decision >> 2) & 3);  // 0 none, 1 zero, 2 NaN
  if (missing == 1) node->zero_mode = (decision & 2) ? DPA_ZERO_LEFT : DPA_ZERO_RIGHT;
}

// LightGBM child references: >= 0 an internal node, < 0 the leaf ~child. Rebuilt breadth-first
// with a queue, so depth costs no stack.
Tree convert_tree(const LgbTree& t, std::uint32_t num_features, const std::string& where, double leaf_scale) {
  Tree out;
  std::vector<std::pair<double, std::int32_t>> queue{{t.num_leaves > 1 ? 0.0 : -1.0, 0}};  // (reference, ours)
  out.nodes.emplace_back();
  const std::size_t internal = t.split_feature.size();
  for (std::size_t q = 0; q < queue.size(); ++q) {
    if (queue.size() > 2 * internal + 1) throw ToolError("LightGBM " + where + ": children do not form a tree");
    const auto [ref, ours] = queue[q];
    TreeNode& node = out.nodes[static_cast<std::size_t>(ours)];
    long long at;
    if (ref < 0) {
      if (!integer_in_range(-ref - 1, 0, static_cast<double>(t.leaf_value.size()) - 1, &at)) {
        throw ToolError("LightGBM " + where + ": leaf index " + number_text(ref) + " out of range");
      }
      node.is_leaf = true;
      node.value = static_cast<float>(t.leaf_value[static_cast<std::size_t>(at)] * leaf_scale);
      continue;
    }
    if (!integer_in_range(ref, 0, static_cast<double>(internal) - 1, &at)) {
      throw ToolError("LightGBM " + where + ": node index " + number_text(ref) + " out of range");
    }
    const auto i = static_cast<std::size_t>(at);
    convert_split(t, i, num_features, where, &node);
    node.left = static_cast<std::int32_t>(out.nodes.size());
    node.right = node.left + 1;
    queue.push_back({t.left[i], node.left});
    queue.push_back({t.right[i], node.right});
    out.nodes.emplace_back();
    out.nodes.emplace_back();
  }
  return out;
}

// The trees after the header, up to 'end of trees' (a file without it is truncated).
std::vector<Tree> read_trees(std::istringstream& in, std::string& line, std::uint32_t num_features, double leaf_scale) {
  std::vector<Tree> trees;
  for (std::size_t index = 0;; ++index) {
    while (line.empty() && std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
    }
    if (line == "end of trees") break;
    if (line != "Tree=" + std::to_string(index)) {
      if (trees.empty()) throw ToolError("LightGBM model has no trees");
      throw ToolError("LightGBM model is truncated or malformed: after " + std::to_string(trees.size()) + " trees, '" +
                      line.substr(0, 40) + "' where 'Tree=" + std::to_string(trees.size()) +
                      "' or 'end of trees' should be");
    }
    const std::string where = "tree " + std::to_string(index);
    trees.push_back(convert_tree(read_tree(read_block(in, line), where), num_features, where, leaf_scale));
  }
  if (trees.empty()) throw ToolError("LightGBM model has no trees");
  return trees;
}

}  // namespace

ImportResult import_lightgbm_text(const std::string& text, const FeatureSpec& features) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || (line != "tree" && line != "tree\r")) {
    throw ToolError("not a LightGBM text model (first line is not 'tree')");
  }
  const Block header = read_block(in, line);
  if (field(header, "num_class", "header") != "1" || field(header, "num_tree_per_iteration", "header") != "1") {
    throw ToolError("multi-class LightGBM models are not supported");
  }
  const std::uint32_t num_features = features.num_features();
  const double max_feature = single_number(field(header, "max_feature_idx", "header"), "max_feature_idx");
  if (max_feature + 1 != num_features) {
    throw ToolError("LightGBM model has " + number_text(max_feature + 1) + " features; " + features.describe() +
                    " give " + std::to_string(num_features));
  }
  const Objective objective = parse_objective(field(header, "objective", "header"));
  // Random forests (boosting=rf) average their trees instead of adding them.
  const bool average = header.count("average_output") > 0;
  std::size_t expected_trees = 0;
  if (header.count("tree_sizes")) expected_trees = parse_numbers(header.at("tree_sizes"), "tree_sizes").size();

  GbdtModel g;
  g.base_score = 0.0f;  // LightGBM folds the initial score into the first tree
  g.trees = read_trees(in, line, num_features, objective.leaf_scale);
  if (expected_trees != 0 && expected_trees != g.trees.size()) {
    throw ToolError("LightGBM model lists " + std::to_string(expected_trees) + " trees in tree_sizes but holds " +
                    std::to_string(g.trees.size()));
  }
  std::uint32_t depth = 0;
  for (const Tree& t : g.trees) depth = std::max(depth, tree_depth(t));
  if (average) {
    const double share = 1.0 / static_cast<double>(g.trees.size());
    for (Tree& t : g.trees) {
      for (TreeNode& n : t.nodes) n.value = static_cast<float>(n.value * share);
    }
  }
  ImportResult r;
  r.spec.features = features;
  r.spec.transform = objective.transform;
  r.spec.predictor = g;
  r.summary = "LightGBM, " + objective.text + (average ? ", random forest" : "") + ", " +
              std::to_string(g.trees.size()) + " trees, max depth " + std::to_string(depth);
  Provenance p;
  p.text = "imported_from=lightgbm\nobjective=" + printable(objective.text) +
           "\ntrees=" + std::to_string(g.trees.size()) + "\ndepth=" + std::to_string(depth) +
           (average ? "\naverage_output=1" : "") + "\n";
  r.spec.provenance = p;
  return r;
}

}  // namespace dpa::tools
