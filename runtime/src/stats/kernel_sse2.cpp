// SSE2 kernels (4 floats per vector): the baseline every x86-64 CPU has.
#include "kernels.hpp"

#if defined(DPA_HAVE_SSE2)
#include <emmintrin.h>

#include "kernel_generic.hpp"

namespace dpa::detail {
namespace {

struct Sse2 {
  static constexpr std::size_t kLanes = 4;
  using F = __m128;
  using M = __m128;
  using I = __m128i;
  using D = __m128d;

  static F load(const float* p) { return _mm_loadu_ps(p); }
  static F splat(float v) { return _mm_set1_ps(v); }
  static F min(F a, F b) { return _mm_min_ps(a, b); }
  static F max(F a, F b) { return _mm_max_ps(a, b); }
  static F abs(F a) { return _mm_andnot_ps(_mm_set1_ps(-0.0f), a); }
  static M less(F a, F b) { return _mm_cmplt_ps(a, b); }
  static M no_lanes() { return _mm_setzero_ps(); }
  static M mask_xor(M a, M b) { return _mm_xor_ps(a, b); }
  static M mask_or(M a, M b) { return _mm_or_ps(a, b); }
  static std::uint32_t mask_bits(M m) { return static_cast<std::uint32_t>(_mm_movemask_ps(m)); }
  static I zero_i() { return _mm_setzero_si128(); }
  static void store_i(std::uint32_t* p, I v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }
  static I count(I acc, M m) { return _mm_sub_epi32(acc, _mm_castps_si128(m)); }
  static I add_i(I a, I b) { return _mm_add_epi32(a, b); }
  static std::uint32_t hsum_i(I v) {
    v = _mm_add_epi32(v, _mm_shuffle_epi32(v, 0x4e));
    v = _mm_add_epi32(v, _mm_shuffle_epi32(v, 0xb1));
    return static_cast<std::uint32_t>(_mm_cvtsi128_si32(v));
  }
  static float hmin(F s) {
    s = _mm_min_ps(s, _mm_movehl_ps(s, s));
    s = _mm_min_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  }
  static float hmax(F s) {
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  }
  // SSE2 has no variable shuffle. In a bracket pass few vectors hold bracket values (the early
  // exit predicts well); when gathering a bracket most lanes do, so the lanes are then written
  // without branches, each over the slot the next kept one would take.
  static std::uint32_t compress_store(float* dst, F v, std::uint32_t bits) {
    if (bits == 0) return 0;
    alignas(16) float lanes[4];
    _mm_store_ps(lanes, v);
    std::uint32_t stored = 0;
    for (std::uint32_t lane = 0; lane < 4; ++lane) {
      dst[stored] = lanes[lane];
      stored += (bits >> lane) & 1u;
    }
    return stored;
  }
  static D zero_d() { return _mm_setzero_pd(); }
  static D splat_d(double v) { return _mm_set1_pd(v); }
  static void widen(F v, D& lo, D& hi) {
    lo = _mm_cvtps_pd(v);
    hi = _mm_cvtps_pd(_mm_movehl_ps(v, v));
  }
  static D add(D a, D b) { return _mm_add_pd(a, b); }
  static D sub(D a, D b) { return _mm_sub_pd(a, b); }
  static D mul(D a, D b) { return _mm_mul_pd(a, b); }
  static double hsum_d(D v) { return _mm_cvtsd_f64(_mm_add_sd(v, _mm_unpackhi_pd(v, v))); }
};

constexpr KernelTable kSse2{DPA_KERNEL_SSE2,          generic::moments<Sse2>,
                            generic::bracket<Sse2>,   generic::gather<Sse2>,
                            generic::rank_sort<Sse2>, DPA_CENTRAL_KERNEL(generic::central<Sse2>)};

}  // namespace

const KernelTable* sse2_kernels() { return &kSse2; }

}  // namespace dpa::detail

#else

namespace dpa::detail {
const KernelTable* sse2_kernels() { return nullptr; }
}  // namespace dpa::detail

#endif
