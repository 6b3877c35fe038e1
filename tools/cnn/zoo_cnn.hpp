// The Small CNN Zoo's network, exactly: 3 x Conv2D(16, 3x3, stride 2, valid) -> activation ->
// dropout, global average pooling, Dense(10) logits, softmax cross-entropy, L2 on kernels only.
// Parameters live in one flat vector in the zoo's layout (per layer bias, then kernel in
// TensorFlow order (kh, kw, in, out)), so a checkpoint row is the parameter vector itself.
// Templated on the scalar: float to train, double for the finite-difference gradient checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dpa/dpa.h"

namespace dpa::tools::cnn {

constexpr int kImage = 28;
constexpr int kChannels = 16;
constexpr int kClasses = 10;

enum class Activation { kRelu, kTanh };

// The parameters as the runtime's one table of the zoo layout (dpa.h) places them.
#define DPA_CNN_SEGMENT(offset, length, kind, name, shape) dpa_segment{offset, length, kind, 0},
constexpr dpa_segment kSegments[DPA_ZOO_NUM_SEGMENTS] = {DPA_ZOO_SEGMENT_TABLE(DPA_CNN_SEGMENT)};
#undef DPA_CNN_SEGMENT
constexpr std::size_t kParams = DPA_ZOO_TOTAL_LENGTH;

struct LayerOffsets {
  std::size_t bias, kernel;
  int in_channels;
};
constexpr LayerOffsets kConv[3] = {{kSegments[0].offset, kSegments[1].offset, 1},
                                   {kSegments[2].offset, kSegments[3].offset, kChannels},
                                   {kSegments[4].offset, kSegments[5].offset, kChannels}};
constexpr std::size_t kDenseBias = kSegments[6].offset, kDenseKernel = kSegments[7].offset;
static_assert(kSegments[1].length == 9 * 1 * kChannels && kSegments[3].length == 9 * kChannels * kChannels &&
                  kSegments[7].length == kChannels * kClasses && kSegments[6].length == kClasses,
              "the zoo layout's shapes are the network's");
constexpr bool is_kernel(std::size_t i) {
  for (const dpa_segment& s : kSegments) {
    if (i >= s.offset && i < s.offset + s.length) return s.kind == DPA_SEGMENT_KERNEL;
  }
  return false;
}

// Dropout's random stream: Keras keeps a unit with probability 1 - rate and scales it by
// 1 / (1 - rate). The rate is applied in steps of 1/65536.
class DropoutRng {
 public:
  explicit DropoutRng(std::uint64_t seed) : state_(seed) {}
  template <class T>
  void fill_mask(T* mask, std::size_t n, double rate);  // each entry 0 or 1 / (1 - rate)

 private:
  // SplitMix64 (Steele, Lea and Flood 2014): one multiply-xorshift step per 64 bits, four 16-bit
  // uniforms per step. mt19937_64 with a double per unit cost a dropout run a third of its time.
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::uint64_t state_;
};

template <class T>
struct Workspace {
  std::vector<T> act[4];   // act[0] input 28x28x1, act[k] output of conv k (after activation)
  std::vector<T> kept[4];  // dropout-scaled outputs fed forward (== act without dropout)
  std::vector<T> mask[4];  // dropout multipliers: 0 or 1/(1-rate)
  std::vector<T> delta[4];
  T pooled[kChannels], logits[kClasses], probabilities[kClasses];
  Workspace();
};

// One image: forward, loss, optionally backward (gradient accumulated into grad, which may be
// null). dropout_rng null means no dropout (evaluation). Returns the cross-entropy; predicted
// receives the arg-max class.
template <class T>
T forward_backward(const T* params, const float* image, int label, Activation activation, double dropout,
                   DropoutRng* dropout_rng, T* grad, int* predicted, Workspace<T>& w);

// Keras-equivalent L2 term l2 * sum(kernel^2) and, when grad is non-null, its gradient added.
template <class T>
T l2_penalty(const T* params, double l2, T* grad);

}  // namespace dpa::tools::cnn
