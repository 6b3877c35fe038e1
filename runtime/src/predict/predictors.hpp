// Predictor evaluation on verified sections: no checks here, the verifier did them all.
#pragma once

#include <cstdint>

#include "dpa/dpa.h"
#include "dpa/model_format.h"

namespace dpa::detail {

float gbdt_score(const dpa_gbdt_section* section, const float* features);
float linear_score(const dpa_linear_section* section, const float* features);
// work: 2 * max_width floats (max_width: the widest layer, from the verifier).
float mlp_score(const dpa_mlp_section* section, const float* features, float* work,
                std::uint32_t max_width);

}  // namespace dpa::detail
