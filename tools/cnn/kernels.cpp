#include "cnn/kernels.hpp"

#define DPA_CNN_ISA generic
#include "cnn/kernels_impl.hpp"
#undef DPA_CNN_ISA

namespace dpa::tools::cnn {

#if defined(DPA_CNN_HAVE_AVX2)
namespace avx2 {
void conv_forward_float(const float* in, int in_side, int in_ch, const float* bias, const float* kernel, float* out);
void conv_backward_float(const float* in, int in_side, int in_ch, const float* kernel_t, const float* dout,
                         float* dbias, float* dkernel, float* din);
void tanh_in_place_float(float* values, std::size_t n);
}  // namespace avx2
#endif

const char* kernel_isa_name(KernelIsa isa) { return isa == KernelIsa::kAvx2 ? "avx2" : "generic"; }

bool kernel_isa_available(KernelIsa isa) {
  if (isa == KernelIsa::kGeneric) return true;
#if defined(DPA_CNN_HAVE_AVX2)
  static const bool avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return avx2_fma;
#else
  return false;
#endif
}

KernelIsa best_kernel_isa() { return kernel_isa_available(KernelIsa::kAvx2) ? KernelIsa::kAvx2 : KernelIsa::kGeneric; }

void conv_forward(KernelIsa isa, const float* in, int in_side, int in_ch, const float* bias, const float* kernel,
                  float* out) {
#if defined(DPA_CNN_HAVE_AVX2)
  if (isa == KernelIsa::kAvx2) return avx2::conv_forward_float(in, in_side, in_ch, bias, kernel, out);
#endif
  (void)isa;
  generic::conv_forward_blocked(in, in_side, in_ch, bias, kernel, out);
}

void conv_backward(KernelIsa isa, const float* in, int in_side, int in_ch, const float* kernel_t, const float* dout,
                   float* dbias, float* dkernel, float* din) {
#if defined(DPA_CNN_HAVE_AVX2)
  if (isa == KernelIsa::kAvx2)
    return avx2::conv_backward_float(in, in_side, in_ch, kernel_t, dout, dbias, dkernel, din);
#endif
  (void)isa;
  generic::conv_backward_blocked(in, in_side, in_ch, kernel_t, dout, dbias, dkernel, din);
}

void tanh_in_place(KernelIsa isa, float* values, std::size_t n) {
#if defined(DPA_CNN_HAVE_AVX2)
  if (isa == KernelIsa::kAvx2) return avx2::tanh_in_place_float(values, n);
#endif
  (void)isa;
  generic::tanh_in_place(values, n);
}

}  // namespace dpa::tools::cnn
