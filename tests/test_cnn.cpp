// The zoo CNN trainer: every layer's gradient against finite differences, each optimizer and
// initializer against its definition on tiny cases.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "cnn/cnn_training.hpp"
#include "cnn/zoo_cnn.hpp"

using namespace dpa::tools::cnn;

namespace {

double loss_at(const std::vector<double>& p, const std::vector<float>& image, int label, Activation a, double dropout,
               std::uint64_t dropout_seed, double l2) {
  Workspace<double> w;
  DropoutRng rng(dropout_seed);
  return forward_backward<double>(p.data(), image.data(), label, a, dropout, dropout > 0 ? &rng : nullptr, nullptr,
                                  nullptr, w) +
         l2_penalty<double>(p.data(), l2, nullptr);
}

void gradient_check(Activation activation, double dropout) {
  std::mt19937_64 rng(3);
  std::vector<float> init(kParams);
  RunConfig cfg;
  cfg.w_init = Init::kHeNormal;
  initialize(init.data(), cfg, rng);
  std::vector<double> p(init.begin(), init.end());
  std::normal_distribution<double> small(0.0, 0.1);
  for (double& v : p) v += small(rng);  // non-zero biases, off-init weights
  std::vector<float> image(784);
  std::uniform_real_distribution<float> pixel(-1, 1);
  for (float& v : image) v = pixel(rng);
  const int label = 7;
  const double l2 = 1e-3;
  std::vector<double> grad(kParams, 0.0);
  Workspace<double> w;
  DropoutRng drop(99);
  forward_backward<double>(p.data(), image.data(), label, activation, dropout, dropout > 0 ? &drop : nullptr,
                           grad.data(), nullptr, w);
  l2_penalty<double>(p.data(), l2, grad.data());
  // Every bias and a spread of kernel entries of every layer.
  int checked = 0;
  for (std::size_t i = 0; i < kParams; i += (is_kernel(i) ? 13 : 1)) {
    const double h = 1e-6;
    std::vector<double> plus = p, minus = p;
    plus[i] += h;
    minus[i] -= h;
    const double numeric = (loss_at(plus, image, label, activation, dropout, 99, l2) -
                            loss_at(minus, image, label, activation, dropout, 99, l2)) /
                           (2 * h);
    CAPTURE(i);
    CHECK(grad[i] == doctest::Approx(numeric).epsilon(1e-5).scale(1e-3));
    ++checked;
  }
  CHECK(checked > 400);
}

}  // namespace

TEST_CASE("zoo CNN gradients equal finite differences: relu, tanh, with dropout and L2") {
  gradient_check(Activation::kRelu, 0.0);
  gradient_check(Activation::kTanh, 0.0);
  gradient_check(Activation::kTanh, 0.3);  // the same dropout mask in every evaluation
}

TEST_CASE("dropout keeps units with probability 1 - rate, scaled, reproducibly") {
  for (double rate : {0.1, 0.5, 0.7}) {
    DropoutRng rng(5), same(5);
    std::vector<float> mask(100001), again(100001);
    rng.fill_mask(mask.data(), mask.size(), rate);
    same.fill_mask(again.data(), again.size(), rate);
    CHECK(mask == again);
    std::size_t kept = 0, other = 0;
    for (float m : mask) {
      kept += m == static_cast<float>(1 / (1 - rate));
      other += m != 0 && m != static_cast<float>(1 / (1 - rate));
    }
    CHECK(other == 0);
    const double share = static_cast<double>(kept) / static_cast<double>(mask.size());
    CAPTURE(rate);
    CHECK(std::fabs(share - (1 - rate)) < 0.01);  // at least 6 standard deviations
  }
}

TEST_CASE("optimizers follow Keras' definitions") {
  const float g1[2] = {0.5f, -2.0f}, g2[2] = {0.25f, 1.0f};
  {
    float p[2] = {1.0f, 1.0f};
    OptimizerState sgd(Optimizer::kSgd, 0.1, 2);
    sgd.step(p, g1);
    CHECK(p[0] == doctest::Approx(0.95));
    CHECK(p[1] == doctest::Approx(1.2));
  }
  {  // Adam: m, v with bias correction folded into the step size, epsilon outside the sqrt
    float p[2] = {1.0f, 1.0f};
    OptimizerState adam(Optimizer::kAdam, 0.01, 2);
    adam.step(p, g1);
    // t = 1: alpha = 0.01 * sqrt(0.001) / 0.1; m = 0.1 g; v = 0.001 g^2 -> step = 0.01 * sign(g) (almost)
    CHECK(p[0] == doctest::Approx(1.0 - 0.01 * 0.05 / (0.05 + 1e-7 * 0.1 / std::sqrt(0.001) * 1)).epsilon(1e-5));
    CHECK(p[1] == doctest::Approx(1.01).epsilon(1e-5));
    adam.step(p, g2);
    const double m = 0.9 * 0.05 + 0.1 * 0.25, v = 0.999 * 0.00025 + 0.001 * 0.0625;
    const double alpha = 0.01 * std::sqrt(1 - 0.999 * 0.999) / (1 - 0.9 * 0.9);
    CHECK(p[0] == doctest::Approx(0.99 - alpha * m / (std::sqrt(v) + 1e-7)).epsilon(1e-5));
  }
  {  // RMSprop: v = 0.9 v + 0.1 g^2; step lr g / (sqrt(v) + 1e-7)
    float p[2] = {1.0f, 1.0f};
    OptimizerState rms(Optimizer::kRmsprop, 0.01, 2);
    rms.step(p, g1);
    CHECK(p[0] == doctest::Approx(1.0 - 0.01 * 0.5 / (std::sqrt(0.1 * 0.25) + 1e-7)));
    rms.step(p, g2);
    const double v = 0.9 * 0.025 + 0.1 * 0.0625;
    CHECK(p[0] == doctest::Approx(1.0 - 0.01 * 0.5 / std::sqrt(0.025) - 0.01 * 0.25 / std::sqrt(v)).epsilon(1e-5));
  }
}

