// The float convolutions the trainer runs: register-blocked kernels (conv_blocked.hpp) for the
// baseline instruction set and, on x86-64, for AVX2 + FMA, chosen once for the CPU at run time.
// Every kernel is tested against the plain loops of conv_reference.hpp.
#pragma once

namespace dpa::tools::cnn {

enum class ConvIsa { kGeneric, kAvx2 };

const char* conv_isa_name(ConvIsa isa);     // "generic", "avx2"
bool conv_isa_available(ConvIsa isa);       // compiled in and supported by this CPU
ConvIsa best_conv_isa();

// out = conv(in) + bias, stride 2, valid; in is in_side x in_side x in_ch, 16 output channels.
void conv_forward(ConvIsa isa, const float* in, int in_side, int in_ch, const float* bias, const float* kernel,
                  float* out);
// Adds d(bias) and d(kernel); when din is non-null (in_ch must then be 16) overwrites it with d(in).
// kernel_t is the kernel as [tap][co][ci].
void conv_backward(ConvIsa isa, const float* in, int in_side, int in_ch, const float* kernel_t, const float* dout,
                   float* dbias, float* dkernel, float* din);

}  // namespace dpa::tools::cnn
