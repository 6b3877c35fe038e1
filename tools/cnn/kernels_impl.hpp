// The zoo CNN's float convolutions, register-blocked like a small GEMM: each inner step loads a
// few kernel (or gradient) vectors once and reuses them across up to 6 output pixels (or 6 kernel
// rows), so the loop is bound by multiply-adds rather than by loads and stores. Written once on
// GCC vector types and compiled twice: for the baseline instruction set (kernels.cpp, where a
// vector is two SSE registers) and with AVX2 + FMA (kernels_avx2.cpp). The plain loops in
// conv_reference.hpp are the reference every blocked kernel is tested against.
// Layouts: activations [y][x][channel]; kernel [tap][ci][co]; kernel_t [tap][co][ci]; 16 output
// channels (two 8-float vectors).
#pragma once

#include "cnn/zoo_cnn.hpp"

#include <cstdint>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace dpa::tools::cnn::DPA_CNN_ISA {

typedef float Vec8 __attribute__((vector_size(32)));
typedef std::int32_t Int8 __attribute__((vector_size(32)));
typedef std::uint32_t Bits8 __attribute__((vector_size(32)));

// Without AVX a 32-byte vector argument has no settled ABI; these helpers are always inlined and
// never cross a call, so GCC's warning about it (issued at the end of the including file) does not
// apply. Only the two kernel files include this header.
#pragma GCC diagnostic ignored "-Wpsabi"

#define DPA_CNN_INLINE static inline __attribute__((always_inline))

