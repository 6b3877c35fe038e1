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

  Status compute(const float* weights, std::size_t num_weights, float* out, std::size_t out_len) {
    return dpa_stats_compute_with_kernel(layout_, set_, weights, num_weights, out, out_len, scratch_.data(),
                                         scratch_.size(), kernel_);
  }

 private:
  const Layout* layout_;
  StatsSet set_;
  dpa_kernel kernel_;
  std::array<unsigned char, kMaxStatsScratchBytes> scratch_{};
};

// A verified model over bytes the caller keeps alive (memory-mapped file, flash array, buffer).
// Scratch is the caller's too, so one Model can serve many threads, each with its own scratch.
class Model {
 public:
  // Verifies the bytes; check status() before use.
  Model(const void* bytes, std::size_t size) : status_(dpa_model_load(bytes, size, &model_)) {}

  Status status() const { return status_; }
  bool ok() const { return status_ == DPA_OK; }
  const dpa_model& raw() const { return model_; }
  std::size_t scratch_size() const { return dpa_model_scratch_size(&model_); }
  std::size_t num_features() const { return model_.num_features; }

  Status predict(const float* weights, std::size_t num_weights, float* prediction, void* scratch,
                 std::size_t scratch_bytes) const {
    return dpa_model_predict(&model_, weights, num_weights, prediction, scratch, scratch_bytes);
  }
  Status features(const float* weights, std::size_t num_weights, float* out, std::size_t out_len, void* scratch,
                  std::size_t scratch_bytes) const {
    return dpa_model_features(&model_, weights, num_weights, out, out_len, scratch, scratch_bytes);
  }
  Status predict_features(const float* features, std::size_t n, float* prediction, void* scratch,
                          std::size_t scratch_bytes) const {
    return dpa_model_predict_features(&model_, features, n, prediction, scratch, scratch_bytes);
  }

 private:
  dpa_model model_{};
  Status status_;
};

}  // namespace dpa
