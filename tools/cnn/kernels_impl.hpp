// The zoo CNN's float convolutions, register-blocked like a small GEMM: each inner step loads a
// few kernel (or gradient) vectors once and reuses them across up to 6 output pixels (or 6 kernel
// rows), so the loop is bound by multiply-adds rather than by loads and stores. Written once on
// GCC vector types and compiled twice: for the baseline instruction set (kernels.cpp: SSE2 on
// x86-64, NEON on AArch64) and with AVX2 + FMA (kernels_avx2.cpp). The plain loops in
// conv_reference.hpp are the reference every blocked kernel is tested against.
// Layouts: activations [y][x][channel]; kernel [tap][ci][co]; kernel_t [tap][co][ci]; 16 output
// channels.
#pragma once

#include "cnn/zoo_cnn.hpp"

#include <cstdint>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace dpa::tools::cnn::DPA_CNN_ISA {

// 8 floats with AVX2 (16 registers); 4 otherwise, the native width of SSE2 and NEON (32-byte
// vectors split into register pairs compiled to 2.6x slower code than the plain loops).
#if defined(__AVX2__)
constexpr int kVectorBytes = 32;
#else
constexpr int kVectorBytes = 16;
#endif
typedef float Vec __attribute__((vector_size(kVectorBytes)));
typedef std::int32_t IntVec __attribute__((vector_size(kVectorBytes)));
typedef std::uint32_t BitsVec __attribute__((vector_size(kVectorBytes)));
constexpr int kLanes = kVectorBytes / 4;
constexpr int kVecsPerPixel = kChannels / kLanes;  // 16 channels: 2 or 4 vectors

#define DPA_CNN_INLINE static inline __attribute__((always_inline))

