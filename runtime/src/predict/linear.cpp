#include "predictors.hpp"

namespace dpa::detail {

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
