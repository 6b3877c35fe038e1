// Per-segment statistics sets: which values, in which order, and the C entry points.
#include <cmath>
#include <cstdint>
#include <limits>

#include "dpa/dpa.h"
#include "kernels.hpp"
#include "percentiles.hpp"
#include "stats_checked.hpp"

namespace dpa::detail {
namespace {

constexpr PercentileSpec kQ0{0.0, 0.0, 1.0};
constexpr PercentileSpec kQ5{5.0, -1.6448536269514722, 0.10313564037537128};
constexpr PercentileSpec kQ25{25.0, -0.6744897501960817, 0.31777657625630679};
constexpr PercentileSpec kQ50{50.0, 0.0, 0.3989422804014327};
constexpr PercentileSpec kQ75{75.0, 0.6744897501960817, 0.31777657625630679};
constexpr PercentileSpec kQ95{95.0, 1.6448536269514722, 0.10313564037537128};
constexpr PercentileSpec kQ100{100.0, 0.0, 1.0};

constexpr PercentileSpec kPaperPercentiles[] = {kQ0, kQ25, kQ50, kQ75, kQ100};
constexpr PercentileSpec kExtendedPercentiles[] = {kQ0, kQ5, kQ25, kQ50, kQ75, kQ95, kQ100};

constexpr const char* kPaperNames[] = {"q0", "q25", "q50", "q75", "q100", "std", "mean"};
constexpr const char* kExtendedNames[] = {"q0",
                                          "q5",
                                          "q25",
                                          "q50",
                                          "q75",
                                          "q95",
                                          "q100",
                                          "std",
                                          "mean",
                                          "mean_abs",
                                          "l2_norm",
                                          "skewness",
                                          "excess_kurtosis",
                                          "near_zero_share"};

// Share of weights counted as near zero: |w| <= this fraction of the segment's largest |w|.
constexpr float kNearZeroFraction = 0.01f;

struct StatsSet {
  dpa_stats_set id;
  const char* name;  // what files and options call it
  const PercentileSpec* percentiles;
  int num_percentiles;
  const char* const* names;
  std::uint32_t per_segment;
  bool extended;
};

// DPA_EXTENDED_STATS=OFF (CMake) builds the paper set alone: about 0.8 KB less flash on a
// Cortex-M4F; the extended set is then an unknown set, and models using it fail to load.
#if defined(DPA_NO_EXTENDED_STATS)
constexpr bool kWithExtended = false;
#else
constexpr bool kWithExtended = true;
#endif

constexpr StatsSet kSets[] = {
    {DPA_STATS_PAPER, "paper", kPaperPercentiles, 5, kPaperNames, 7, false},
#if !defined(DPA_NO_EXTENDED_STATS)
    {DPA_STATS_EXTENDED, "extended", kExtendedPercentiles, 7, kExtendedNames, 14, true},
#endif
};

const StatsSet* find_set(dpa_stats_set id) {
  for (const StatsSet& s : kSets) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

constexpr std::size_t scratch_bytes_for(const StatsSet& s) {
  // q0 and q100 come from the moments pass; the others are selected.
  return percentile_scratch_floats(s.num_percentiles - 2) * sizeof(float);
}

constexpr bool scratch_fits() {
  for (const StatsSet& s : kSets) {
    if (scratch_bytes_for(s) + alignof(float) > DPA_STATS_SCRATCH_MAX_BYTES) return false;
  }
  return true;
}
static_assert(scratch_fits(), "raise DPA_STATS_SCRATCH_MAX_BYTES");

// Returns false when the segment holds NaN or Inf (its features are then NaN).
bool segment_stats(const KernelTable& k, const StatsSet& set, const float* x, std::uint32_t n, float* out,
                   float* scratch) {
  Moments m;
  k.moments(x, n, &m);
  if (m.non_finite) {
    for (std::uint32_t i = 0; i < set.per_segment; ++i) { out[i] = std::numeric_limits<float>::quiet_NaN(); }
    return false;
  }
  const int q = set.num_percentiles;
  percentiles(k, x, n, m, set.percentiles, q, out, scratch);
  const double mean = m.mean(n);
  const double variance = m.variance(n);
  out[q] = static_cast<float>(std::sqrt(variance));
  out[q + 1] = static_cast<float>(mean);
  if (!kWithExtended || !set.extended) return true;

  const float largest = std::fmax(std::fabs(m.min), std::fabs(m.max));
  CentralMoments c;
  k.central(x, n, mean, kNearZeroFraction * largest, &c);
  const double m2 = c.sum_squared / n;
  out[q + 2] = static_cast<float>(c.sum_abs / n);
  out[q + 3] = static_cast<float>(std::sqrt(c.sum_squared + n * mean * mean));
  out[q + 4] = m2 > 0.0 ? static_cast<float>((c.sum_cubed / n) / (m2 * std::sqrt(m2))) : 0.0f;
  out[q + 5] = m2 > 0.0 ? static_cast<float>((c.sum_fourth / n) / (m2 * m2) - 3.0) : 0.0f;
  out[q + 6] = static_cast<float>(static_cast<double>(n - c.above) / n);
  return true;
}

}  // namespace

dpa_status stats_of_checked_layout(const dpa_layout& layout, dpa_stats_set set, const float* weights, float* out,
                                   void* scratch, std::size_t scratch_bytes, dpa_kernel kernel) {
  const StatsSet* s = find_set(set);
  if (s == nullptr) return DPA_ERR_UNKNOWN_STATS_SET;
  // Accept any scratch alignment: round up to float alignment inside the buffer.
  const auto address = reinterpret_cast<std::uintptr_t>(scratch);
  const std::size_t skip = (alignof(float) - address % alignof(float)) % alignof(float);
  if (scratch_bytes < skip + scratch_bytes_for(*s)) return DPA_ERR_SCRATCH_TOO_SMALL;
  float* aligned = reinterpret_cast<float*>(static_cast<unsigned char*>(scratch) + skip);
  const KernelTable* k = kernels_for(kernel);
  if (k == nullptr) return DPA_ERR_KERNEL_UNAVAILABLE;

  bool all_finite = true;
  for (uint32_t i = 0; i < layout.num_segments; ++i) {
    const dpa_segment& seg = layout.segments[i];
    all_finite &=
        segment_stats(*k, *s, weights + seg.offset, seg.length, out + static_cast<size_t>(i) * s->per_segment, aligned);
  }
  return all_finite ? DPA_OK : DPA_ERR_NON_FINITE;
}

}  // namespace dpa::detail

extern "C" {

uint32_t dpa_stats_set_count(void) { return sizeof dpa::detail::kSets / sizeof dpa::detail::kSets[0]; }

uint32_t dpa_stats_set_at(uint32_t index) { return index < dpa_stats_set_count() ? dpa::detail::kSets[index].id : 0; }

const char* dpa_stats_set_name(dpa_stats_set set) {
  const auto* s = dpa::detail::find_set(set);
  return s ? s->name : nullptr;
}

uint32_t dpa_stats_per_segment(dpa_stats_set set) {
  const auto* s = dpa::detail::find_set(set);
  return s ? s->per_segment : 0;
}

const char* dpa_stats_name(dpa_stats_set set, uint32_t index) {
  const auto* s = dpa::detail::find_set(set);
  return s && index < s->per_segment ? s->names[index] : nullptr;
}

size_t dpa_stats_scratch_size(dpa_stats_set set) {
  const auto* s = dpa::detail::find_set(set);
  return s ? dpa::detail::scratch_bytes_for(*s) + alignof(float) : 0;
}

dpa_status dpa_stats_compute_with_kernel(const dpa_layout* layout, dpa_stats_set set, const float* weights,
                                         size_t num_weights, float* out, size_t out_len, void* scratch,
                                         size_t scratch_bytes, dpa_kernel kernel) {
  using namespace dpa::detail;
  if (layout == nullptr || weights == nullptr || out == nullptr || scratch == nullptr) { return DPA_ERR_NULL_ARGUMENT; }
  const StatsSet* s = find_set(set);
  if (s == nullptr) return DPA_ERR_UNKNOWN_STATS_SET;
  const dpa_status layout_status = dpa_layout_check(layout);
  if (layout_status != DPA_OK) return layout_status;
  if (num_weights != layout->total_length) return DPA_ERR_SIZE_MISMATCH;
  if (out_len < static_cast<size_t>(layout->num_segments) * s->per_segment) { return DPA_ERR_OUTPUT_TOO_SMALL; }
  return stats_of_checked_layout(*layout, set, weights, out, scratch, scratch_bytes, kernel);
}

dpa_status dpa_stats_compute(const dpa_layout* layout, dpa_stats_set set, const float* weights, size_t num_weights,
                             float* out, size_t out_len, void* scratch, size_t scratch_bytes) {
  return dpa_stats_compute_with_kernel(layout, set, weights, num_weights, out, out_len, scratch, scratch_bytes,
                                       DPA_KERNEL_AUTO);
}

}  // extern "C"
