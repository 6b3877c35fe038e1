// The blocked convolutions compiled with AVX2 + FMA (this file only); used when the CPU has them.
#if defined(DPA_CNN_HAVE_AVX2)
#define DPA_CNN_ISA avx2
#include "cnn/kernels_impl.hpp"

namespace dpa::tools::cnn::avx2 {

void conv_forward_float(const float* in, int in_side, int in_ch, const float* bias, const float* kernel, float* out) {
  conv_forward_blocked(in, in_side, in_ch, bias, kernel, out);
}

void conv_backward_float(const float* in, int in_side, int in_ch, const float* kernel_t, const float* dout,
                         float* dbias, float* dkernel, float* din) {
  conv_backward_blocked(in, in_side, in_ch, kernel_t, dout, dbias, dkernel, din);
}

void tanh_in_place_float(float* values, std::size_t n) { tanh_in_place(values, n); }

}  // namespace dpa::tools::cnn::avx2
#endif
