// Inputs in, prediction out: the model's features (block after block, from the input-kind table),
// its predictor (from the predictor table), its output transform. Only arguments are checked
// here; the model was verified by dpa_model_load.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "dpa/dpa.h"
#include "dpa/model_format.h"
#include "inputs.hpp"
#include "natural_log.hpp"
#include "predictors.hpp"

namespace {

using dpa::detail::find_input_kind;
using dpa::detail::InputKind;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// A model reading raw weights alone predicts straight from the caller's vector: no copy.
bool reads_weights_in_place(const dpa_model& m) {
  return m.num_input_blocks == 1 && m.input_blocks[0] == DPA_INPUT_RAW_WEIGHTS;
}

// Scratch: [block scratch][features][predictor work], each part float-aligned.
struct ScratchPlan {
  std::size_t block_bytes;
  std::size_t feature_floats;
  std::size_t work_floats;
  std::size_t total() const { return alignof(float) + block_bytes + (feature_floats + work_floats) * sizeof(float); }
};

ScratchPlan plan(const dpa_model& m) {
  ScratchPlan p{0, reads_weights_in_place(m) ? 0 : m.num_features, m.work_floats};
  for (std::uint32_t b = 0; b < m.num_input_blocks; ++b) {
    const std::size_t bytes = find_input_kind(m.input_blocks[b])->scratch_bytes(m);
    p.block_bytes = bytes > p.block_bytes ? (bytes + 3) / 4 * 4 : p.block_bytes;
  }
  return p;
}

float* align_float(void* scratch) {
  const auto address = reinterpret_cast<std::uintptr_t>(scratch);
  return reinterpret_cast<float*>(address + (alignof(float) - address % alignof(float)) % alignof(float));
}

float identity(float s) { return s; }
float sigmoid(float s) { return 1.0f / (1.0f + std::exp(-s)); }
float clamp01(float s) { return s < 0.0f ? 0.0f : (s > 1.0f ? 1.0f : s); }
float exponential(float s) { return std::exp(s); }
float signed_square(float s) { return s * std::fabs(s); }
// log(1 + e^s) = max(s, 0) + log(1 + e^-|s|): never overflows. The runtime's own log (1 + e^-|s|
// rounded to float first: within 1e-7 of LightGBM's double log1p) rather than libm's double exp
// and log1p, 2.3 KB of Cortex-M flash.
float softplus(float s) {
  const float positive = s > 0.0f ? s : 0.0f;
  return static_cast<float>(positive + dpa::detail::natural_log(1.0f + std::exp(-std::fabs(s))));
}

struct OutputTransform {
  const char* name;
  float (*apply)(float);
};
// Indexed by dpa_output_transform.
constexpr OutputTransform kTransforms[] = {
    {"identity", identity},           {"sigmoid", sigmoid},  {"clamp01", clamp01}, {"exp", exponential},
    {"signed-square", signed_square}, {"softplus", softplus}};
constexpr std::uint32_t kNumTransforms = sizeof kTransforms / sizeof kTransforms[0];
static_assert(kNumTransforms == DPA_OUTPUT_SOFTPLUS + 1, "one per transform");

// The predictor and the output transform; a non-finite result is an error, never a prediction.
dpa_status finish(const dpa_model& m, const float* features, float* work, float* prediction) {
  const auto* p = dpa::detail::find_predictor(m.predictor);
  if (p == nullptr || m.output_transform >= kNumTransforms) {  // not a loaded model
    *prediction = kNaN;
    return DPA_ERR_MODEL_MISSING;
  }
  const float value = kTransforms[m.output_transform].apply(p->score(m, features, work));
  if (!std::isfinite(value)) {
    *prediction = kNaN;
    return DPA_ERR_NON_FINITE_PREDICTION;
  }
  *prediction = value;
  return DPA_OK;
}

dpa_status check_inputs(const dpa_model& m, const dpa_inputs& in) {
  if (m.layout.num_segments > 0) {
    if (in.weights == nullptr) return DPA_ERR_NULL_ARGUMENT;
    if (in.num_weights != m.layout.total_length) return DPA_ERR_SIZE_MISMATCH;
  }
  if (in.num_context != m.num_context) return DPA_ERR_CONTEXT_MISSING;
  if (m.num_context > 0 && in.context == nullptr) return DPA_ERR_NULL_ARGUMENT;
  return DPA_OK;
}

// Every block's features into `out` (or, for raw weights alone, *features = the weights).
dpa_status features_of(const dpa_model& m, const dpa_inputs& in, float* out, void* block_scratch,
                       std::size_t block_bytes, const float** features) {
  dpa_status status = check_inputs(m, in);
  if (status != DPA_OK) return status;
  if (reads_weights_in_place(m)) {
    *features = in.weights;
    for (std::uint32_t i = 0; i < m.layout.total_length; ++i) {
      if (!std::isfinite(in.weights[i])) return DPA_ERR_NON_FINITE;
    }
    return DPA_OK;
  }
  *features = out;
  std::uint32_t offset = 0;
  for (std::uint32_t b = 0; b < m.num_input_blocks; ++b) {
    const InputKind* kind = find_input_kind(m.input_blocks[b]);
    const dpa_status s = kind->features(m, in, out + offset, block_scratch, block_bytes);
    if (status == DPA_OK) status = s;
    offset += kind->feature_count(m);
  }
  return status;
}

bool loaded(const dpa_model* model) { return model != nullptr && model->bytes != nullptr; }

}  // namespace