TEST_CASE("initializers follow Keras' definitions") {
  std::vector<float> p(kParams);
  auto conv2 = [&] { return std::vector<float>(p.begin() + 176, p.begin() + 2480); };
  auto stats = [](const std::vector<float>& v, double* mean, double* sd, double* top) {
    double s = 0, q = 0;
    *top = 0;
    for (float x : v) {
      s += x;
      q += double(x) * x;
      *top = std::max(*top, std::fabs(double(x)));
    }
    *mean = s / v.size();
    *sd = std::sqrt(q / v.size() - *mean * *mean);
  };
  double mean, sd, top;
  RunConfig cfg;
  std::mt19937_64 rng(5);
  cfg.w_init = Init::kHeNormal;
  initialize(p.data(), cfg, rng);
  stats(conv2(), &mean, &sd, &top);
  CHECK(sd == doctest::Approx(std::sqrt(2.0 / 144)).epsilon(0.05));  // truncation rescaled away
  CHECK(top <= 2 * std::sqrt(2.0 / 144) / 0.87962566103423978 + 1e-6);
  cfg.w_init = Init::kGlorotNormal;
  initialize(p.data(), cfg, rng);
  stats(conv2(), &mean, &sd, &top);
  CHECK(sd == doctest::Approx(std::sqrt(2.0 / 288)).epsilon(0.05));
  cfg.w_init = Init::kRandomNormal;
  cfg.init_std = 0.2;
  initialize(p.data(), cfg, rng);
  stats(conv2(), &mean, &sd, &top);
  CHECK(sd == doctest::Approx(0.2).epsilon(0.05));
  CHECK(top > 0.4);  // not truncated
  cfg.w_init = Init::kTruncatedNormal;
  initialize(p.data(), cfg, rng);
  stats(conv2(), &mean, &sd, &top);
  CHECK(top <= 0.4 + 1e-6);
  CHECK(sd == doctest::Approx(0.2 * 0.87962566103423978).epsilon(0.05));
  cfg.w_init = Init::kOrthogonal;
  cfg.bias_ones = true;
  initialize(p.data(), cfg, rng);
  // Flattened (144, 16): orthonormal columns. Dense (16, 10): orthonormal columns too.
  const float* k = p.data() + 176;
  for (int a = 0; a < 16; ++a) {
    for (int b = 0; b < 16; ++b) {
      double dot = 0;
      for (int r = 0; r < 144; ++r) dot += double(k[r * 16 + a]) * k[r * 16 + b];
      CHECK(dot == doctest::Approx(a == b ? 1.0 : 0.0).scale(1.0).epsilon(1e-5));
    }
  }
  CHECK(p[0] == 1.0f);
  CHECK(p[4800] == 1.0f);
}

TEST_CASE("hyperparameter sampling stays in the documented ranges and is deterministic") {
  int relu = 0, ones = 0;
  for (std::uint32_t run = 0; run < 400; ++run) {
    const RunConfig c = sample_config(7, run);
    CHECK(c.learning_rate >= 5e-4);
    CHECK(c.learning_rate <= 5e-2);
    CHECK(c.l2 >= 1e-8);
    CHECK(c.l2 <= 1e-2);
    CHECK(c.dropout >= 0);
    CHECK(c.dropout <= 0.7);
    CHECK(c.init_std >= 1e-3);
    CHECK(c.init_std <= 0.5);
    relu += c.activation == Activation::kRelu;
    ones += c.bias_ones;
  }
  CHECK(relu > 150);
  CHECK(relu < 250);
  CHECK(ones > 60);
  CHECK(ones < 140);
  CHECK(sample_config(7, 3).learning_rate == sample_config(7, 3).learning_rate);
  CHECK(sample_config(7, 3).learning_rate != sample_config(8, 3).learning_rate);
}
