// Portable scalar kernels: the reference the SIMD kernels are tested against. Plain loops.
#include <cmath>

#include "kernels.hpp"

namespace dpa::detail {
namespace {

void scalar_moments(const float* x, std::size_t n, Moments* out) {
  Moments m{x[0], x[0], x[0], 0.0, 0.0, false};
  for (std::size_t i = 0; i < n; ++i) {
    const float v = x[i];
    m.non_finite |= !finite_bits(v);
    m.min = v < m.min ? v : m.min;
    m.max = v > m.max ? v : m.max;
    const double d = v - m.shift;
    m.sum += d;
    m.sum_squares += d * d;
  }
  *out = m;
}

void scalar_bracket(const float* x, std::size_t n, BracketPass* pass) {
  std::uint32_t collected = 0;
  for (int j = 0; j < pass->count; ++j) pass->below_lo[j] = pass->below_hi[j] = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float v = x[i];
    bool inside_any = false;
    for (int j = 0; j < pass->count; ++j) {
      const bool lt_lo = v < pass->lo[j], lt_hi = v < pass->hi[j];
      pass->below_lo[j] += lt_lo;
      pass->below_hi[j] += lt_hi;
      inside_any |= lt_hi && !lt_lo;
    }
    if (inside_any) {
      if (collected < pass->capacity) pass->collected[collected] = v;
      ++collected;
    }
  }
  pass->collected_count = collected;
}

std::uint32_t scalar_gather(const float* in, std::uint32_t count, float lo, float hi, float* out) {
  std::uint32_t m = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (in[i] >= lo && in[i] < hi) out[m++] = in[i];
  }
  return m;
}

// Each value goes where the count of values before it in sorted order says.
void scalar_rank_sort(const float* in, std::uint32_t m, float* out) {
  for (std::uint32_t i = 0; i < m; ++i) {
    const float v = in[i];
    std::uint32_t rank = 0;
    for (std::uint32_t j = 0; j < i; ++j) rank += in[j] <= v;
    for (std::uint32_t j = i; j < m; ++j) rank += in[j] < v;
    out[rank] = v;
  }
}

#if !defined(DPA_NO_EXTENDED_STATS)
void scalar_central(const float* x, std::size_t n, double mean, float near_zero_bound, CentralMoments* out) {
  CentralMoments c{0.0, 0.0, 0.0, 0.0, 0};
  for (std::size_t i = 0; i < n; ++i) {
    const double v = x[i];
    const double d = v - mean;
    const double d2 = d * d;
    c.sum_abs += std::fabs(v);
    c.sum_squared += d2;
    c.sum_cubed += d2 * d;
    c.sum_fourth += d2 * d2;
    c.above += std::fabs(x[i]) > near_zero_bound;
  }
  *out = c;
}
#endif

constexpr KernelTable kScalar{DPA_KERNEL_SCALAR, scalar_moments,   scalar_bracket,
                              scalar_gather,     scalar_rank_sort, DPA_CENTRAL_KERNEL(scalar_central)};

}  // namespace

const KernelTable* scalar_kernels() { return &kScalar; }

}  // namespace dpa::detail
