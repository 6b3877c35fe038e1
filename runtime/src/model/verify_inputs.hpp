// Verification of what a model reads: format 1's FEATURES section, format 2's INPUTS section.
// Both fill the same fields of dpa_model, so prediction never asks which version it runs.
#pragma once

#include "dpa/dpa.h"
#include "model/region.hpp"

namespace dpa::detail {

dpa_status verify_features_v1(const Region& section, dpa_model* m);
dpa_status verify_inputs_v2(const Region& section, dpa_model* m);

}  // namespace dpa::detail
