// The zoo CNN trainer's kernels: one image's convolutions (forward and backward of the three
// layers) through the plain reference loops, the blocked kernels for the baseline instruction
// set and with AVX2 + FMA; then one whole training batch of 512 images (relu without dropout, and
// tanh with dropout 0.3, as the zoo samples them). scripts/bench-cnn.sh turns the JSON into ratios
// against the reference loops; scripts/bench-cnn-vs-pytorch.py compares whole runs with PyTorch.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "cnn/cnn_training.hpp"
#include "cnn/conv_reference.hpp"
#include "cnn/kernels.hpp"
#include "cnn/zoo_cnn.hpp"

namespace {

using namespace dpa::tools::cnn;

struct Layer {
  int in_side, in_ch;
};
constexpr Layer kLayers[3] = {{28, 1}, {13, 16}, {6, 16}};

struct ImageBuffers {
  std::vector<float> in[3], out[3], dout[3], din[3], params, grad, kernel_t[3];
  ImageBuffers() {
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1, 1);
    auto random = [&](int n) {
      std::vector<float> v(static_cast<std::size_t>(n));
      for (float& x : v) x = u(rng);
      return v;
    };
    params = random(static_cast<int>(kParams));
    grad.assign(kParams, 0.0f);
    for (int l = 0; l < 3; ++l) {
      const int out_side = (kLayers[l].in_side - 3) / 2 + 1;
      in[l] = random(kLayers[l].in_side * kLayers[l].in_side * kLayers[l].in_ch);
      din[l] = in[l];
      out[l] = random(out_side * out_side * kChannels);
      dout[l] = out[l];
      kernel_t[l] = random(9 * kLayers[l].in_ch * kChannels);
    }
  }
};

template <class Forward, class Backward>
void one_image(benchmark::State& state, Forward forward, Backward backward) {
  ImageBuffers b;
  for (auto _ : state) {
    for (int l = 0; l < 3; ++l) {
      const LayerOffsets& o = kConv[l];
      forward(b.in[l].data(), kLayers[l].in_side, kLayers[l].in_ch, b.params.data() + o.bias,
              b.params.data() + o.kernel, b.out[l].data());
      backward(b.in[l].data(), kLayers[l].in_side, kLayers[l].in_ch, b.kernel_t[l].data(), b.dout[l].data(),
               b.grad.data() + o.bias, b.grad.data() + o.kernel, l > 0 ? b.din[l].data() : nullptr);
    }
    benchmark::DoNotOptimize(b.grad.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ConvReference(benchmark::State& state) {
  one_image(state, reference::conv_forward<float>, reference::conv_backward<float>);
}

void blocked(benchmark::State& state, KernelIsa isa) {
  if (!kernel_isa_available(isa)) {
    state.SkipWithError("instruction set not available on this CPU");
    return;
  }
  one_image(
      state,
      [isa](const float* in, int side, int ch, const float* bias, const float* kernel, float* out) {
        conv_forward(isa, in, side, ch, bias, kernel, out);
      },
      [isa](const float* in, int side, int ch, const float* kt, const float* dout, float* db, float* dk, float* din) {
        conv_backward(isa, in, side, ch, kt, dout, db, dk, din);
      });
}
void BM_ConvBlockedGeneric(benchmark::State& state) { blocked(state, KernelIsa::kGeneric); }
void BM_ConvBlockedAvx2(benchmark::State& state) { blocked(state, KernelIsa::kAvx2); }

// One batch of 512 images through the trainer's own path (best instruction set), per image.
void batch(benchmark::State& state, Activation activation, double dropout) {
  constexpr int kBatch = 512;
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> images(static_cast<std::size_t>(kBatch) * 784), params(kParams), grad(kParams);
  for (float& x : images) x = u(rng);
  std::mt19937_64 init_rng(3);
  initialize(params.data(), RunConfig{}, init_rng);
  OptimizerState adam(Optimizer::kAdam, 1e-3, kParams);
  Workspace<float> w;
  DropoutRng dropout_rng(4);
  for (auto _ : state) {
    std::fill(grad.begin(), grad.end(), 0.0f);
    for (int i = 0; i < kBatch; ++i) {
      forward_backward<float>(params.data(), &images[static_cast<std::size_t>(i) * 784], i % 10, activation, dropout,
                              &dropout_rng, grad.data(), nullptr, w);
    }
    adam.step(params.data(), grad.data());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
void BM_TrainBatchRelu(benchmark::State& state) { batch(state, Activation::kRelu, 0.0); }
void BM_TrainBatchTanhDropout(benchmark::State& state) { batch(state, Activation::kTanh, 0.3); }

}  // namespace

BENCHMARK(BM_ConvReference);
BENCHMARK(BM_ConvBlockedGeneric);
BENCHMARK(BM_ConvBlockedAvx2);
BENCHMARK(BM_TrainBatchRelu)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TrainBatchTanhDropout)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
