#include <cmath>
#include <functional>
#include <map>
#include <sstream>

#include "common/cli_args.hpp"
#include "model/importers.hpp"

namespace dpa::tools {
namespace {

// LightGBM's kZeroThreshold (a float literal stored in a double): |x| <= this is "zero".
constexpr float kZeroFloat = 1e-35f;
constexpr double kZeroThreshold = kZeroFloat;

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

struct LgbTree {
  std::vector<double> split_feature, threshold, decision_type, left, right, leaf_value;
  int num_leaves = 0;
};

// LightGBM child references: >= 0 an internal node, < 0 the leaf ~child.
struct Builder {
  const LgbTree& t;
  std::uint32_t num_features;
  int index;
  Tree out;

  std::int32_t add_leaf(double value) {
    TreeNode n;
    n.is_leaf = true;
    n.value = static_cast<float>(value);
    out.nodes.push_back(n);
    return static_cast<std::int32_t>(out.nodes.size() - 1);
  }
  std::int32_t add_split(std::uint32_t feature, float threshold, const std::function<std::int32_t()>& left,
                         const std::function<std::int32_t()>& right) {
    const auto at = static_cast<std::int32_t>(out.nodes.size());
    out.nodes.emplace_back();
    const std::int32_t l = left();
    const std::int32_t r = right();
    TreeNode& n = out.nodes[static_cast<std::size_t>(at)];
    n.is_leaf = false;
    n.feature = feature;
    n.threshold = threshold;
    n.left = l;
    n.right = r;
    return at;
  }
  // x <= t ? left : right, as x < T (or one side only when no finite T exists).
  std::int32_t less_equal(std::uint32_t feature, double limit, const std::function<std::int32_t()>& left,
                          const std::function<std::int32_t()>& right) {
    float threshold;
    if (!float_threshold_for_less_equal(limit, &threshold)) return left();
    return add_split(feature, threshold, left, right);
  }
  std::int32_t node(double ref) {
    long long at;
    if (ref < 0) {
      if (!integer_in_range(-ref - 1, 0, static_cast<double>(t.leaf_value.size()) - 1, &at)) {
        throw ToolError("LightGBM tree " + std::to_string(index) + ": leaf index " + number_text(ref) + " out of range");
      }
      return add_leaf(t.leaf_value[static_cast<std::size_t>(at)]);
    }
    if (!integer_in_range(ref, 0, static_cast<double>(t.split_feature.size()) - 1, &at)) {
      throw ToolError("LightGBM tree " + std::to_string(index) + ": node index " + number_text(ref) + " out of range");
    }
    const auto i = static_cast<std::size_t>(at);
    if (out.nodes.size() > 4 * (t.split_feature.size() + t.leaf_value.size()) + 64) {
      throw ToolError("LightGBM tree " + std::to_string(index) + ": children do not form a tree");
    }
    long long decision_bits;
    if (!integer_in_range(t.decision_type[i], 0, 255, &decision_bits)) {
      throw ToolError("LightGBM tree " + std::to_string(index) + ": bad decision_type " + number_text(t.decision_type[i]));
    }
    const int decision = static_cast<int>(decision_bits);
    if (decision & 1) throw ToolError("LightGBM categorical splits are not supported");
    long long f;
    if (!integer_in_range(t.split_feature[i], 0, static_cast<double>(num_features) - 1, &f)) {
      throw ToolError("LightGBM tree " + std::to_string(index) + ": split on feature " +
                      number_text(t.split_feature[i]) + ", but the model takes " + std::to_string(num_features));
    }
    const auto feature = static_cast<std::uint32_t>(f);
    const bool default_left = (decision & 2) != 0;
    const int missing = (decision >> 2) & 3;  // 0 none, 1 zero, 2 NaN
    const double th = t.threshold[i];
    const double l = t.left[i], r = t.right[i];
    auto plain = [&] { return less_equal(feature, th, [&] { return node(l); }, [&] { return node(r); }); };
    if (missing != 1) {
      // Features reaching a predictor are finite: NaN-missing never applies, and missing-none
      // maps NaN to 0 only. Plain numerical split.
      return plain();
    }
    // Zero counts as missing: |x| <= 1e-35 goes the default way, other x compare as usual.
    // Rewritten as: x < -1e-35 ? plain : (x <= 1e-35 ? default : plain).
    const float below_zero = -kZeroFloat;  // -1e-35f is a float: x < -Z needs no rounding
    auto negative = [&] { return th >= -kZeroThreshold ? node(l) : plain(); };  // x < -1e-35 <= th: left
    auto non_negative = [&] {
      return less_equal(feature, kZeroThreshold, [&] { return node(default_left ? l : r); },
                        [&] { return th <= kZeroThreshold ? node(r) : plain(); });
    };
    return add_split(feature, below_zero, negative, non_negative);
  }
};

std::map<std::string, std::string> read_block(std::istringstream& in, std::string& line) {
  std::map<std::string, std::string> kv;
  while (std::getline(in, line)) {
    if (line.empty()) {
      if (!kv.empty()) break;
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos) break;
    kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}

}  // namespace

ImportResult import_lightgbm_text(const std::string& text, const FeatureSpec& features) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != "tree") throw ToolError("not a LightGBM text model (first line is not 'tree')");
  const auto header = read_block(in, line);
  auto get = [&](const std::map<std::string, std::string>& kv, const std::string& key) -> const std::string& {
    const auto it = kv.find(key);
    if (it == kv.end()) throw ToolError("LightGBM model lacks '" + key + "'");
    return it->second;
  };
  if (get(header, "num_class") != "1" || get(header, "num_tree_per_iteration") != "1") {
    throw ToolError("multi-class LightGBM models are not supported");
  }
  const std::uint32_t num_features = features.num_features();
  const double max_feature = single_number(get(header, "max_feature_idx"), "max_feature_idx");
  if (max_feature + 1 != num_features) {
    throw ToolError("LightGBM model has " + number_text(max_feature + 1) +
                    " features; " + features.describe() + " give " + std::to_string(num_features));
  }
  const std::string objective = get(header, "objective");
  ImportResult r;
  r.spec.features = features;
  GbdtModel g;
  g.base_score = 0.0f;  // LightGBM folds the initial score into the first tree
  double sigmoid_scale = 0;
  if (objective.rfind("regression", 0) == 0 && objective.find("regression_l1") == std::string::npos) {
    r.spec.transform = DPA_OUTPUT_IDENTITY;
  } else if (objective.rfind("binary", 0) == 0 || objective.rfind("cross_entropy", 0) == 0) {
    r.spec.transform = DPA_OUTPUT_SIGMOID;
    sigmoid_scale = 1.0;
    if (const auto at = objective.find("sigmoid:"); at != std::string::npos) sigmoid_scale = std::strtod(objective.c_str() + at + 8, nullptr);
  } else {
    throw ToolError("LightGBM objective '" + objective + "' is not supported (regression, binary)");
  }
  std::uint32_t depth = 0;
  for (int index = 0;; ++index) {
    while (line.empty() && std::getline(in, line)) {
    }
    if (line.rfind("Tree=", 0) != 0) break;
    const auto kv = read_block(in, line);
    LgbTree t;
    const double leaves = single_number(get(kv, "num_leaves"), "num_leaves");
    long long leaf_count;
    if (!integer_in_range(leaves, 1, 1 << 20, &leaf_count)) throw ToolError("LightGBM tree " + std::to_string(index) + ": bad num_leaves");
    t.num_leaves = static_cast<int>(leaf_count);
    if (kv.count("num_cat") && get(kv, "num_cat") != "0") throw ToolError("LightGBM categorical splits are not supported");
    if (kv.count("is_linear") && get(kv, "is_linear") != "0") throw ToolError("LightGBM linear trees are not supported");
    t.leaf_value = parse_numbers(get(kv, "leaf_value"), "leaf_value");
    if (sigmoid_scale != 0 && sigmoid_scale != 1) {
      for (double& v : t.leaf_value) v *= sigmoid_scale;  // sigmoid(s * x) = sigmoid of scaled leaves
    }
    if (t.num_leaves > 1) {
      t.split_feature = parse_numbers(get(kv, "split_feature"), "split_feature");
      t.threshold = parse_numbers(get(kv, "threshold"), "threshold");
      t.decision_type = parse_numbers(get(kv, "decision_type"), "decision_type");
      t.left = parse_numbers(get(kv, "left_child"), "left_child");
      t.right = parse_numbers(get(kv, "right_child"), "right_child");
      const std::size_t n = static_cast<std::size_t>(t.num_leaves - 1);
      if (t.split_feature.size() != n || t.threshold.size() != n || t.decision_type.size() != n ||
          t.left.size() != n || t.right.size() != n || t.leaf_value.size() != n + 1) {
        throw ToolError("LightGBM tree " + std::to_string(index) + ": arrays of the wrong length");
      }
    }
    Builder b{t, num_features, index, {}};
    b.node(t.num_leaves > 1 ? 0.0 : -1.0);
    // The builder appends a node before its children: children always follow their parent.
    depth = std::max(depth, tree_depth(b.out));
    g.trees.push_back(std::move(b.out));
  }
  if (g.trees.empty()) throw ToolError("LightGBM model has no trees");
  if (depth > DPA_MODEL_MAX_TREE_DEPTH) {
    throw ToolError("LightGBM trees reach depth " + std::to_string(depth) + " (after rewriting zero-missing splits); at most " +
                    std::to_string(DPA_MODEL_MAX_TREE_DEPTH) + " is supported");
  }
  r.spec.predictor = g;
  r.summary = "LightGBM, " + objective + ", " + std::to_string(g.trees.size()) + " trees, max depth " + std::to_string(depth);
  Provenance p;
  p.text = "imported_from=lightgbm\nobjective=" + objective + "\ntrees=" + std::to_string(g.trees.size()) +
           "\ndepth=" + std::to_string(depth) + "\n";
  r.spec.provenance = p;
  return r;
}

}  // namespace dpa::tools
