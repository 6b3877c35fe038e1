// dnn-predict-accuracy runtime: C++ API over the C API (same code, no extra cost).
// Header-only, no heap, no exceptions: results are dpa_status values.
#pragma once

#include <array>
#include <cstddef>

#include "dpa/dpa.h"

namespace dpa {

using Status = dpa_status;
using Layout = dpa_layout;
using Segment = dpa_segment;
using StatsSet = dpa_stats_set;

inline const char* to_string(Status status) { return dpa_status_string(status); }
inline const Layout& zoo_layout() { return *dpa_zoo_layout(); }

// Scratch for any statistics set, sized at compile time so it can live on the stack or in a
// static buffer on a microcontroller.
inline constexpr std::size_t kMaxStatsScratchBytes = DPA_STATS_SCRATCH_MAX_BYTES;

inline std::size_t feature_count(const Layout& layout, StatsSet set) {
  return static_cast<std::size_t>(layout.num_segments) * dpa_stats_per_segment(set);
}

// Computes per-segment statistics with its own scratch. One instance per thread.
class FeatureExtractor {
 public:
  explicit FeatureExtractor(const Layout& layout = zoo_layout(), StatsSet set = DPA_STATS_PAPER,
                            dpa_kernel kernel = DPA_KERNEL_AUTO)
      : layout_(&layout), set_(set), kernel_(kernel) {}

  std::size_t feature_count() const { return dpa::feature_count(*layout_, set_); }
  const Layout& layout() const { return *layout_; }
  StatsSet stats_set() const { return set_; }

  Status compute(const float* weights, std::size_t num_weights, float* out,
                 std::size_t out_len) {
    return dpa_stats_compute_with_kernel(layout_, set_, weights, num_weights, out, out_len,
                                         scratch_.data(), scratch_.size(), kernel_);
  }

 private:
  const Layout* layout_;
  StatsSet set_;
  dpa_kernel kernel_;
  std::array<unsigned char, kMaxStatsScratchBytes> scratch_{};
};

}  // namespace dpa
