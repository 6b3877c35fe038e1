#include "cnn/zoo_cnn.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dpa::tools::cnn {
namespace {

constexpr int side(int layer) { return layer == 0 ? 28 : layer == 1 ? 13 : layer == 2 ? 6 : 2; }
constexpr int channels(int layer) { return layer == 0 ? 1 : kChannels; }

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
      std::copy(acc, acc + kChannels, out + (oy * out_side + ox) * kChannels);
    }
  }
}

// Given d(out), accumulate d(bias), d(kernel) and, when din is non-null, d(in).
template <class T>
void conv_backward(const T* in, int in_side, int in_ch, const T* kernel, const T* dout, T* dbias, T* dkernel, T* din) {
  const int out_side = (in_side - 3) / 2 + 1;
  if (din) std::fill(din, din + in_side * in_side * in_ch, T(0));
  for (int oy = 0; oy < out_side; ++oy) {
    for (int ox = 0; ox < out_side; ++ox) {
      const T* d = dout + (oy * out_side + ox) * kChannels;
      for (int co = 0; co < kChannels; ++co) dbias[co] += d[co];
      for (int ky = 0; ky < 3; ++ky) {
        for (int kx = 0; kx < 3; ++kx) {
          const int at = ((2 * oy + ky) * in_side + (2 * ox + kx)) * in_ch;
          const T* pixel = in + at;
          const T* k = kernel + (ky * 3 + kx) * in_ch * kChannels;
          T* dk = dkernel + (ky * 3 + kx) * in_ch * kChannels;
          for (int ci = 0; ci < in_ch; ++ci) {
            const T a = pixel[ci];
            T back = 0;
            for (int co = 0; co < kChannels; ++co) {
              dk[ci * kChannels + co] += a * d[co];
              back += k[ci * kChannels + co] * d[co];
            }
            if (din) din[at + ci] += back;
          }
        }
      }
    }
  }
}

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
                   std::mt19937_64* rng, T* grad, int* predicted, Workspace<T>& w) {
  for (int i = 0; i < kImage * kImage; ++i) w.kept[0][static_cast<std::size_t>(i)] = w.act[0][static_cast<std::size_t>(i)] = static_cast<T>(image[i]);
  const bool drop = rng != nullptr && dropout > 0;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int l = 1; l <= 3; ++l) {
    const LayerOffsets& o = kConv[l - 1];
    conv_forward(w.kept[l - 1].data(), side(l - 1), channels(l - 1), p + o.bias, p + o.kernel, w.act[l].data());
    for (std::size_t i = 0; i < w.act[l].size(); ++i) {
      T& a = w.act[l][i];
      a = activation == Activation::kRelu ? std::max(a, T(0)) : std::tanh(a);
      // Keras Dropout: keep with probability 1 - rate, scale kept values by 1 / (1 - rate).
      w.mask[l][i] = drop ? (unit(*rng) >= dropout ? T(1.0 / (1.0 - dropout)) : T(0)) : T(1);
      w.kept[l][i] = a * w.mask[l][i];
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
    for (std::size_t i = 0; i < w.delta[l].size(); ++i) {
      const T a = w.act[l][i];
      const T slope = activation == Activation::kRelu ? (a > 0 ? T(1) : T(0)) : T(1) - a * a;
      w.delta[l][i] *= w.mask[l][i] * slope;
    }
    const LayerOffsets& o = kConv[l - 1];
    conv_backward(w.kept[l - 1].data(), side(l - 1), channels(l - 1), p + o.kernel, w.delta[l].data(),
                  grad + o.bias, grad + o.kernel, l > 1 ? w.delta[l - 1].data() : nullptr);
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

template struct Workspace<float>;
template struct Workspace<double>;
template float forward_backward<float>(const float*, const float*, int, Activation, double, std::mt19937_64*, float*, int*, Workspace<float>&);
template double forward_backward<double>(const double*, const float*, int, Activation, double, std::mt19937_64*, double*, int*, Workspace<double>&);
template float l2_penalty<float>(const float*, double, float*);
template double l2_penalty<double>(const double*, double, double*);

}  // namespace dpa::tools::cnn
