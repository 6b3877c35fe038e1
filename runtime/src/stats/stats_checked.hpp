// Statistics of a layout that was checked once (a verified model's): the per-call layout check of
// dpa_stats_compute is quadratic in the segments, so the prediction path skips it.
#pragma once

#include <cstddef>

#include "dpa/dpa.h"

namespace dpa::detail {

// layout: passed dpa_layout_check; weights: layout.total_length floats; out: segments x per
// segment floats; scratch: any alignment, dpa_stats_scratch_size(set) bytes.
dpa_status stats_of_checked_layout(const dpa_layout& layout, dpa_stats_set set, const float* weights, float* out,
                                   void* scratch, std::size_t scratch_bytes, dpa_kernel kernel);

}  // namespace dpa::detail
