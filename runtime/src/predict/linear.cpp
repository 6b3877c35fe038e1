// Standardised features times weights, plus an intercept.
#include <cmath>

#include "predictors.hpp"

namespace dpa::detail {

dpa_status verify_linear(const Region& r, dpa_model* m) {
  if (!r.fits(0, 1, sizeof(dpa_linear_section))) return DPA_ERR_MODEL_LINEAR;
  const auto* l = r.at<dpa_linear_section>(0);
  if (l->num_features != m->num_features ||
      r.size != sizeof(dpa_linear_section) + 3ull * l->num_features * sizeof(float)) {  // exact
    return DPA_ERR_MODEL_LINEAR;
  }
  if (!std::isfinite(l->intercept) || !all_finite(r.at<float>(sizeof(dpa_linear_section)), 3ull * l->num_features)) {
    return DPA_ERR_MODEL_NON_FINITE;
  }
  return DPA_OK;
}

float linear_score(const dpa_linear_section* l, const float* x) {
  const std::uint32_t n = l->num_features;
  const float* mean = reinterpret_cast<const float*>(l + 1);
  const float* inv_scale = mean + n;
  const float* weight = inv_scale + n;
  double sum = l->intercept;
  for (std::uint32_t i = 0; i < n; ++i) {
    sum += static_cast<double>(weight[i]) * ((static_cast<double>(x[i]) - mean[i]) * inv_scale[i]);
  }
  return static_cast<float>(sum);
}

}  // namespace dpa::detail
