// AVX2 kernels (8 floats per vector). Compiled with -mavx2 only in this file; selected at run time.
#include "kernels.hpp"

#if defined(DPA_HAVE_AVX2)
#include <immintrin.h>

#include "kernel_generic.hpp"

namespace dpa::detail {
namespace {

// For each 8-bit lane mask: the indices of its set lanes, packed as nibbles, lowest lane first.
struct CompressTable {
  std::uint32_t entries[256];
  constexpr CompressTable() : entries() {
    for (std::uint32_t mask = 0; mask < 256; ++mask) {
      std::uint32_t packed = 0, slot = 0;
      for (std::uint32_t lane = 0; lane < 8; ++lane) {
        if (mask & (1u << lane)) packed |= lane << (4 * slot++);
      }
      entries[mask] = packed;
    }
  }
};
constexpr CompressTable kCompress{};

struct Avx2 {
  static constexpr std::size_t kLanes = 8;
  using F = __m256;
  using M = __m256;
  using I = __m256i;
  using D = __m256d;

  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static F splat(float v) { return _mm256_set1_ps(v); }
  static F min(F a, F b) { return _mm256_min_ps(a, b); }
  static F max(F a, F b) { return _mm256_max_ps(a, b); }
  static F abs(F a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static M less(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static M no_lanes() { return _mm256_setzero_ps(); }
  static M mask_xor(M a, M b) { return _mm256_xor_ps(a, b); }
  static M mask_or(M a, M b) { return _mm256_or_ps(a, b); }
  static std::uint32_t mask_bits(M m) { return static_cast<std::uint32_t>(_mm256_movemask_ps(m)); }
  static I zero_i() { return _mm256_setzero_si256(); }
  static void store_i(std::uint32_t* p, I v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
  // A true lane is all ones (-1): subtracting it adds one.
  static I count(I acc, M m) { return _mm256_sub_epi32(acc, _mm256_castps_si256(m)); }
  static I add_i(I a, I b) { return _mm256_add_epi32(a, b); }
  static std::uint32_t hsum_i(I v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return static_cast<std::uint32_t>(_mm_cvtsi128_si32(s));
  }
  static float hmin(F v) {
    __m128 s = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_min_ps(s, _mm_movehl_ps(s, s));
    s = _mm_min_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  }
  static float hmax(F v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  }
  static std::uint32_t compress_store(float* dst, F v, std::uint32_t bits) {
    const __m256i shifts = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
    // vpermps reads only the low 3 bits of each index, so the nibbles need no masking.
    const __m256i index = _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(kCompress.entries[bits])), shifts);
    _mm256_storeu_ps(dst, _mm256_permutevar8x32_ps(v, index));
    return static_cast<std::uint32_t>(__builtin_popcount(bits));
  }
  static D zero_d() { return _mm256_setzero_pd(); }
  static D splat_d(double v) { return _mm256_set1_pd(v); }
  static void widen(F v, D& lo, D& hi) {
    lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
    hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
  }
  static D add(D a, D b) { return _mm256_add_pd(a, b); }
  static D sub(D a, D b) { return _mm256_sub_pd(a, b); }
  static D mul(D a, D b) { return _mm256_mul_pd(a, b); }
  static double hsum_d(D v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
    return _mm_cvtsd_f64(s);
  }
};

constexpr KernelTable kAvx2{DPA_KERNEL_AVX2,          generic::moments<Avx2>,
                            generic::bracket<Avx2>,   generic::gather<Avx2>,
                            generic::rank_sort<Avx2>, DPA_CENTRAL_KERNEL(generic::central<Avx2>)};

}  // namespace

const KernelTable* avx2_kernels() { return &kAvx2; }

}  // namespace dpa::detail

#else

namespace dpa::detail {
const KernelTable* avx2_kernels() { return nullptr; }
}  // namespace dpa::detail

#endif
