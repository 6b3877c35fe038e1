// AVX-512F kernels (16 floats per vector, comparisons into mask registers). Compiled with
// -mavx512f only in this file; selected at run time. Compress goes to a register and then to
// memory: a compress straight to memory is microcoded and slow on AMD Zen 4.
#include "kernels.hpp"

#if defined(DPA_HAVE_AVX512)
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*() placeholders, which its
// -Wmaybe-uninitialized reports once inlined here (a known false positive of the header).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include "kernel_generic.hpp"

namespace dpa::detail {
namespace {

struct Avx512 {
  static constexpr std::size_t kLanes = 16;
  using F = __m512;
  using M = __mmask16;
  using I = __m512i;
  using D = __m512d;

  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static F splat(float v) { return _mm512_set1_ps(v); }
  static F min(F a, F b) { return _mm512_min_ps(a, b); }
  static F max(F a, F b) { return _mm512_max_ps(a, b); }
  static F abs(F a) {
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fffffff)));
  }
  static M less(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static M no_lanes() { return 0; }
  static M mask_xor(M a, M b) { return static_cast<M>(a ^ b); }
  static M mask_or(M a, M b) { return static_cast<M>(a | b); }
  static std::uint32_t mask_bits(M m) { return m; }
  static I zero_i() { return _mm512_setzero_si512(); }
  static void store_i(std::uint32_t* p, I v) { _mm512_storeu_si512(p, v); }
  // Adds one in every lane the mask selects.
  static I count(I acc, M m) { return _mm512_mask_sub_epi32(acc, m, acc, _mm512_set1_epi32(-1)); }
  static I add_i(I a, I b) { return _mm512_add_epi32(a, b); }
  static std::uint32_t hsum_i(I v) { return static_cast<std::uint32_t>(_mm512_reduce_add_epi32(v)); }
  static float hmin(F v) { return _mm512_reduce_min_ps(v); }
  static float hmax(F v) { return _mm512_reduce_max_ps(v); }
  static std::uint32_t compress_store(float* dst, F v, std::uint32_t bits) {
    _mm512_storeu_ps(dst, _mm512_maskz_compress_ps(static_cast<M>(bits), v));
    return static_cast<std::uint32_t>(__builtin_popcount(bits));
  }
  static D zero_d() { return _mm512_setzero_pd(); }
  static D splat_d(double v) { return _mm512_set1_pd(v); }
  static void widen(F v, D& lo, D& hi) {
    lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
    hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
  }
  static D add(D a, D b) { return _mm512_add_pd(a, b); }
  static D sub(D a, D b) { return _mm512_sub_pd(a, b); }
  static D mul(D a, D b) { return _mm512_mul_pd(a, b); }
  static double hsum_d(D v) { return _mm512_reduce_add_pd(v); }
};

constexpr KernelTable kAvx512{DPA_KERNEL_AVX512,          generic::moments<Avx512>,
                              generic::bracket<Avx512>,   generic::gather<Avx512>,
                              generic::rank_sort<Avx512>, DPA_CENTRAL_KERNEL(generic::central<Avx512>)};

}  // namespace

const KernelTable* avx512_kernels() { return &kAvx512; }

}  // namespace dpa::detail

#else

namespace dpa::detail {
const KernelTable* avx512_kernels() { return nullptr; }
}  // namespace dpa::detail

#endif
