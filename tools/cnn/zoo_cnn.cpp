#include "cnn/zoo_cnn.hpp"

#include "cnn/conv_reference.hpp"
#include "cnn/kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

namespace dpa::tools::cnn {
namespace {

// float: the blocked kernels for this CPU; double (gradient checks): the reference loops.
template <class T>
void conv_forward(const T* in, int in_side, int in_ch, const T* bias, const T* kernel, T* out) {
  if constexpr (std::is_same_v<T, float>) {
    cnn::conv_forward(best_kernel_isa(), in, in_side, in_ch, bias, kernel, out);
  } else {
    reference::conv_forward(in, in_side, in_ch, bias, kernel, out);
  }
}

template <class T>
void conv_backward(const T* in, int in_side, int in_ch, const T* kernel_t, const T* dout, T* dbias, T* dkernel,
                   T* din) {
  if constexpr (std::is_same_v<T, float>) {
    cnn::conv_backward(best_kernel_isa(), in, in_side, in_ch, kernel_t, dout, dbias, dkernel, din);
  } else {
    reference::conv_backward(in, in_side, in_ch, kernel_t, dout, dbias, dkernel, din);
  }
}

// [tap][ci][co] -> [tap][co][ci]
template <class T>
void transpose_kernel(const T* kernel, int in_ch, T* out) {
  for (int tap = 0; tap < 9; ++tap) {
    for (int ci = 0; ci < in_ch; ++ci) {
      for (int co = 0; co < kChannels; ++co)
        out[(tap * kChannels + co) * in_ch + ci] = kernel[(tap * in_ch + ci) * kChannels + co];
    }
  }
}

// In place. float: libm-free tanh, vectorised for this CPU; double (gradient checks): std::tanh.
template <class T>
void activate(T* a, std::size_t n, Activation activation) {
  if (activation == Activation::kRelu) {
    for (std::size_t i = 0; i < n; ++i) a[i] = a[i] > 0 ? a[i] : T(0);
  } else if constexpr (std::is_same_v<T, float>) {
    tanh_in_place(best_kernel_isa(), a, n);
  } else {
    for (std::size_t i = 0; i < n; ++i) a[i] = std::tanh(a[i]);
  }
}

constexpr int side(int layer) { return layer == 0 ? 28 : layer == 1 ? 13 : layer == 2 ? 6 : 2; }
constexpr int channels(int layer) { return layer == 0 ? 1 : kChannels; }

}  // namespace

template <class T>
Workspace<T>::Workspace() {
  for (int l = 0; l < 4; ++l) {
    const std::size_t n = static_cast<std::size_t>(side(l) * side(l) * channels(l));
    act[l].assign(n, T(0));
    kept[l].assign(n, T(0));
    mask[l].assign(n, T(1));
    delta[l].assign(n, T(0));
  }
}

template <class T>
T forward_backward(const T* p, const float* image, int label, Activation activation, double dropout,
                   DropoutRng* dropout_rng, T* grad, int* predicted, Workspace<T>& w) {
  for (int i = 0; i < kImage * kImage; ++i)
    w.kept[0][static_cast<std::size_t>(i)] = w.act[0][static_cast<std::size_t>(i)] = static_cast<T>(image[i]);
  const bool drop = dropout_rng != nullptr && dropout > 0;
  for (int l = 1; l <= 3; ++l) {
    const LayerOffsets& o = kConv[l - 1];
    T* a = w.act[l].data();
    const std::size_t n = w.act[l].size();
    conv_forward(w.kept[l - 1].data(), side(l - 1), channels(l - 1), p + o.bias, p + o.kernel, a);
    activate(a, n, activation);
    T* kept = w.kept[l].data();
    if (drop) {
      T* mask = w.mask[l].data();
      dropout_rng->fill_mask(mask, n, dropout);
      for (std::size_t i = 0; i < n; ++i) kept[i] = a[i] * mask[i];
    } else {
      std::copy(a, a + n, kept);
    }
  }
  // Global average pooling over the 2x2 positions, then the dense layer.
  for (int c = 0; c < kChannels; ++c) {
    T s = 0;
    for (int q = 0; q < 4; ++q) s += w.kept[3][static_cast<std::size_t>(q * kChannels + c)];
    w.pooled[c] = s / T(4);
  }
  T top = -std::numeric_limits<T>::infinity();
  int best = 0;
  for (int j = 0; j < kClasses; ++j) {
    T z = p[kDenseBias + static_cast<std::size_t>(j)];
    for (int c = 0; c < kChannels; ++c) z += w.pooled[c] * p[kDenseKernel + static_cast<std::size_t>(c * kClasses + j)];
    w.logits[j] = z;
    if (z > top) {
      top = z;
      best = j;
    }
  }
  T sum = 0;
  for (int j = 0; j < kClasses; ++j) sum += std::exp(w.logits[j] - top);
  const T log_sum = std::log(sum) + top;
  for (int j = 0; j < kClasses; ++j) w.probabilities[j] = std::exp(w.logits[j] - log_sum);
  if (predicted) *predicted = best;
  const T loss = log_sum - w.logits[label];
  if (grad == nullptr) return loss;

  T dpooled[kChannels] = {};
  for (int j = 0; j < kClasses; ++j) {
    const T dz = w.probabilities[j] - (j == label ? T(1) : T(0));
    grad[kDenseBias + static_cast<std::size_t>(j)] += dz;
    for (int c = 0; c < kChannels; ++c) {
      grad[kDenseKernel + static_cast<std::size_t>(c * kClasses + j)] += w.pooled[c] * dz;
      dpooled[c] += p[kDenseKernel + static_cast<std::size_t>(c * kClasses + j)] * dz;
    }
  }
  for (int q = 0; q < 4; ++q) {
    for (int c = 0; c < kChannels; ++c) w.delta[3][static_cast<std::size_t>(q * kChannels + c)] = dpooled[c] / T(4);
  }
  for (int l = 3; l >= 1; --l) {
    // delta[l] holds d(kept[l]); through dropout and the activation to d(pre-activation).
    T* delta = w.delta[l].data();
    const T* a = w.act[l].data();
    const std::size_t n = w.delta[l].size();
    if (drop) {
      const T* mask = w.mask[l].data();
      for (std::size_t i = 0; i < n; ++i) delta[i] *= mask[i];
    }
    if (activation == Activation::kRelu) {
      for (std::size_t i = 0; i < n; ++i) delta[i] = a[i] > 0 ? delta[i] : T(0);
    } else {
      for (std::size_t i = 0; i < n; ++i) delta[i] *= T(1) - a[i] * a[i];
    }
    const LayerOffsets& o = kConv[l - 1];
    T kernel_t[9 * kChannels * kChannels];
    if (l > 1) transpose_kernel(p + o.kernel, channels(l - 1), kernel_t);
    conv_backward(w.kept[l - 1].data(), side(l - 1), channels(l - 1), kernel_t, w.delta[l].data(), grad + o.bias,
                  grad + o.kernel, l > 1 ? w.delta[l - 1].data() : nullptr);
  }
  return loss;
}

template <class T>
T l2_penalty(const T* p, double l2, T* grad) {
  T sum = 0;
  for (std::size_t i = 0; i < kParams; ++i) {
    if (!is_kernel(i)) continue;
    sum += p[i] * p[i];
    if (grad) grad[i] += static_cast<T>(2 * l2) * p[i];
  }
  return static_cast<T>(l2) * sum;
}

template <class T>
void DropoutRng::fill_mask(T* mask, std::size_t n, double rate) {
  const auto threshold = static_cast<std::uint64_t>(std::lround(rate * 65536.0));  // drop when u16 < it
  const T keep = static_cast<T>(1.0 / (1.0 - rate));
  // keep or 0 by masking keep's bits: GCC turns both a selection and keep * (0 or 1) into a
  // branch, which mispredicts at the dropout rate.
  using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  static_assert(sizeof(Bits) == sizeof(T));
  Bits keep_bits;
  std::memcpy(&keep_bits, &keep, sizeof keep_bits);
  auto set = [&](std::size_t i, std::uint64_t bits, int k) {
    const Bits all_if_kept = Bits(0) - static_cast<Bits>(((bits >> (16 * k)) & 0xffffu) >= threshold);
    const Bits value = keep_bits & all_if_kept;
    std::memcpy(&mask[i], &value, sizeof value);
  };
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const std::uint64_t bits = next();
    set(i, bits, 0);
    set(i + 1, bits, 1);
    set(i + 2, bits, 2);
    set(i + 3, bits, 3);
  }
  if (i == n) return;
  const std::uint64_t bits = next();
  for (int k = 0; i < n; ++i, ++k) set(i, bits, k);
}

template void DropoutRng::fill_mask<float>(float*, std::size_t, double);
template void DropoutRng::fill_mask<double>(double*, std::size_t, double);
template struct Workspace<float>;
template struct Workspace<double>;
template float forward_backward<float>(const float*, const float*, int, Activation, double, DropoutRng*, float*, int*,
                                       Workspace<float>&);
template double forward_backward<double>(const double*, const float*, int, Activation, double, DropoutRng*, double*,
                                         int*, Workspace<double>&);
template float l2_penalty<float>(const float*, double, float*);
template double l2_penalty<double>(const double*, double, double*);

}  // namespace dpa::tools::cnn
