// Trees trained by other libraries, converted to our model format with their exact split
// semantics. Features are the runtime's statistics (paper or extended set, zoo layout); the
// importers check the feature count and reject what the runtime cannot reproduce exactly.
#pragma once

#include <string>

#include "model/model_spec.hpp"

namespace dpa::tools {

struct ImportResult {
  ModelSpec spec;
  std::string summary;  // e.g. "XGBoost 1.7.4, reg:squarederror, 500 trees, max depth 6"
};

// XGBoost's JSON model (save_model("m.json")): gbtree booster, numerical splits, objectives
// reg:squarederror (identity) and reg:logistic / binary:logistic (sigmoid; base_score is stored
// in probability space and converted to a margin). Go left when x < split_condition (float).
ImportResult import_xgboost_json(const std::string& text, const FeatureSpec& features);

// LightGBM's text model (save_model("m.txt")): numerical splits, go left when
// double(x) <= threshold; decision_type bit 1 = default left, bits 2-3 = missing type (zero
// missing is rewritten into explicit splits around zero); regression or binary objectives.
ImportResult import_lightgbm_text(const std::string& text, const FeatureSpec& features);

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
