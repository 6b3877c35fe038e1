#include "cnn/conv_kernels.hpp"

#define DPA_CNN_ISA generic
#include "cnn/conv_blocked.hpp"
#undef DPA_CNN_ISA

namespace dpa::tools::cnn {

#if defined(DPA_CNN_HAVE_AVX2)
namespace avx2 {
void conv_forward_float(const float* in, int in_side, int in_ch, const float* bias, const float* kernel, float* out);
void conv_backward_float(const float* in, int in_side, int in_ch, const float* kernel_t, const float* dout,
                         float* dbias, float* dkernel, float* din);
}  // namespace avx2
#endif

const char* conv_isa_name(ConvIsa isa) { return isa == ConvIsa::kAvx2 ? "avx2" : "generic"; }

bool conv_isa_available(ConvIsa isa) {
  if (isa == ConvIsa::kGeneric) return true;
#if defined(DPA_CNN_HAVE_AVX2)
  static const bool avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return avx2_fma;
#else
  return false;
#endif
}

ConvIsa best_conv_isa() { return conv_isa_available(ConvIsa::kAvx2) ? ConvIsa::kAvx2 : ConvIsa::kGeneric; }

void conv_forward(ConvIsa isa, const float* in, int in_side, int in_ch, const float* bias, const float* kernel,
                  float* out) {
#if defined(DPA_CNN_HAVE_AVX2)
  if (isa == ConvIsa::kAvx2) return avx2::conv_forward_float(in, in_side, in_ch, bias, kernel, out);
#endif
  (void)isa;
  generic::conv_forward_blocked(in, in_side, in_ch, bias, kernel, out);
}

void conv_backward(ConvIsa isa, const float* in, int in_side, int in_ch, const float* kernel_t, const float* dout,
                   float* dbias, float* dkernel, float* din) {
#if defined(DPA_CNN_HAVE_AVX2)
  if (isa == ConvIsa::kAvx2) return avx2::conv_backward_float(in, in_side, in_ch, kernel_t, dout, dbias, dkernel, din);
#endif
  (void)isa;
  generic::conv_backward_blocked(in, in_side, in_ch, kernel_t, dout, dbias, dkernel, din);
}

}  // namespace dpa::tools::cnn
