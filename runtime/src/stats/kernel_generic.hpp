// One algorithm for every SIMD instruction set (SSE2, AVX2, AVX-512F, NEON). Each kernel_<isa>.cpp
// defines a small traits struct T (vector types, load, compare, widen-to-double, compress-store)
// and instantiates these templates, so the passes are written once and only the instruction set
// varies.
#pragma once

#include <cmath>

#include "kernels.hpp"

namespace dpa::detail::generic {

// One vector's part of the moments: its values widened to double and shifted, added to the two
// sums (s_lo, s_hi) and two sums of squares (q_lo, q_hi) of its lower and upper halves.
template <class T>
void add_shifted(typename T::F v, typename T::D shift, typename T::D& s_lo, typename T::D& s_hi, typename T::D& q_lo,
                 typename T::D& q_hi) {
  typename T::D lo, hi;
  T::widen(v, lo, hi);
  lo = T::sub(lo, shift);
  hi = T::sub(hi, shift);
  s_lo = T::add(s_lo, lo);
  s_hi = T::add(s_hi, hi);
  q_lo = T::add(q_lo, T::mul(lo, lo));
  q_hi = T::add(q_hi, T::mul(hi, hi));
}

template <class T>
void moments(const float* x, std::size_t n, Moments* out) {
  constexpr std::size_t W = T::kLanes;
  std::size_t i = 0;
  Moments m{x[0], x[0], x[0], 0.0, 0.0, false};
  if (n >= W) {
    typename T::F lo = T::load(x), hi = lo;
    const typename T::D shift = T::splat_d(m.shift);
    // Four double accumulators per sum hide the add latency.
    typename T::D s0 = T::zero_d(), s1 = s0, s2 = s0, s3 = s0, q0 = s0, q1 = s0, q2 = s0, q3 = s0;
    for (; i + 2 * W <= n; i += 2 * W) {
      const typename T::F a = T::load(x + i), b = T::load(x + i + W);
      lo = T::min(lo, T::min(a, b));
      hi = T::max(hi, T::max(a, b));
      add_shifted<T>(a, shift, s0, s1, q0, q1);
      add_shifted<T>(b, shift, s2, s3, q2, q3);
    }
    if (i + W <= n) {  // one vector more: the scalar tail's dependent adds cost more than it
      const typename T::F a = T::load(x + i);
      lo = T::min(lo, a);
      hi = T::max(hi, a);
      add_shifted<T>(a, shift, s0, s1, q0, q1);
      i += W;
    }
    m.min = T::hmin(lo);
    m.max = T::hmax(hi);
    m.sum = T::hsum_d(T::add(T::add(s0, s1), T::add(s2, s3)));
    m.sum_squares = T::hsum_d(T::add(T::add(q0, q1), T::add(q2, q3)));
    // No per-value check: a NaN or Inf among the values (or as the shift) makes both sums NaN
    // or Inf, and finite floats cannot: |x - shift| < 2^129, so each square < 2^258 and a sum of
    // 2^32 of them < 2^290, far inside double's range.
    m.non_finite = !std::isfinite(m.sum) || !std::isfinite(m.sum_squares);
  }
  for (; i < n; ++i) {
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

template <class T, int K>
void bracket_fixed(const float* x, std::size_t n, BracketPass* pass) {
  constexpr std::size_t W = T::kLanes;
  typename T::F lo[K], hi[K];
  typename T::I below_lo[K], below_hi[K];
  for (int j = 0; j < K; ++j) {
    lo[j] = T::splat(pass->lo[j]);
    hi[j] = T::splat(pass->hi[j]);
    below_lo[j] = below_hi[j] = T::zero_i();
  }
  float* const out = pass->collected;
  const std::uint32_t capacity = pass->capacity;
  std::uint32_t collected = 0;
  std::size_t i = 0;
  for (; i + W <= n; i += W) {
    const typename T::F v = T::load(x + i);
    typename T::M inside = T::no_lanes();
    // Unrolled so the counters stay in registers (GCC 12 left K = 3 rolled, its counters on the
    // stack: twice the time of K = 2).
#pragma GCC unroll 8
    for (int j = 0; j < K; ++j) {
      const typename T::M lt_lo = T::less(v, lo[j]);
      const typename T::M lt_hi = T::less(v, hi[j]);
      below_lo[j] = T::count(below_lo[j], lt_lo);
      below_hi[j] = T::count(below_hi[j], lt_hi);
      inside = T::mask_or(inside, T::mask_xor(lt_lo, lt_hi));  // lt_lo implies lt_hi
    }
    // Always store, never branch: whether a vector holds bracket values is unpredictable.
    // Past capacity the stores land in the slack and only the count goes on.
    const std::uint32_t bits = T::mask_bits(inside);
    const std::uint32_t at = collected < capacity ? collected : capacity;
    collected += T::compress_store(out + at, v, bits);
  }
  for (int j = 0; j < K; ++j) {
    pass->below_lo[j] = T::hsum_i(below_lo[j]);
    pass->below_hi[j] = T::hsum_i(below_hi[j]);
  }
  for (; i < n; ++i) {
    const float v = x[i];
    bool inside_any = false;
    for (int j = 0; j < K; ++j) {
      const bool lt_lo = v < pass->lo[j], lt_hi = v < pass->hi[j];
      pass->below_lo[j] += lt_lo;
      pass->below_hi[j] += lt_hi;
      inside_any |= lt_hi && !lt_lo;
    }
    if (inside_any) {
      if (collected < capacity) out[collected] = v;
      ++collected;
    }
  }
  pass->collected_count = collected;
}

template <class T>
void bracket(const float* x, std::size_t n, BracketPass* pass) {
  switch (pass->count) {
    case 1: bracket_fixed<T, 1>(x, n, pass); break;
    case 2: bracket_fixed<T, 2>(x, n, pass); break;
    case 3: bracket_fixed<T, 3>(x, n, pass); break;
    case 4: bracket_fixed<T, 4>(x, n, pass); break;
    case 5: bracket_fixed<T, 5>(x, n, pass); break;
    default: break;
  }
}

template <class T>
std::uint32_t gather(const float* in, std::uint32_t count, float lo, float hi, float* out) {
  constexpr std::uint32_t W = T::kLanes;
  const typename T::F lo_v = T::splat(lo), hi_v = T::splat(hi);
  std::uint32_t m = 0, i = 0;
  for (; i + W <= count; i += W) {
    const typename T::F v = T::load(in + i);
    m += T::compress_store(out + m, v, T::mask_bits(T::mask_xor(T::less(v, lo_v), T::less(v, hi_v))));
  }
  for (; i < count; ++i) {
    const float v = in[i];
    out[m] = v;
    m += (v >= lo) & (v < hi);
  }
  return m;
}

// Ranks W values at a time against every value: for each j, one broadcast and a compare count
// how many values lie below each of the W, and a value goes to the place that count says. The
// counts are 0..m-1 in some order exactly when no two values are equal, which their sum tells:
// a group of g equal values has g equal counts, g(g-1)/2 short of distinct ones. Only with
// such ties is the sort redone, counting also how many lie above each value so that equal values
// keep their index order. Returns false then, having written nothing.
template <class T>
bool rank_sort_distinct(const float* in, std::uint32_t m, float* out) {
  constexpr std::uint32_t W = T::kLanes;
  constexpr std::uint32_t kMaxVectors = 64 / W;
  std::uint32_t below[kMaxVectors * W];
  const std::uint32_t vectors = (m + W - 1) / W;
  std::uint64_t sum = 0;
  for (std::uint32_t v = 0; v < vectors; ++v) {
    const typename T::F x = T::load(in + v * W);
    // Two counters halve the chain of dependent adds.
    typename T::I even = T::zero_i(), odd = T::zero_i();
    std::uint32_t j = 0;
    for (; j + 2 <= m; j += 2) {
      even = T::count(even, T::less(T::splat(in[j]), x));
      odd = T::count(odd, T::less(T::splat(in[j + 1]), x));
    }
    if (j < m) even = T::count(even, T::less(T::splat(in[j]), x));
    const typename T::I lt = T::add_i(even, odd);
    T::store_i(below + v * W, lt);
  }
  for (std::uint32_t i = 0; i < m; ++i) sum += below[i];
  if (sum != std::uint64_t{m} * (m - 1) / 2) return false;
  for (std::uint32_t i = 0; i < m; ++i) out[below[i]] = in[i];
  return true;
}

template <class T>
void rank_sort(const float* in, std::uint32_t m, float* out) {
  constexpr std::uint32_t W = T::kLanes;
  if (m <= 64 && rank_sort_distinct<T>(in, m, out)) return;
  std::uint32_t below[W], above[W];
  for (std::uint32_t i0 = 0; i0 < m; i0 += W) {
    const typename T::F v = T::load(in + i0);
    typename T::I lt = T::zero_i(), gt = T::zero_i();
    for (std::uint32_t j = 0; j < m; ++j) {
      const typename T::F u = T::splat(in[j]);
      lt = T::count(lt, T::less(u, v));
      gt = T::count(gt, T::less(v, u));
    }
    T::store_i(below, lt);
    T::store_i(above, gt);
    for (std::uint32_t l = 0; l < W && i0 + l < m; ++l) {
      const std::uint32_t i = i0 + l;
      std::uint32_t rank = below[l];
      if (m - below[l] - above[l] > 1) {  // equal values: keep them in index order
        for (std::uint32_t j = 0; j < i; ++j) rank += in[j] == in[i];
      }
      out[rank] = in[i];
    }
  }
}

template <class T>
void central(const float* x, std::size_t n, double mean, float near_zero_bound, CentralMoments* out) {
  constexpr std::size_t W = T::kLanes;
  std::size_t i = 0;
  CentralMoments c{0.0, 0.0, 0.0, 0.0, 0};
  if (n >= W) {
    const typename T::D mu = T::splat_d(mean);
    const typename T::F bound = T::splat(near_zero_bound);
    typename T::D sa = T::zero_d(), s2 = sa, s3 = sa, s4 = sa;
    typename T::I above = T::zero_i();
    for (; i + W <= n; i += W) {
      const typename T::F v = T::load(x + i);
      const typename T::F a = T::abs(v);
      above = T::count(above, T::less(bound, a));
      typename T::D v0, v1, a0, a1;
      T::widen(v, v0, v1);
      T::widen(a, a0, a1);
      sa = T::add(sa, T::add(a0, a1));
      const typename T::D d0 = T::sub(v0, mu), d1 = T::sub(v1, mu);
      const typename T::D e0 = T::mul(d0, d0), e1 = T::mul(d1, d1);
      s2 = T::add(s2, T::add(e0, e1));
      s3 = T::add(s3, T::add(T::mul(e0, d0), T::mul(e1, d1)));
      s4 = T::add(s4, T::add(T::mul(e0, e0), T::mul(e1, e1)));
    }
    c.sum_abs = T::hsum_d(sa);
    c.sum_squared = T::hsum_d(s2);
    c.sum_cubed = T::hsum_d(s3);
    c.sum_fourth = T::hsum_d(s4);
    c.above = T::hsum_i(above);
  }
  for (; i < n; ++i) {
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

}  // namespace dpa::detail::generic
