// Internal interface between the statistics driver and the instruction-set kernels.
// Each kernel does streaming passes over one segment; the driver (select.cpp, stats.cpp) decides
// what to ask for. The scalar kernel is the reference every SIMD kernel is tested against.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dpa/dpa.h"

namespace dpa::detail {

// Up to this many quantiles strictly between q0 and q100 are selected in one pass.
inline constexpr int kMaxInnerQuantiles = 5;
// Widest SIMD vector in floats: compaction stores whole vectors, so buffers need this much slack.
#if defined(DPA_HAVE_AVX512)
inline constexpr std::uint32_t kMaxLanes = 16;
#else
inline constexpr std::uint32_t kMaxLanes = 8;
#endif

// Sums are taken of x - shift (shift = x[0]): a segment whose mean is far from zero compared
// with its spread then keeps its variance to double precision.
struct Moments {
  float min;
  float max;
  double shift;
  double sum;          // sum of (x - shift)
  double sum_squares;  // sum of (x - shift)^2
  bool non_finite;     // any NaN or Inf seen; min/max/sums are then meaningless

  double mean(std::uint32_t n) const { return shift + sum / n; }
  // E[d^2] - E[d]^2 over the shifted values d = x - shift: the cancellation stays as small as
  // the spread is against |mean - x[0]|, far below float precision for real weight tensors.
  // Exactly 0 for constant segments.
  double variance(std::uint32_t n) const {
    const double shifted_mean = sum / n;
    const double v = sum_squares / n - shifted_mean * shifted_mean;
    return min == max || !(v > 0.0) ? 0.0 : v;
  }
};

// NaN and Inf have an all-ones exponent; the check works on bits, whatever the FPU mode.
inline bool finite_bits(float v) {
  std::uint32_t bits;
  __builtin_memcpy(&bits, &v, sizeof bits);
  return (bits & 0x7f800000u) != 0x7f800000u;
}

struct CentralMoments {
  double sum_abs;
  double sum_squared;   // sum of (x - mean)^2
  double sum_cubed;     // sum of (x - mean)^3
  double sum_fourth;    // sum of (x - mean)^4
  std::uint32_t above;  // count of |x| > near_zero_bound
};

// One counting-and-collecting pass for `count` brackets [lo[j], hi[j]).
// Outputs below_lo[j] = #{x < lo[j]} and below_hi[j] = #{x < hi[j]}, and copies every value that
// lies inside any bracket into `collected`, in index order (values of overlapping brackets once).
// `collected_count` counts all such values; only the first `capacity` are stored, and the buffer
// needs capacity + kMaxLanes floats because SIMD kernels store whole vectors.
struct BracketPass {
  int count;
  float lo[kMaxInnerQuantiles];
  float hi[kMaxInnerQuantiles];
  std::uint32_t below_lo[kMaxInnerQuantiles];
  std::uint32_t below_hi[kMaxInnerQuantiles];
  float* collected;
  std::uint32_t capacity;
  std::uint32_t collected_count;
};

struct KernelTable {
  dpa_kernel id;
  void (*moments)(const float* x, std::size_t n, Moments* out);
  void (*bracket)(const float* x, std::size_t n, BracketPass* pass);
  // The values of in[0, count) with lo <= v < hi, in order, into out; returns how many. out
  // needs that many + kMaxLanes floats (SIMD kernels store whole vectors).
  std::uint32_t (*gather)(const float* in, std::uint32_t count, float lo, float hi, float* out);
  // out[0, m) = in[0, m) in ascending order, ties by index. in must be readable up to
  // m rounded up to kMaxLanes (SIMD kernels load whole vectors; lanes past m are ignored).
  void (*rank_sort)(const float* in, std::uint32_t m, float* out);
  void (*central)(const float* x, std::size_t n, double mean, float near_zero_bound, CentralMoments* out);
};

// Built without the extended statistics set, the kernel tables leave `central` empty so that its
// code is not linked.
#if defined(DPA_NO_EXTENDED_STATS)
#define DPA_CENTRAL_KERNEL(function) nullptr
#else
#define DPA_CENTRAL_KERNEL(function) function
#endif

const KernelTable* scalar_kernels();
const KernelTable* sse2_kernels();    // nullptr where not compiled in
const KernelTable* avx2_kernels();    // nullptr where not compiled in
const KernelTable* avx512_kernels();  // nullptr where not compiled in
const KernelTable* neon_kernels();    // nullptr where not compiled in

// The table for a kernel id, or nullptr when unavailable on this build or CPU.
const KernelTable* kernels_for(dpa_kernel kernel);

}  // namespace dpa::detail