extern "C" {

size_t dpa_model_struct_size(void) { return sizeof(dpa_model); }

const char* dpa_output_transform_name(uint32_t transform) {
  return transform < kNumTransforms ? kTransforms[transform].name : nullptr;
}

size_t dpa_model_scratch_size(const dpa_model* model) { return model == nullptr ? 0 : plan(*model).total(); }

dpa_status dpa_model_predict_inputs(const dpa_model* model, const dpa_inputs* inputs, float* prediction, void* scratch,
                                    size_t scratch_bytes) {
  if (prediction == nullptr) return DPA_ERR_NULL_ARGUMENT;
  *prediction = kNaN;
  if (!loaded(model) || inputs == nullptr || scratch == nullptr) return DPA_ERR_NULL_ARGUMENT;
  const ScratchPlan p = plan(*model);
  if (scratch_bytes < p.total()) return DPA_ERR_SCRATCH_TOO_SMALL;
  auto* base = reinterpret_cast<unsigned char*>(align_float(scratch));
  float* out = reinterpret_cast<float*>(base + p.block_bytes);
  float* work = out + p.feature_floats;
  const float* features = nullptr;
  const dpa_status s = features_of(*model, *inputs, out, base, p.block_bytes, &features);
  if (s != DPA_OK) return s;
  return finish(*model, features, work, prediction);
}

dpa_status dpa_model_predict_batch(const dpa_model* model, const float* weights, size_t num_weights,
                                   const float* context, size_t num_context, size_t rows, float* predictions,
                                   void* scratch, size_t scratch_bytes, size_t* failed) {
  if (failed != nullptr) *failed = 0;
  if (predictions == nullptr && rows > 0) return DPA_ERR_NULL_ARGUMENT;
  dpa_status first = DPA_OK;
  for (size_t r = 0; r < rows; ++r) {
    const dpa_inputs in{weights ? weights + r * num_weights : nullptr, num_weights,
                        context ? context + r * num_context : nullptr, num_context};
    const dpa_status s = dpa_model_predict_inputs(model, &in, &predictions[r], scratch, scratch_bytes);
    if (s == DPA_OK) continue;
    if (first == DPA_OK) first = s;
    if (failed != nullptr) ++*failed;
  }
  return first;
}

dpa_status dpa_model_predict(const dpa_model* model, const float* weights, size_t num_weights, float* prediction,
                             void* scratch, size_t scratch_bytes) {
  if (weights == nullptr) return DPA_ERR_NULL_ARGUMENT;
  const dpa_inputs inputs{weights, num_weights, nullptr, 0};
  return dpa_model_predict_inputs(model, &inputs, prediction, scratch, scratch_bytes);
}

dpa_status dpa_model_features_inputs(const dpa_model* model, const dpa_inputs* inputs, float* features,
                                     size_t features_len, void* scratch, size_t scratch_bytes) {
  if (!loaded(model) || inputs == nullptr || features == nullptr || scratch == nullptr) {
    return DPA_ERR_NULL_ARGUMENT;
  }
  if (features_len < model->num_features) return DPA_ERR_OUTPUT_TOO_SMALL;
  const ScratchPlan p = plan(*model);
  if (scratch_bytes < p.total()) return DPA_ERR_SCRATCH_TOO_SMALL;
  auto* base = reinterpret_cast<unsigned char*>(align_float(scratch));
  const float* computed = nullptr;
  const dpa_status s = features_of(*model, *inputs, features, base, p.block_bytes, &computed);
  if (computed == inputs->weights && computed != nullptr && computed != features) {
    std::memcpy(features, inputs->weights, inputs->num_weights * sizeof(float));
  }
  return s;
}

dpa_status dpa_model_features(const dpa_model* model, const float* weights, size_t num_weights, float* features,
                              size_t features_len, void* scratch, size_t scratch_bytes) {
  if (weights == nullptr) return DPA_ERR_NULL_ARGUMENT;
  const dpa_inputs inputs{weights, num_weights, nullptr, 0};
  return dpa_model_features_inputs(model, &inputs, features, features_len, scratch, scratch_bytes);
}

dpa_status dpa_model_context_features(const dpa_model* model, const float* context, size_t num_context, float* features,
                                      size_t features_len) {
  if (!loaded(model) || features == nullptr || (context == nullptr && num_context > 0)) {
    return DPA_ERR_NULL_ARGUMENT;
  }
  if (num_context != model->num_context) return DPA_ERR_CONTEXT_MISSING;
  if (features_len < num_context) return DPA_ERR_OUTPUT_TOO_SMALL;
  return dpa::detail::context_features(*model, context, features);
}

dpa_status dpa_model_predict_features(const dpa_model* model, const float* features, size_t num_features,
                                      float* prediction, void* scratch, size_t scratch_bytes) {
  if (!loaded(model) || features == nullptr || prediction == nullptr) return DPA_ERR_NULL_ARGUMENT;
  *prediction = kNaN;
  if (num_features != model->num_features) return DPA_ERR_SIZE_MISMATCH;
  float* work = nullptr;
  if (model->work_floats > 0) {
    if (scratch == nullptr) return DPA_ERR_NULL_ARGUMENT;
    if (scratch_bytes < alignof(float) + std::size_t{model->work_floats} * sizeof(float)) {
      return DPA_ERR_SCRATCH_TOO_SMALL;
    }
    work = align_float(scratch);
  }
  for (size_t i = 0; i < num_features; ++i) {
    if (!std::isfinite(features[i])) return DPA_ERR_NON_FINITE;
  }
  return finish(*model, features, work, prediction);
}

}  // extern "C"