DPA_CNN_INLINE Vec8 load8(const float* p) {
  Vec8 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
DPA_CNN_INLINE void store8(float* p, Vec8 v) { __builtin_memcpy(p, &v, sizeof v); }
// acc + v * s
DPA_CNN_INLINE Vec8 multiply_add(Vec8 v, float s, Vec8 acc) {
#if defined(__AVX2__) && defined(__FMA__)
  return _mm256_fmadd_ps(v, _mm256_set1_ps(s), acc);
#else
  return acc + v * s;
#endif
}

constexpr int kMaxTile = 6;  // 12 accumulators + operands fit the 16 vector registers

// Splits a row of `width` pixels into the fewest tiles of at most kMaxTile, as even as possible
// (13 -> 5, 4, 4), and calls tile(first, size).
template <class Tile>
DPA_CNN_INLINE void for_each_tile(int width, Tile tile) {
  const int tiles = (width + kMaxTile - 1) / kMaxTile;
  int first = 0;
  for (int t = 0; t < tiles; ++t) {
    const int size = width / tiles + (t < width % tiles ? 1 : 0);
    tile(first, size);
    first += size;
  }
}

// Calls body<N>() for a run-time N in 1..kMaxTile.
template <template <int> class Body, class... Args>
DPA_CNN_INLINE void with_tile_size(int n, Args... args) {
  switch (n) {
    case 1: Body<1>::run(args...); break;
    case 2: Body<2>::run(args...); break;
    case 3: Body<3>::run(args...); break;
    case 4: Body<4>::run(args...); break;
    case 5: Body<5>::run(args...); break;
    default: Body<6>::run(args...); break;
  }
}

// P consecutive output pixels of one row: out = bias + sum over taps and ci of in * kernel.
template <int P>
struct ForwardTile {
  static void run(const float* in, int in_side, int in_ch, const float* bias, const float* kernel, int oy, int ox0,
                  float* out) {
    Vec8 acc[P][2];
    const Vec8 bias0 = load8(bias), bias1 = load8(bias + 8);
#pragma GCC unroll 8
    for (int j = 0; j < P; ++j) {
      acc[j][0] = bias0;
      acc[j][1] = bias1;
    }
    const int pixel_step = 2 * in_ch;
    for (int ky = 0; ky < 3; ++ky) {
      for (int kx = 0; kx < 3; ++kx) {
        const float* src = in + ((2 * oy + ky) * in_side + 2 * ox0 + kx) * in_ch;
        const float* k = kernel + (ky * 3 + kx) * in_ch * kChannels;
        for (int ci = 0; ci < in_ch; ++ci) {
          const Vec8 k0 = load8(k + ci * kChannels), k1 = load8(k + ci * kChannels + 8);
#pragma GCC unroll 8
          for (int j = 0; j < P; ++j) {
            const float a = src[j * pixel_step + ci];
            acc[j][0] = multiply_add(k0, a, acc[j][0]);
            acc[j][1] = multiply_add(k1, a, acc[j][1]);
          }
        }
      }
    }
#pragma GCC unroll 8
    for (int j = 0; j < P; ++j) {
      store8(out + j * kChannels, acc[j][0]);
      store8(out + j * kChannels + 8, acc[j][1]);
    }
  }
};

inline void conv_forward_blocked(const float* in, int in_side, int in_ch, const float* bias, const float* kernel,
                                 float* out) {
  const int out_side = (in_side - 3) / 2 + 1;
  for (int oy = 0; oy < out_side; ++oy) {
    for_each_tile(out_side, [&](int ox0, int size) {
      with_tile_size<ForwardTile>(size, in, in_side, in_ch, bias, kernel, oy, ox0,
                                  out + (oy * out_side + ox0) * kChannels);
    });
  }
}

// d(kernel) rows r0..r0+R-1 (a row is one (tap, ci) pair, at input offset row_offset[r] from an
// output pixel's top-left input) accumulated over every output pixel.
template <int R>
struct KernelGradientTile {
  static void run(const float* in, int in_side, int in_ch, int out_side, const int* row_offset, const float* dout,
                  float* dkernel_rows) {
    Vec8 acc[R][2];
    int offset[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      acc[r][0] = load8(dkernel_rows + r * kChannels);
      acc[r][1] = load8(dkernel_rows + r * kChannels + 8);
      offset[r] = row_offset[r];
    }
    for (int oy = 0; oy < out_side; ++oy) {
      for (int ox = 0; ox < out_side; ++ox) {
        const float* base = in + (2 * oy * in_side + 2 * ox) * in_ch;
        const float* d = dout + (oy * out_side + ox) * kChannels;
        const Vec8 d0 = load8(d), d1 = load8(d + 8);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
          const float a = base[offset[r]];
          acc[r][0] = multiply_add(d0, a, acc[r][0]);
          acc[r][1] = multiply_add(d1, a, acc[r][1]);
        }
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      store8(dkernel_rows + r * kChannels, acc[r][0]);
      store8(dkernel_rows + r * kChannels + 8, acc[r][1]);
    }
  }
};

// d(in) of P consecutive output pixels of one row (16 input channels), tap by tap: a 16x16
// product with the transposed kernel, then added where that tap reads.
template <int P>
struct InputGradientTile {
  static void run(const float* kernel_t, const float* dout, int in_side, int oy, int ox0, float* din) {
    const int out_side = (in_side - 3) / 2 + 1;
    const float* d = dout + (oy * out_side + ox0) * kChannels;
    for (int ky = 0; ky < 3; ++ky) {
      for (int kx = 0; kx < 3; ++kx) {
        const float* kt = kernel_t + (ky * 3 + kx) * kChannels * kChannels;
        Vec8 acc[P][2];
#pragma GCC unroll 8
        for (int j = 0; j < P; ++j) acc[j][0] = acc[j][1] = Vec8{};
        for (int co = 0; co < kChannels; ++co) {
          const Vec8 k0 = load8(kt + co * kChannels), k1 = load8(kt + co * kChannels + 8);
#pragma GCC unroll 8
          for (int j = 0; j < P; ++j) {
            const float g = d[j * kChannels + co];
            acc[j][0] = multiply_add(k0, g, acc[j][0]);
            acc[j][1] = multiply_add(k1, g, acc[j][1]);
          }
        }
        float* target = din + ((2 * oy + ky) * in_side + 2 * ox0 + kx) * kChannels;
#pragma GCC unroll 8
        for (int j = 0; j < P; ++j) {
          float* t = target + j * 2 * kChannels;
          store8(t, load8(t) + acc[j][0]);
          store8(t + 8, load8(t + 8) + acc[j][1]);
        }
      }
    }
  }
};

inline void conv_backward_blocked(const float* in, int in_side, int in_ch, const float* kernel_t, const float* dout,
                                  float* dbias, float* dkernel, float* din) {
  const int out_side = (in_side - 3) / 2 + 1;
  const int pixels = out_side * out_side;
  Vec8 bias0 = load8(dbias), bias1 = load8(dbias + 8);
  for (int p = 0; p < pixels; ++p) {
    bias0 += load8(dout + p * kChannels);
    bias1 += load8(dout + p * kChannels + 8);
  }
  store8(dbias, bias0);
  store8(dbias + 8, bias1);

  int row_offset[9 * kChannels];
  const int rows = 9 * in_ch;
  for (int row = 0; row < rows; ++row) {
    const int tap = row / in_ch, ci = row % in_ch;
    row_offset[row] = ((tap / 3) * in_side + tap % 3) * in_ch + ci;
  }
  for_each_tile(rows, [&](int r0, int size) {
    with_tile_size<KernelGradientTile>(size, in, in_side, in_ch, out_side, row_offset + r0, dout,
                                       dkernel + r0 * kChannels);
  });

  if (din == nullptr) return;
  for (int i = 0; i < in_side * in_side * in_ch; ++i) din[i] = 0.0f;
  for (int oy = 0; oy < out_side; ++oy) {
    for_each_tile(out_side, [&](int ox0, int size) {
      with_tile_size<InputGradientTile>(size, kernel_t, dout, in_side, oy, ox0, din);
    });
  }
}

template <class To, class From>
DPA_CNN_INLINE To bit_cast(From from) {
  static_assert(sizeof(To) == sizeof(From));
  To to;
  __builtin_memcpy(&to, &from, sizeof to);
  return to;
}

// tanh of 8 floats without libm, to within a few float ulps (2.4e-7 relative at worst over every
// float): libm's tanhf took half of a tanh run's training time. tanh|x| = m / (m + 2) with
// m = expm1(2|x|): a Taylor series for 2|x| < 1 (no cancellation near zero), else exp by range
// reduction, 2^n e^r with |r| <= ln2/2, where Taylor to r^7 is exact to 1.4e-9. Written on vectors
// (scalar code with these selections is split into branches by GCC and stays scalar).
DPA_CNN_INLINE Vec8 tanh8(Vec8 x) {
  const Bits8 x_bits = bit_cast<Bits8>(x);
  const Vec8 twice = bit_cast<Vec8>(x_bits & 0x7fffffffu) * 2.0f;
  // Beyond |x| = 10 tanh rounds to 1 in float; the cap also bounds the exponent. Non-negative
  // floats order like their bits, and NaN's bits lie above them all: NaN takes 20 here.
  const Bits8 y_bits = bit_cast<Bits8>(twice) < 0x41a00000u ? bit_cast<Bits8>(twice) : Bits8{} + 0x41a00000u;
  const Vec8 y = bit_cast<Vec8>(y_bits);
  const Vec8 series =  // expm1(y) = sum y^k / k!, k = 1..10
      y * (1.0f + y * (1.0f / 2 + y * (1.0f / 6 + y * (1.0f / 24 + y * (1.0f / 120 + y * (1.0f / 720 +
      y * (1.0f / 5040 + y * (1.0f / 40320 + y * (1.0f / 362880 + y * (1.0f / 3628800))))))))));
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2High = 0.693145751953125f;  // 15 significant bits: n * kLn2High is exact
  constexpr float kLn2Low = 1.42860682030941723e-6f;
  const Int8 n = __builtin_convertvector(y * kLog2e + 0.5f, Int8);  // y >= 0: truncation rounds
  const Vec8 nf = __builtin_convertvector(n, Vec8);
  const Vec8 r = (y - nf * kLn2High) - nf * kLn2Low;
  const Vec8 exp_r = 1.0f + r * (1.0f + r * (1.0f / 2 + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 +
                     r * (1.0f / 720 + r * (1.0f / 5040)))))));
  const Vec8 expm1_large = exp_r * bit_cast<Vec8>((n + 127) << 23) - 1.0f;
  const Vec8 m = y_bits < 0x3f800000u ? series : expm1_large;  // y < 1
  const Bits8 t_bits = bit_cast<Bits8>(m / (m + 2.0f));
  // Odd through x's sign bit (so -0 stays -0); NaN passed through.
  const Bits8 is_nan = (x_bits & 0x7fffffffu) > 0x7f800000u;
  return bit_cast<Vec8>(is_nan ? x_bits : (t_bits | (x_bits & 0x80000000u)));
}

inline void tanh_in_place(float* values, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) store8(values + i, tanh8(load8(values + i)));
  if (i == n) return;
  float tail[8] = {};
  for (std::size_t k = i; k < n; ++k) tail[k - i] = values[k];
  const Vec8 t = tanh8(load8(tail));
  store8(tail, t);
  for (std::size_t k = i; k < n; ++k) values[k] = tail[k - i];
}

#undef DPA_CNN_INLINE

}  // namespace dpa::tools::cnn::DPA_CNN_ISA
