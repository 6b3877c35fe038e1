// The zoo CNN's convolutions as plain loops, for any scalar type: the reference the blocked float
// kernels (kernels_impl.hpp) are tested against, and the double path of the gradient checks.
#pragma once

#include "cnn/zoo_cnn.hpp"

namespace dpa::tools::cnn::reference {

// out[oy][ox][co] = b[co] + sum in[2oy+ky][2ox+kx][ci] K[ky][kx][ci][co] (stride 2, valid).
template <class T>
void conv_forward(const T* in, int in_side, int in_ch, const T* bias, const T* kernel, T* out) {
  const int out_side = (in_side - 3) / 2 + 1;
  for (int oy = 0; oy < out_side; ++oy) {
    for (int ox = 0; ox < out_side; ++ox) {
      T acc[kChannels];
      for (int co = 0; co < kChannels; ++co) acc[co] = bias[co];
      for (int ky = 0; ky < 3; ++ky) {
        for (int kx = 0; kx < 3; ++kx) {
          const T* pixel = in + ((2 * oy + ky) * in_side + (2 * ox + kx)) * in_ch;
          const T* k = kernel + (ky * 3 + kx) * in_ch * kChannels;
          for (int ci = 0; ci < in_ch; ++ci) {
            const T a = pixel[ci];
            for (int co = 0; co < kChannels; ++co) acc[co] += a * k[ci * kChannels + co];
          }
        }
      }
      for (int co = 0; co < kChannels; ++co) out[(oy * out_side + ox) * kChannels + co] = acc[co];
    }
  }
}

// Given d(out), accumulate d(bias), d(kernel) and, when din is non-null, d(in). kernel_t is the
// kernel transposed per tap to [tap][co][ci], so that d(in) is a sum of contiguous rows scaled by
// d(out) — vectorisable — rather than a dot product over co, which compilers keep scalar.
template <class T>
void conv_backward(const T* in, int in_side, int in_ch, const T* kernel_t, const T* dout, T* dbias, T* dkernel,
                   T* din) {
  const int out_side = (in_side - 3) / 2 + 1;
  if (din) {
    for (int i = 0; i < in_side * in_side * in_ch; ++i) din[i] = T(0);
  }
  for (int oy = 0; oy < out_side; ++oy) {
    for (int ox = 0; ox < out_side; ++ox) {
      const T* d = dout + (oy * out_side + ox) * kChannels;
      for (int co = 0; co < kChannels; ++co) dbias[co] += d[co];
      for (int ky = 0; ky < 3; ++ky) {
        for (int kx = 0; kx < 3; ++kx) {
          const int tap = ky * 3 + kx;
          const int at = ((2 * oy + ky) * in_side + (2 * ox + kx)) * in_ch;
          const T* pixel = in + at;
          T* dk = dkernel + tap * in_ch * kChannels;
          for (int ci = 0; ci < in_ch; ++ci) {
            const T a = pixel[ci];
            for (int co = 0; co < kChannels; ++co) dk[ci * kChannels + co] += a * d[co];
          }
          if (din) {
            const T* kt = kernel_t + tap * kChannels * in_ch;
            T* di = din + at;
            for (int co = 0; co < kChannels; ++co) {
              const T dco = d[co];
              for (int ci = 0; ci < in_ch; ++ci) di[ci] += kt[co * in_ch + ci] * dco;
            }
          }
        }
      }
    }
  }
}

}  // namespace dpa::tools::cnn::reference
