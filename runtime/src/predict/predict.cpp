// Weights in, prediction out: the model's features (the runtime's own statistics, or the raw
// weights), its predictor, its output transform. Only arguments are checked here; the model was
// verified by dpa_model_load.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "dpa/dpa.h"
#include "dpa/model_format.h"
#include "predictors.hpp"

namespace {

// Scratch: [statistics scratch][features][MLP work], each part float-aligned.
struct ScratchPlan {
  std::size_t stats_bytes;
  std::size_t feature_floats;
  std::size_t work_floats;
  std::size_t total() const {
    return alignof(float) + stats_bytes + (feature_floats + work_floats) * sizeof(float);
  }
};

ScratchPlan plan(const dpa_model& m) {
  ScratchPlan p{0, 0, std::size_t{2} * m.max_width};
  if (m.feature_kind == DPA_FEATURES_STATISTICS) {
    p.stats_bytes = (dpa_stats_scratch_size(m.stats_set) + 3) / 4 * 4;
    p.feature_floats = m.num_features;
  }
  return p;
}

float* align_float(void* scratch) {
  const auto address = reinterpret_cast<std::uintptr_t>(scratch);
  return reinterpret_cast<float*>(address + (alignof(float) - address % alignof(float)) % alignof(float));
}

float transform(const dpa_model& m, float score) {
  switch (m.output_transform) {
    case DPA_OUTPUT_SIGMOID: return 1.0f / (1.0f + std::exp(-score));
    case DPA_OUTPUT_CLAMP01: return score < 0.0f ? 0.0f : (score > 1.0f ? 1.0f : score);
    default: return score;
  }
}

float score(const dpa_model& m, const float* features, float* work) {
  switch (m.predictor) {
    case DPA_SECTION_GBDT:
      return dpa::detail::gbdt_score(static_cast<const dpa_gbdt_section*>(m.predictor_section), features);
    case DPA_SECTION_LINEAR:
      return dpa::detail::linear_score(static_cast<const dpa_linear_section*>(m.predictor_section), features);
    default:
      return dpa::detail::mlp_score(static_cast<const dpa_mlp_section*>(m.predictor_section), features,
                                    work, m.max_width);
  }
}

// Features into `features` (statistics) or a pointer to the weights themselves (raw).
dpa_status features_of(const dpa_model& m, const float* weights, size_t num_weights,
                       float* stats_out, unsigned char* stats_scratch, std::size_t stats_bytes,
                       const float** features) {
  if (num_weights != m.layout.total_length) return DPA_ERR_SIZE_MISMATCH;
  if (m.feature_kind == DPA_FEATURES_RAW_WEIGHTS) {
    for (size_t i = 0; i < num_weights; ++i) {
      if (!std::isfinite(weights[i])) return DPA_ERR_NON_FINITE;
    }
    *features = weights;
    return DPA_OK;
  }
  *features = stats_out;
  return dpa_stats_compute(&m.layout, m.stats_set, weights, num_weights, stats_out,
                           m.num_features, stats_scratch, stats_bytes);
}

}  // namespace

extern "C" {

size_t dpa_model_scratch_size(const dpa_model* model) {
  return model == nullptr ? 0 : plan(*model).total();
}

dpa_status dpa_model_predict(const dpa_model* model, const float* weights, size_t num_weights,
                             float* prediction, void* scratch, size_t scratch_bytes) {
  if (model == nullptr || weights == nullptr || prediction == nullptr || scratch == nullptr ||
      model->bytes == nullptr) {
    return DPA_ERR_NULL_ARGUMENT;
  }
  const ScratchPlan p = plan(*model);
  if (scratch_bytes < p.total()) return DPA_ERR_SCRATCH_TOO_SMALL;
  auto* base = reinterpret_cast<unsigned char*>(align_float(scratch));
  float* stats_out = reinterpret_cast<float*>(base + p.stats_bytes);
  float* work = stats_out + p.feature_floats;
  const float* features = nullptr;
  const dpa_status s = features_of(*model, weights, num_weights, stats_out, base, p.stats_bytes, &features);
  if (s != DPA_OK) {
    *prediction = std::numeric_limits<float>::quiet_NaN();
    return s;
  }
  *prediction = transform(*model, score(*model, features, work));
  return DPA_OK;
}

dpa_status dpa_model_features(const dpa_model* model, const float* weights, size_t num_weights,
                              float* features, size_t features_len, void* scratch,
                              size_t scratch_bytes) {
  if (model == nullptr || weights == nullptr || features == nullptr || scratch == nullptr ||
      model->bytes == nullptr) {
    return DPA_ERR_NULL_ARGUMENT;
  }
  if (features_len < model->num_features) return DPA_ERR_OUTPUT_TOO_SMALL;
  const ScratchPlan p = plan(*model);
  if (scratch_bytes < p.total()) return DPA_ERR_SCRATCH_TOO_SMALL;
  auto* base = reinterpret_cast<unsigned char*>(align_float(scratch));
  const float* computed = nullptr;
  const dpa_status s = features_of(*model, weights, num_weights, features, base, p.stats_bytes, &computed);
  if (computed == weights && s == DPA_OK) std::memcpy(features, weights, num_weights * sizeof(float));
  return s;
}

dpa_status dpa_model_predict_features(const dpa_model* model, const float* features,
                                      size_t num_features, float* prediction, void* scratch,
                                      size_t scratch_bytes) {
  if (model == nullptr || features == nullptr || prediction == nullptr || model->bytes == nullptr) {
    return DPA_ERR_NULL_ARGUMENT;
  }
  if (num_features != model->num_features) return DPA_ERR_SIZE_MISMATCH;
  float* work = nullptr;
  if (model->max_width > 0) {
    if (scratch == nullptr) return DPA_ERR_NULL_ARGUMENT;
    if (scratch_bytes < alignof(float) + 2ull * model->max_width * sizeof(float)) {
      return DPA_ERR_SCRATCH_TOO_SMALL;
    }
    work = align_float(scratch);
  }
  for (size_t i = 0; i < num_features; ++i) {
    if (!std::isfinite(features[i])) {
      *prediction = std::numeric_limits<float>::quiet_NaN();
      return DPA_ERR_NON_FINITE;
    }
  }
  *prediction = transform(*model, score(*model, features, work));
  return DPA_OK;
}

}  // extern "C"
