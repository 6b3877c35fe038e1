// NEON kernels for AArch64 (4 floats per vector, float64x2 for the double sums).
#include "kernels.hpp"

#if defined(DPA_HAVE_NEON)
#include <arm_neon.h>

#include "kernel_generic.hpp"

namespace dpa::detail {
namespace {

struct Neon {
  static constexpr std::size_t kLanes = 4;
  using F = float32x4_t;
  using M = uint32x4_t;
  using I = uint32x4_t;
  using D = float64x2_t;

  static F load(const float* p) { return vld1q_f32(p); }
  static F splat(float v) { return vdupq_n_f32(v); }
  static F min(F a, F b) { return vminq_f32(a, b); }
  static F max(F a, F b) { return vmaxq_f32(a, b); }
  static F abs(F a) { return vabsq_f32(a); }
  static M less(F a, F b) { return vcltq_f32(a, b); }
  static M no_lanes() { return vdupq_n_u32(0); }
  static M mask_xor(M a, M b) { return veorq_u32(a, b); }
  static M mask_or(M a, M b) { return vorrq_u32(a, b); }
  static std::uint32_t mask_bits(M m) {
    const uint32x4_t weights = {1, 2, 4, 8};
    return vaddvq_u32(vandq_u32(m, weights));
  }
  static I zero_i() { return vdupq_n_u32(0); }
  static void store_i(std::uint32_t* p, I v) { vst1q_u32(p, v); }
  static I count(I acc, M m) { return vsubq_u32(acc, m); }
  static I add_i(I a, I b) { return vaddq_u32(a, b); }
  static std::uint32_t hsum_i(I v) { return vaddvq_u32(v); }
  static float hmin(F v) { return vminvq_f32(v); }
  static float hmax(F v) { return vmaxvq_f32(v); }
  static std::uint32_t compress_store(float* dst, F v, std::uint32_t bits) {
    float lanes[4];
    vst1q_f32(lanes, v);
    std::uint32_t stored = 0;
    for (std::uint32_t lane = 0; lane < 4; ++lane) {
      if (bits & (1u << lane)) dst[stored++] = lanes[lane];
    }
    return stored;
  }
  static D zero_d() { return vdupq_n_f64(0.0); }
  static D splat_d(double v) { return vdupq_n_f64(v); }
  static void widen(F v, D& lo, D& hi) {
    lo = vcvt_f64_f32(vget_low_f32(v));
    hi = vcvt_high_f64_f32(v);
  }
  static D add(D a, D b) { return vaddq_f64(a, b); }
  static D sub(D a, D b) { return vsubq_f64(a, b); }
  static D mul(D a, D b) { return vmulq_f64(a, b); }
  static double hsum_d(D v) { return vaddvq_f64(v); }
};

constexpr KernelTable kNeon{DPA_KERNEL_NEON,          generic::moments<Neon>,
                            generic::bracket<Neon>,   generic::gather<Neon>,
                            generic::rank_sort<Neon>, DPA_CENTRAL_KERNEL(generic::central<Neon>)};

}  // namespace

const KernelTable* neon_kernels() { return &kNeon; }

}  // namespace dpa::detail

#else

namespace dpa::detail {
const KernelTable* neon_kernels() { return nullptr; }
}  // namespace dpa::detail

#endif