DPA_CNN_INLINE Vec load_vec(const float* p) {
  Vec v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
DPA_CNN_INLINE void store_vec(float* p, Vec v) { __builtin_memcpy(p, &v, sizeof v); }
// acc + v * s
DPA_CNN_INLINE Vec multiply_add(Vec v, float s, Vec acc) {
#if defined(__AVX2__) && defined(__FMA__)
  return _mm256_fmadd_ps(v, _mm256_set1_ps(s), acc);
#else
  return acc + v * s;
#endif
}

// The 16 channels of one pixel: kVecsPerPixel vectors.
struct Channels {
  Vec v[kVecsPerPixel];
};
DPA_CNN_INLINE Channels load_channels(const float* p) {
  Channels c;
#pragma GCC unroll 4
  for (int i = 0; i < kVecsPerPixel; ++i) c.v[i] = load_vec(p + i * kLanes);
  return c;
}
DPA_CNN_INLINE void store_channels(float* p, const Channels& c) {
#pragma GCC unroll 4
  for (int i = 0; i < kVecsPerPixel; ++i) store_vec(p + i * kLanes, c.v[i]);
}
// acc += c * s
DPA_CNN_INLINE void multiply_add(const Channels& c, float s, Channels& acc) {
#pragma GCC unroll 4
  for (int i = 0; i < kVecsPerPixel; ++i) acc.v[i] = multiply_add(c.v[i], s, acc.v[i]);
}
DPA_CNN_INLINE void add(const Channels& c, Channels& acc) {
#pragma GCC unroll 4
  for (int i = 0; i < kVecsPerPixel; ++i) acc.v[i] += c.v[i];
}

// Pixels (or kernel rows) per tile: its accumulators plus one pixel's operands fill the vector
// registers (16 on x86-64, 32 on AArch64).
#if defined(__aarch64__) || defined(__AVX2__)
constexpr int kMaxTile = 6;
#else
constexpr int kMaxTile = 3;
#endif

// Splits a row of `width` pixels into the fewest tiles of at most kMaxTile, as even as possible
// (13 -> 5, 4, 4 with tiles of 6), and calls tile(first, size).
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

// Calls Body<n>::run(args...) for a run-time n in 1..kMaxTile.
template <template <int> class Body, int N, class... Args>
DPA_CNN_INLINE void with_tile_size(int n, Args... args) {
  if constexpr (N < kMaxTile) {
    if (n != N) return with_tile_size<Body, N + 1>(n, args...);
  }
  Body<N>::run(args...);
}

// P consecutive output pixels of one row: out = bias + sum over taps and ci of in * kernel.
template <int P>
struct ForwardTile {
  static void run(const float* in, int in_side, int in_ch, const float* bias, const float* kernel, int oy, int ox0,
                  float* out) {
    Channels acc[P];
    const Channels b = load_channels(bias);
#pragma GCC unroll 8
    for (int j = 0; j < P; ++j) acc[j] = b;
    const int pixel_step = 2 * in_ch;
    for (int ky = 0; ky < 3; ++ky) {
      for (int kx = 0; kx < 3; ++kx) {
        const float* src = in + ((2 * oy + ky) * in_side + 2 * ox0 + kx) * in_ch;
        const float* k = kernel + (ky * 3 + kx) * in_ch * kChannels;
        for (int ci = 0; ci < in_ch; ++ci) {
          const Channels k_row = load_channels(k + ci * kChannels);
#pragma GCC unroll 8
          for (int j = 0; j < P; ++j) multiply_add(k_row, src[j * pixel_step + ci], acc[j]);
        }
      }
    }
#pragma GCC unroll 8
    for (int j = 0; j < P; ++j) store_channels(out + j * kChannels, acc[j]);
  }
};

inline void conv_forward_blocked(const float* in, int in_side, int in_ch, const float* bias, const float* kernel,
                                 float* out) {
  const int out_side = (in_side - 3) / 2 + 1;
  for (int oy = 0; oy < out_side; ++oy) {
    for_each_tile(out_side, [&](int ox0, int size) {
      with_tile_size<ForwardTile, 1>(size, in, in_side, in_ch, bias, kernel, oy, ox0,
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
    Channels acc[R];
    int offset[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      acc[r] = load_channels(dkernel_rows + r * kChannels);
      offset[r] = row_offset[r];
    }
    for (int oy = 0; oy < out_side; ++oy) {
      for (int ox = 0; ox < out_side; ++ox) {
        const float* base = in + (2 * oy * in_side + 2 * ox) * in_ch;
        const Channels d = load_channels(dout + (oy * out_side + ox) * kChannels);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) multiply_add(d, base[offset[r]], acc[r]);
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) store_channels(dkernel_rows + r * kChannels, acc[r]);
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
        Channels acc[P] = {};
        for (int co = 0; co < kChannels; ++co) {
          const Channels k_row = load_channels(kt + co * kChannels);
#pragma GCC unroll 8
          for (int j = 0; j < P; ++j) multiply_add(k_row, d[j * kChannels + co], acc[j]);
        }
        float* target = din + ((2 * oy + ky) * in_side + 2 * ox0 + kx) * kChannels;
#pragma GCC unroll 8
        for (int j = 0; j < P; ++j) {
          float* t = target + j * 2 * kChannels;
          Channels sum = load_channels(t);
          add(acc[j], sum);
          store_channels(t, sum);
        }
      }
    }
  }
};

inline void conv_backward_blocked(const float* in, int in_side, int in_ch, const float* kernel_t, const float* dout,
                                  float* dbias, float* dkernel, float* din) {
  const int out_side = (in_side - 3) / 2 + 1;
  const int pixels = out_side * out_side;
  Channels bias = load_channels(dbias);
  for (int p = 0; p < pixels; ++p) add(load_channels(dout + p * kChannels), bias);
  store_channels(dbias, bias);

  int row_offset[9 * kChannels];
  const int rows = 9 * in_ch;
  for (int row = 0; row < rows; ++row) {
    const int tap = row / in_ch, ci = row % in_ch;
    row_offset[row] = ((tap / 3) * in_side + tap % 3) * in_ch + ci;
  }
  for_each_tile(rows, [&](int r0, int size) {
    with_tile_size<KernelGradientTile, 1>(size, in, in_side, in_ch, out_side, row_offset + r0, dout,
                                          dkernel + r0 * kChannels);
  });

  if (din == nullptr) return;
  for (int i = 0; i < in_side * in_side * in_ch; ++i) din[i] = 0.0f;
  for (int oy = 0; oy < out_side; ++oy) {
    for_each_tile(out_side, [&](int ox0, int size) {
      with_tile_size<InputGradientTile, 1>(size, kernel_t, dout, in_side, oy, ox0, din);
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

// tanh of a vector of floats without libm, to within a few float ulps (2.4e-7 relative at worst over every
// float): libm's tanhf took half of a tanh run's training time. tanh|x| = m / (m + 2) with
// m = expm1(2|x|): a Taylor series for 2|x| < 1 (no cancellation near zero), else exp by range
// reduction, 2^n e^r with |r| <= ln2/2, where Taylor to r^7 is exact to 1.4e-9. Written on vectors
// (scalar code with these selections is split into branches by GCC and stays scalar).
DPA_CNN_INLINE Vec tanh_vec(Vec x) {
  const BitsVec x_bits = bit_cast<BitsVec>(x);
  const Vec twice = bit_cast<Vec>(x_bits & 0x7fffffffu) * 2.0f;
  // Beyond |x| = 10 tanh rounds to 1 in float; the cap also bounds the exponent. Non-negative
  // floats order like their bits, and NaN's bits lie above them all: NaN takes 20 here.
  const BitsVec y_bits = bit_cast<BitsVec>(twice) < 0x41a00000u ? bit_cast<BitsVec>(twice) : BitsVec{} + 0x41a00000u;
  const Vec y = bit_cast<Vec>(y_bits);
  const Vec series =  // expm1(y) = sum y^k / k!, k = 1..10
      y *
      (1.0f +
       y * (1.0f / 2 +
            y * (1.0f / 6 +
                 y * (1.0f / 24 +
                      y * (1.0f / 120 +
                           y * (1.0f / 720 + y * (1.0f / 5040 + y * (1.0f / 40320 +
                                                                     y * (1.0f / 362880 + y * (1.0f / 3628800))))))))));
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2High = 0.693145751953125f;  // 15 significant bits: n * kLn2High is exact
  constexpr float kLn2Low = 1.42860682030941723e-6f;
  const IntVec n = __builtin_convertvector(y * kLog2e + 0.5f, IntVec);  // y >= 0: truncation rounds
  const Vec nf = __builtin_convertvector(n, Vec);
  const Vec r = (y - nf * kLn2High) - nf * kLn2Low;
  const Vec exp_r =
      1.0f +
      r * (1.0f +
           r * (1.0f / 2 + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040)))))));
  const Vec expm1_large = exp_r * bit_cast<Vec>((n + 127) << 23) - 1.0f;
  const Vec m = y_bits < 0x3f800000u ? series : expm1_large;  // y < 1
  const BitsVec t_bits = bit_cast<BitsVec>(m / (m + 2.0f));
  // Odd through x's sign bit (so -0 stays -0); NaN passed through.
  const BitsVec is_nan = (x_bits & 0x7fffffffu) > 0x7f800000u;
  return bit_cast<Vec>(is_nan ? x_bits : (t_bits | (x_bits & 0x80000000u)));
}

inline void tanh_in_place(float* values, std::size_t n) {
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) store_vec(values + i, tanh_vec(load_vec(values + i)));
  if (i == n) return;
  float tail[kLanes] = {};
  for (std::size_t k = i; k < n; ++k) tail[k - i] = values[k];
  const Vec t = tanh_vec(load_vec(tail));
  store_vec(tail, t);
  for (std::size_t k = i; k < n; ++k) values[k] = tail[k - i];
}

#undef DPA_CNN_INLINE

}  // namespace dpa::tools::cnn::DPA_CNN_ISA
