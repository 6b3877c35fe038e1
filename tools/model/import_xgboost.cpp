#include <cmath>
#include <cstdio>
#include <limits>

#include "common/cli_args.hpp"
#include "common/json_value.hpp"
#include "model/importers.hpp"

namespace dpa::tools {
namespace {

std::vector<double> numbers(const JsonValue& v) {
  std::vector<double> out;
  for (const JsonValue& x : v.array()) out.push_back(x.number());
  return out;
}

// Re-numbers an XGBoost tree breadth-first from the root, so children always follow parents.
Tree convert_tree(const JsonValue& t, std::uint32_t num_features, int index) {
  const std::string where = "XGBoost tree " + std::to_string(index) + ": ";
  const std::vector<double> left = numbers(t.at("left_children")), right = numbers(t.at("right_children"));
  const std::vector<double> condition = numbers(t.at("split_conditions")), feature = numbers(t.at("split_indices"));
  const std::size_t n = left.size();
  if (right.size() != n || condition.size() != n || feature.size() != n || n == 0) {
    throw ToolError(where + "arrays of different lengths");
  }
  if (const JsonValue* types = t.find("split_type")) {
    for (const JsonValue& s : types->array()) {
      if (s.number() != 0) throw ToolError(where + "categorical splits are not supported");
    }
  }
  Tree out;
  std::vector<std::pair<std::size_t, std::int32_t>> queue{{0, 0}};  // (xgboost id, our index)
  out.nodes.emplace_back();
  for (std::size_t q = 0; q < queue.size(); ++q) {
    if (queue.size() > n) throw ToolError(where + "children do not form a tree");
    const auto [id, ours] = queue[q];
    TreeNode& node = out.nodes[static_cast<std::size_t>(ours)];
    long long l, r, f;
    if (!integer_in_range(left[id], -1e18, 1e18, &l)) throw ToolError(where + "child index " + number_text(left[id]) + " is not an integer");
    if (l < 0) {
      node.is_leaf = true;
      node.value = static_cast<float>(condition[id]);
      continue;
    }
    const double last = static_cast<double>(n) - 1;
    if (!integer_in_range(left[id], 0, last, &l) || !integer_in_range(right[id], 0, last, &r)) {
      throw ToolError(where + "child index out of range");
    }
    if (!integer_in_range(feature[id], 0, static_cast<double>(num_features) - 1, &f)) {
      throw ToolError(where + "split on feature " + number_text(feature[id]) + ", but the model has " +
                      std::to_string(num_features) + " features");
    }
    node.is_leaf = false;
    node.feature = static_cast<std::uint32_t>(f);
    node.threshold = static_cast<float>(condition[id]);  // XGBoost: x < split_condition (float)
    node.left = static_cast<std::int32_t>(out.nodes.size());
    node.right = node.left + 1;
    queue.push_back({static_cast<std::size_t>(l), node.left});
    queue.push_back({static_cast<std::size_t>(r), node.right});
    out.nodes.emplace_back();
    out.nodes.emplace_back();
  }
  return out;
}

}  // namespace

ImportResult import_xgboost_json(const std::string& text, const FeatureSpec& features) {
  const JsonValue doc = JsonValue::parse(text);
  const JsonValue& learner = doc.at("learner");
  const JsonValue& params = learner.at("learner_model_param");
  const std::uint32_t num_features = features.num_features();
  const double model_features = params.at("num_feature").number();
  if (model_features != num_features) {
    throw ToolError("XGBoost model has " + number_text(model_features) +
                    " features; " + features.describe() + " give " + std::to_string(num_features));
  }
  if (const JsonValue* classes = params.find("num_class"); classes && classes->number() > 1) {
    throw ToolError("multi-class XGBoost models are not supported");
  }
  if (const JsonValue* targets = params.find("num_target"); targets && targets->number() > 1) {
    throw ToolError("multi-target XGBoost models are not supported");
  }
  const std::string objective = learner.at("objective").at("name").string();
  const JsonValue& booster = learner.at("gradient_booster");
  if (booster.at("name").string() != "gbtree") {
    throw ToolError("XGBoost booster '" + booster.at("name").string() + "' is not supported (gbtree only)");
  }
  const double base_score = params.at("base_score").number();
  ImportResult r;
  r.spec.features = features;
  GbdtModel g;
  if (objective == "reg:squarederror" || objective == "reg:linear") {
    g.base_score = static_cast<float>(base_score);
    r.spec.transform = DPA_OUTPUT_IDENTITY;
  } else if (objective == "reg:logistic" || objective == "binary:logistic") {
    if (!(base_score > 0 && base_score < 1)) throw ToolError("XGBoost logistic base_score must lie in (0, 1)");
    g.base_score = static_cast<float>(std::log(base_score / (1.0 - base_score)));  // probability -> margin
    r.spec.transform = DPA_OUTPUT_SIGMOID;
  } else {
    throw ToolError("XGBoost objective '" + objective + "' is not supported (reg:squarederror, reg:logistic, binary:logistic)");
  }
  const auto& trees = booster.at("model").at("trees").array();
  if (trees.empty()) throw ToolError("XGBoost model has no trees");
  std::uint32_t depth = 0;
  for (std::size_t i = 0; i < trees.size(); ++i) {
    g.trees.push_back(convert_tree(trees[i], num_features, static_cast<int>(i)));
    depth = std::max(depth, tree_depth(g.trees.back()));
  }
  if (depth > DPA_MODEL_MAX_TREE_DEPTH) {
    throw ToolError("XGBoost trees reach depth " + std::to_string(depth) + "; at most " +
                    std::to_string(DPA_MODEL_MAX_TREE_DEPTH) + " is supported");
  }
  r.spec.predictor = g;
  std::string version;
  if (const JsonValue* v = doc.find("version")) {
    for (const JsonValue& part : v->array()) version += (version.empty() ? "" : ".") + number_text(part.number());
  }
  r.summary = "XGBoost " + version + ", " + objective + ", " + std::to_string(trees.size()) +
              " trees, max depth " + std::to_string(depth);
  Provenance p;
  p.text = "imported_from=xgboost " + version + "\nobjective=" + objective + "\ntrees=" +
           std::to_string(trees.size()) + "\ndepth=" + std::to_string(depth) + "\n";
  r.spec.provenance = p;
  return r;
}

bool integer_in_range(double v, double lo, double hi, long long* out) {
  if (!(v >= lo && v <= hi) || v != std::floor(v)) return false;
  *out = static_cast<long long>(v);
  return true;
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

bool float_threshold_for_less_equal(double t, float* threshold) {
  if (std::isnan(t)) return false;
  // f = the largest float not above t: for float x, x <= t exactly when x <= f.
  float f = static_cast<float>(t);
  if (static_cast<double>(f) > t) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  // x <= f exactly when x < next float above f.
  const float next = std::nextafter(f, std::numeric_limits<float>::infinity());
  if (!std::isfinite(next)) return false;  // t >= FLT_MAX: every finite x goes left
  *threshold = next;
  return true;
}

}  // namespace dpa::tools
