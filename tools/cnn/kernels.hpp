// The float kernels the trainer spends its time in: register-blocked convolutions and a vectorised
// tanh (kernels_impl.hpp), compiled for the baseline instruction set and, on x86-64, for AVX2 +
// FMA, chosen once for the CPU at run time. The convolutions are tested against the plain loops
// of conv_reference.hpp, tanh against std::tanh.
#pragma once

#include <cstddef>

namespace dpa::tools::cnn {

enum class KernelIsa { kGeneric, kAvx2 };

const char* kernel_isa_name(KernelIsa isa);  // "generic", "avx2"
bool kernel_isa_available(KernelIsa isa);    // compiled in and supported by this CPU
KernelIsa best_kernel_isa();                 // the CPU is asked once

// out = conv(in) + bias, stride 2, valid; in is in_side x in_side x in_ch, 16 output channels.
void conv_forward(KernelIsa isa, const float* in, int in_side, int in_ch, const float* bias, const float* kernel,
                  float* out);
// Adds d(bias) and d(kernel); when din is non-null (in_ch must then be 16) overwrites it with d(in).
// kernel_t is the kernel as [tap][co][ci].
void conv_backward(KernelIsa isa, const float* in, int in_side, int in_ch, const float* kernel_t, const float* dout,
                   float* dbias, float* dkernel, float* din);

// values[i] = tanh(values[i]) to within a few float ulps (kernels_impl.hpp).
void tanh_in_place(KernelIsa isa, float* values, std::size_t n);

}  // namespace dpa::tools::cnn
