// Trees trained by other libraries, converted to our model format with their exact split
// semantics. Features are the runtime's statistics (paper or extended set, zoo layout); the
// importers check the feature count and reject what the runtime cannot reproduce exactly.
#pragma once

#include <string>

#include "common/errors.hpp"
#include "model/model_spec.hpp"

namespace dpa::tools {

struct ImportResult {
  ModelSpec spec;
  std::string summary;  // e.g. "XGBoost 1.7.4, reg:squarederror, 500 trees, max depth 6"
};

// XGBoost 1.7 to 3.x models, JSON (save_model("m.json")) or UBJSON ("m.ubj"): gbtree or DART
// boosters (per-tree weight_drop), numerical splits, go left when x < split_condition (float).
// Objectives from one table: raw-score regressions, logistic (base_score in probability space),
// log-link count:poisson / reg:gamma / reg:tweedie (exp). base_score as a number, a quoted number
// or a bracketed one-element vector (3.1 and later).
ImportResult import_xgboost(const std::string& bytes, const FeatureSpec& features);

// LightGBM 2.x to 4.x text models (save_model("m.txt")) of any depth: numerical splits, go left
// when double(x) <= threshold; decision_type bit 1 = default left, bits 2-3 = missing type (zero
// missing becomes the node's zero mode). Objectives from one table: raw-score regressions,
// reg_sqrt (signed square), binary / cross_entropy (sigmoid), cross_entropy_lambda (softplus),
// poisson / gamma / tweedie (exp); random forests (average_output) averaged. A file that ends
// before "end of trees" or disagrees with its tree_sizes is refused.
ImportResult import_lightgbm_text(const std::string& text, const FeatureSpec& features);

// The entry named `name` of a library's objective table (entries with a `name` member), or a
// ToolError naming the library, the objective and every supported one.
template <class Objective, std::size_t N>
const Objective& find_objective(const Objective (&table)[N], const std::string& name, const char* library) {
  std::string known;
  for (const Objective& o : table) {
    if (name == o.name) return o;
    known += std::string(known.empty() ? "" : ", ") + o.name;
  }
  throw ToolError(std::string(library) + " objective '" + name + "' is not supported (" + known + ")");
}

// v as an integer in [lo, hi], or false when v is not one (NaN, infinite, fractional, out of
// range): converting such a double to an integer type is undefined, so every index and count
// read from another library's file passes through here (found by fuzz_import).
bool integer_in_range(double v, double lo, double hi, long long* out);
// A number for an error message, whatever its value.
std::string number_text(double v);

// The float threshold T such that, for every float x, x < T exactly when double(x) <= t.
// Returns false when no finite T exists: t >= FLT_MAX, so every finite x goes left.
bool float_threshold_for_less_equal(double t, float* threshold);

}  // namespace dpa::tools
