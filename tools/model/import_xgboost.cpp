// XGBoost 1.7 to 3.x models, JSON or UBJSON, read with nlohmann-json behind a nesting limit.
#include <cmath>
#include <cstdio>
#include <limits>

#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "model/importers.hpp"

namespace dpa::tools {
namespace {

using Json = nlohmann::json;

// XGBoost's documents nest about six levels; nlohmann's UBJSON reader recurses once per level, so a
// hostile file could exhaust the stack without this bound.
constexpr std::size_t kMaxNesting = 64;
constexpr std::size_t kMaxTreeNodes = std::size_t{1} << 24;

// nlohmann's own document builder, refusing documents nested deeper than kMaxNesting and
// containers declaring more elements than the input has bytes (UBJSON counts: nlohmann's builder
// throws on absurd ones, found by fuzz_import), and keeping the parser's message.
class BoundedDocument {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  BoundedDocument(Json& root, std::size_t input_bytes) : dom_(root, false), input_bytes_(input_bytes) {}
  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(number_float_t v, const string_t& s) { return dom_.number_float(v, s); }
  bool string(string_t& v) { return dom_.string(v); }
  bool binary(binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) { return enter() && plausible(n) && dom_.start_object(n); }
  bool key(string_t& k) { return dom_.key(k); }
  bool end_object() { return leave() && dom_.end_object(); }
  bool start_array(std::size_t n) { return enter() && plausible(n) && dom_.start_array(n); }
  bool end_array() { return leave() && dom_.end_array(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    message_ = e.what();
    return false;
  }
  const std::string& message() const { return message_; }

 private:
  bool enter() {
    if (++depth_ <= kMaxNesting) return true;
    message_ = "nested deeper than " + std::to_string(kMaxNesting) + " levels";
    return false;
  }
  bool leave() {
    --depth_;
    return true;
  }
  // n: the declared element count, or -1 when the container does not declare one.
  bool plausible(std::size_t n) {
    if (n == static_cast<std::size_t>(-1) || n <= input_bytes_) return true;
    message_ = "a container declares " + std::to_string(n) + " elements in " + std::to_string(input_bytes_) + " bytes";
    return false;
  }
  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  std::size_t input_bytes_;
  std::size_t depth_ = 0;
  std::string message_;
};

// UBJSON (save_model("m.ubj")) opens an object with '{' and then a length marker; JSON with '{'
// and then white space, '"' or '}'.
bool looks_like_ubjson(const std::string& bytes) {
  return bytes.size() > 1 && bytes[0] == '{' && std::string("iUIlL$#").find(bytes[1]) != std::string::npos;
}

Json parse_document(const std::string& bytes) {
  const bool ubjson = looks_like_ubjson(bytes);
  Json doc;
  BoundedDocument builder(doc, bytes.size());
  bool ok = false;
  try {
    ok = ubjson ? Json::sax_parse(bytes, &builder, Json::input_format_t::ubjson)
                : Json::sax_parse(bytes, &builder, Json::input_format_t::json);
  } catch (const Json::exception& e) {  // whatever else nlohmann finds absurd: a message, not a crash
    throw ToolError(std::string(ubjson ? "UBJSON" : "JSON") + ": " + e.what());
  }
  if (!ok) {
    const std::string what = builder.message().empty() ? "not a complete document" : builder.message();
    throw ToolError(std::string(ubjson ? "UBJSON" : "JSON") + ": " + what);
  }
  if (!doc.is_object()) throw ToolError("not an XGBoost model (the document is not an object)");
  return doc;
}

const Json& member(const Json& object, const char* key, const std::string& where) {
  if (!object.is_object()) throw ToolError("XGBoost model: " + where + " is not an object");
  const auto it = object.find(key);
  if (it == object.end()) throw ToolError("XGBoost model: " + where + " lacks '" + key + "'");
  return *it;
}

const Json* optional_member(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// A number, or a string holding one: XGBoost writes parameters as strings ("5E-1"), and 3.1 and
// later write base_score as a one-element vector ("[5E-1]").
double number(const Json& v, const std::string& what) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (s.size() >= 2 && s.front() == '[' && s.back() == ']') {
      s = s.substr(1, s.size() - 2);
      if (s.find(',') != std::string::npos)
        throw ToolError("XGBoost model: " + what + " holds several values (multi-target models are not supported)");
    }
    char* end = nullptr;
    const double parsed = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) return parsed;
  }
  throw ToolError("XGBoost model: " + what + " is not a number");
}

std::vector<double> numbers(const Json& v, const std::string& what) {
  if (!v.is_array()) throw ToolError("XGBoost model: " + what + " is not an array");
  std::vector<double> out;
  out.reserve(v.size());
  for (const Json& x : v) out.push_back(number(x, what));
  return out;
}

// How an objective turns the summed trees into a prediction, and where base_score lives.
enum class BaseScore { as_is, probability, positive };
struct XgbObjective {
  const char* name;
  dpa_output_transform transform;
  BaseScore base;
};
constexpr XgbObjective kObjectives[] = {
    {"reg:squarederror", DPA_OUTPUT_IDENTITY, BaseScore::as_is},
    {"reg:linear", DPA_OUTPUT_IDENTITY, BaseScore::as_is},
    {"reg:absoluteerror", DPA_OUTPUT_IDENTITY, BaseScore::as_is},
    {"reg:pseudohubererror", DPA_OUTPUT_IDENTITY, BaseScore::as_is},
    {"reg:squaredlogerror", DPA_OUTPUT_IDENTITY, BaseScore::as_is},
    {"reg:quantileerror", DPA_OUTPUT_IDENTITY, BaseScore::as_is},
    {"reg:logistic", DPA_OUTPUT_SIGMOID, BaseScore::probability},
    {"binary:logistic", DPA_OUTPUT_SIGMOID, BaseScore::probability},
    {"count:poisson", DPA_OUTPUT_EXP, BaseScore::positive},
    {"reg:gamma", DPA_OUTPUT_EXP, BaseScore::positive},
    {"reg:tweedie", DPA_OUTPUT_EXP, BaseScore::positive},
};

// base_score as each objective stores it (in the output's space) -> the margin the trees add to.
float margin_of(double base_score, const XgbObjective& o) {
  switch (o.base) {
    case BaseScore::probability:
      if (!(base_score > 0 && base_score < 1))
        throw ToolError("XGBoost " + std::string(o.name) + " base_score must lie in (0, 1)");
      return static_cast<float>(std::log(base_score / (1.0 - base_score)));
    case BaseScore::positive:
      if (!(base_score > 0)) throw ToolError("XGBoost " + std::string(o.name) + " base_score must be positive");
      return static_cast<float>(std::log(base_score));
    case BaseScore::as_is: break;
  }
  return static_cast<float>(base_score);
}

// Re-numbers an XGBoost tree breadth-first from the root, so children always follow parents.
// `weight` scales the leaves (DART's weight_drop; 1 otherwise).
Tree convert_tree(const Json& t, std::uint32_t num_features, std::size_t index, double weight) {
  const std::string where = "XGBoost tree " + std::to_string(index);
  const std::vector<double> left = numbers(member(t, "left_children", where), where + " left_children");
  const std::vector<double> right = numbers(member(t, "right_children", where), where + " right_children");
  const std::vector<double> condition = numbers(member(t, "split_conditions", where), where + " split_conditions");
  const std::vector<double> feature = numbers(member(t, "split_indices", where), where + " split_indices");
  const std::size_t n = left.size();
  if (right.size() != n || condition.size() != n || feature.size() != n || n == 0 || n > kMaxTreeNodes) {
    throw ToolError(where + ": node arrays of different lengths, empty or too long");
  }
  if (const Json* types = optional_member(t, "split_type")) {
    for (double s : numbers(*types, where + " split_type")) {
      if (s != 0) throw ToolError(where + ": categorical splits are not supported");
    }
  }
  Tree out;
  std::vector<std::pair<std::size_t, std::int32_t>> queue{{0, 0}};  // (xgboost id, our index)
  out.nodes.emplace_back();
  for (std::size_t q = 0; q < queue.size(); ++q) {
    if (queue.size() > n) throw ToolError(where + ": children do not form a tree");
    const auto [id, ours] = queue[q];
    TreeNode& node = out.nodes[static_cast<std::size_t>(ours)];
    long long l, r, f;
    if (!integer_in_range(left[id], -1e18, 1e18, &l))
      throw ToolError(where + ": child index " + number_text(left[id]) + " is not an integer");
    if (l < 0) {
      node.is_leaf = true;
      node.value = static_cast<float>(condition[id] * weight);
      continue;
    }
    const double last = static_cast<double>(n) - 1;
    if (!integer_in_range(left[id], 0, last, &l) || !integer_in_range(right[id], 0, last, &r)) {
      throw ToolError(where + ": child index out of range");
    }
    if (!integer_in_range(feature[id], 0, static_cast<double>(num_features) - 1, &f)) {
      throw ToolError(where + ": split on feature " + number_text(feature[id]) + ", but the model has " +
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

// The trees and, for DART, their weights. XGBoost before 3.3 saves DART as booster "dart" holding
// a "gbtree" and "weight_drop"; 3.3 and later as "gbtree" whose model holds "weight_drop".
struct Booster {
  const Json* model;
  std::vector<double> weights;  // empty: every tree weighs 1
  std::string kind;
};

Booster booster_of(const Json& learner) {
  const Json& booster = member(learner, "gradient_booster", "learner");
  const Json& name = member(booster, "name", "gradient_booster");
  const std::string kind = name.is_string() ? name.get<std::string>() : "";
  Booster b;
  if (kind == "gbtree") {
    b.model = &member(booster, "model", "gradient_booster");
    b.kind = "gbtree";
  } else if (kind == "dart") {
    b.model = &member(member(booster, "gbtree", "dart booster"), "model", "dart booster");
    b.weights = numbers(member(booster, "weight_drop", "dart booster"), "weight_drop");
    b.kind = "dart";
  } else {
    throw ToolError("XGBoost booster '" + kind + "' is not supported (gbtree, dart)");
  }
  if (const Json* drop = optional_member(*b.model, "weight_drop")) {
    b.weights = numbers(*drop, "weight_drop");
    b.kind = "dart";
  }
  return b;
}

}  // namespace

ImportResult import_xgboost(const std::string& bytes, const FeatureSpec& features) {
  const Json doc = parse_document(bytes);
  const Json& learner = member(doc, "learner", "the document");
  const Json& params = member(learner, "learner_model_param", "learner");
  const std::uint32_t num_features = features.num_features();
  const double model_features = number(member(params, "num_feature", "learner_model_param"), "num_feature");
  if (model_features != num_features) {
    throw ToolError("XGBoost model has " + number_text(model_features) + " features; " + features.describe() +
                    " give " + std::to_string(num_features));
  }
  if (const Json* classes = optional_member(params, "num_class"); classes && number(*classes, "num_class") > 1) {
    throw ToolError("multi-class XGBoost models are not supported");
  }
  if (const Json* targets = optional_member(params, "num_target"); targets && number(*targets, "num_target") > 1) {
    throw ToolError("multi-target XGBoost models are not supported");
  }
  const Json& objective_name = member(member(learner, "objective", "learner"), "name", "objective");
  const std::string objective = objective_name.is_string() ? objective_name.get<std::string>() : "";
  const XgbObjective& o = find_objective(kObjectives, objective, "XGBoost");
  const Booster booster = booster_of(learner);
  const Json& trees = member(*booster.model, "trees", "the booster's model");
  if (!trees.is_array() || trees.empty()) throw ToolError("XGBoost model has no trees");
  if (!booster.weights.empty() && booster.weights.size() != trees.size()) {
    throw ToolError("XGBoost DART model has " + std::to_string(booster.weights.size()) + " tree weights for " +
                    std::to_string(trees.size()) + " trees");
  }
  if (const Json* info = optional_member(*booster.model, "tree_info")) {
    for (double group : numbers(*info, "tree_info")) {
      if (group != 0) throw ToolError("XGBoost model has trees for several outputs (multi-class or multi-target)");
    }
  }
  ImportResult r;
  r.spec.features = features;
  r.spec.transform = o.transform;
  GbdtModel g;
  g.base_score = margin_of(number(member(params, "base_score", "learner_model_param"), "base_score"), o);
  std::uint32_t depth = 0;
  for (std::size_t i = 0; i < trees.size(); ++i) {
    g.trees.push_back(convert_tree(trees[i], num_features, i, booster.weights.empty() ? 1.0 : booster.weights[i]));
    depth = std::max(depth, tree_depth(g.trees.back()));
  }
  r.spec.predictor = g;
  std::string version;
  if (const Json* v = optional_member(doc, "version"); v && v->is_array()) {
    for (const Json& part : *v) version += (version.empty() ? "" : ".") + number_text(number(part, "version"));
  }
  const std::string format = looks_like_ubjson(bytes) ? "UBJSON" : "JSON";
  r.summary = "XGBoost " + version + " " + format + ", " + objective + ", " + booster.kind + ", " +
              std::to_string(trees.size()) + " trees, max depth " + std::to_string(depth);
  Provenance p;
  p.text = "imported_from=xgboost " + version + "\nobjective=" + objective + "\nbooster=" + booster.kind +
           "\ntrees=" + std::to_string(trees.size()) + "\ndepth=" + std::to_string(depth) + "\n";
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
