// Dense layers on standardised inputs. Activations ping-pong between two halves of the caller's
// work buffer; the first layer standardises the features as it reads them, so nothing is copied.
#include <cmath>

#include "predictors.hpp"

namespace dpa::detail {

dpa_status verify_mlp(const Region& r, dpa_model* m) {
  if (!r.fits(0, 1, sizeof(dpa_mlp_section))) return DPA_ERR_MODEL_MLP;
  const auto* h = r.at<dpa_mlp_section>(0);
  if (h->num_layers == 0 || h->num_layers > DPA_MODEL_MAX_MLP_LAYERS || h->num_inputs != m->num_features) {
    return DPA_ERR_MODEL_MLP;
  }
  std::uint64_t offset = sizeof(dpa_mlp_section);
  if (!r.fits(offset, 2ull * h->num_inputs, sizeof(float))) return DPA_ERR_MODEL_MLP;
  if (!all_finite(r.at<float>(offset), 2ull * h->num_inputs)) return DPA_ERR_MODEL_NON_FINITE;
  offset += 2ull * h->num_inputs * sizeof(float);
  std::uint32_t inputs = h->num_inputs, widest = 0;
  for (std::uint32_t layer = 0; layer < h->num_layers; ++layer) {
    if (!r.fits(offset, 1, sizeof(dpa_mlp_layer))) return DPA_ERR_MODEL_MLP;
    const auto* l = r.at<dpa_mlp_layer>(offset);
    const bool last = layer + 1 == h->num_layers;
    if (l->inputs != inputs || l->outputs == 0 || l->outputs > DPA_MODEL_MAX_MLP_WIDTH || (last && l->outputs != 1) ||
        l->activation > DPA_ACTIVATION_TANH) {
      return DPA_ERR_MODEL_MLP;
    }
    offset += sizeof(dpa_mlp_layer);
    const std::uint64_t params = static_cast<std::uint64_t>(l->outputs) * (l->inputs + 1ull);
    if (!r.fits(offset, params, sizeof(float))) return DPA_ERR_MODEL_MLP;
    if (!all_finite(r.at<float>(offset), params)) return DPA_ERR_MODEL_NON_FINITE;
    offset += params * sizeof(float);
    inputs = l->outputs;
    widest = l->outputs > widest ? l->outputs : widest;
  }
  if (offset != r.size) return DPA_ERR_MODEL_MLP;  // exact: no bytes the layers do not use
  m->work_floats = 2 * widest;
  return DPA_OK;
}

float mlp_score(const dpa_mlp_section* h, const float* x, float* work, std::uint32_t max_width) {
  const std::uint32_t n = h->num_inputs;
  const float* mean = reinterpret_cast<const float*>(h + 1);
  const float* inv_scale = mean + n;
  const auto* layer = reinterpret_cast<const dpa_mlp_layer*>(inv_scale + n);
  const float* in = nullptr;
  for (std::uint32_t k = 0; k < h->num_layers; ++k) {
    const float* w = reinterpret_cast<const float*>(layer + 1);
    const float* b = w + static_cast<std::size_t>(layer->outputs) * layer->inputs;
    float* out = work + (k % 2) * max_width;
    for (std::uint32_t o = 0; o < layer->outputs; ++o) {
      const float* row = w + static_cast<std::size_t>(o) * layer->inputs;
      double acc = b[o];
      if (k == 0) {
        for (std::uint32_t i = 0; i < n; ++i) {
          acc += static_cast<double>(row[i]) * ((static_cast<double>(x[i]) - mean[i]) * inv_scale[i]);
        }
      } else {
        for (std::uint32_t i = 0; i < layer->inputs; ++i) acc += static_cast<double>(row[i]) * in[i];
      }
      float v = static_cast<float>(acc);
      if (layer->activation == DPA_ACTIVATION_RELU) v = v > 0.0f ? v : 0.0f;
      else if (layer->activation == DPA_ACTIVATION_TANH) v = std::tanh(v);
      out[o] = v;
    }
    in = out;
    layer = reinterpret_cast<const dpa_mlp_layer*>(b + layer->outputs);
  }
  return in[0];
}

}  // namespace dpa::detail
