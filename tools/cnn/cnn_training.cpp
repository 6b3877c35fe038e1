#include "cnn/cnn_training.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

namespace dpa::tools::cnn {
namespace {

constexpr double kTruncatedNormalStd = 0.87962566103423978;  // std of N(0,1) cut at +-2

double truncated_normal(std::mt19937_64& rng, double sigma) {
  std::normal_distribution<double> n(0.0, sigma);
  for (;;) {
    const double x = n(rng);
    if (std::fabs(x) <= 2 * sigma) return x;
  }
}

// Keras Orthogonal: QR of a normal matrix flattened to (rows, cols), signs from diag(R).
void orthogonal(float* out, std::size_t rows, std::size_t cols, std::mt19937_64& rng) {
  const bool transpose = rows < cols;
  const std::size_t r = transpose ? cols : rows, c = transpose ? rows : cols;
  std::normal_distribution<double> n(0.0, 1.0);
  std::vector<double> a(r * c);
  for (double& x : a) x = n(rng);
  // Modified Gram-Schmidt on the columns: a = Q R with R's diagonal the column norms.
  for (std::size_t j = 0; j < c; ++j) {
    for (std::size_t k = 0; k < j; ++k) {
      double dot = 0;
      for (std::size_t i = 0; i < r; ++i) dot += a[i * c + k] * a[i * c + j];
      for (std::size_t i = 0; i < r; ++i) a[i * c + j] -= dot * a[i * c + k];
    }
    double norm = 0;
    for (std::size_t i = 0; i < r; ++i) norm += a[i * c + j] * a[i * c + j];
    norm = std::sqrt(norm);
    for (std::size_t i = 0; i < r; ++i) a[i * c + j] /= norm;
  }
  // Gram-Schmidt's R has a positive diagonal, so Q already carries numpy's sign convention.
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      out[i * cols + j] = static_cast<float>(transpose ? a[j * c + i] : a[i * c + j]);
    }
  }
}

}  // namespace

const char* optimizer_name(Optimizer o) {
  return o == Optimizer::kSgd ? "sgd" : o == Optimizer::kAdam ? "adam" : "rmsprop";
}

const char* init_name(Init i) {
  switch (i) {
    case Init::kHeNormal: return "he_normal";
    case Init::kGlorotNormal: return "glorot_normal";
    case Init::kOrthogonal: return "orthogonal";
    case Init::kRandomNormal: return "RandomNormal";
    case Init::kTruncatedNormal: return "TruncatedNormal";
  }
  return "?";
}

RunConfig sample_config(std::uint64_t job_seed, std::uint32_t run) {
  std::mt19937_64 rng(job_seed * 1000003ull + run);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto log_uniform = [&](double lo, double hi) {
    return std::exp(std::log(lo) + unit(rng) * (std::log(hi) - std::log(lo)));
  };
  RunConfig c;
  c.activation = unit(rng) < 0.5 ? Activation::kRelu : Activation::kTanh;
  c.optimizer = static_cast<Optimizer>(rng() % 3);
  c.learning_rate = log_uniform(5e-4, 5e-2);
  c.l2 = log_uniform(1e-8, 1e-2);
  c.dropout = 0.7 * unit(rng);
  c.init_std = log_uniform(1e-3, 0.5);
  c.w_init = static_cast<Init>(rng() % 5);
  c.bias_ones = rng() % 4 == 0;
  const double fractions[4] = {0.1, 0.25, 0.5, 1.0};
  c.train_fraction = fractions[rng() % 4];
  c.seed = rng();
  return c;
}

void initialize(float* p, const RunConfig& cfg, std::mt19937_64& rng) {
  struct Kernel {
    std::size_t offset, fan_in, fan_out, rows, cols;
  };
  const Kernel kernels[4] = {{kConv[0].kernel, 9, 144, 9, 16},
                             {kConv[1].kernel, 144, 144, 144, 16},
                             {kConv[2].kernel, 144, 144, 144, 16},
                             {kDenseKernel, 16, 10, 16, 10}};
  for (const Kernel& k : kernels) {
    float* w = p + k.offset;
    const std::size_t n = k.rows * k.cols;
    switch (cfg.w_init) {
      case Init::kHeNormal: {
        const double sigma = std::sqrt(2.0 / static_cast<double>(k.fan_in)) / kTruncatedNormalStd;
        for (std::size_t i = 0; i < n; ++i) w[i] = static_cast<float>(truncated_normal(rng, sigma));
        break;
      }
      case Init::kGlorotNormal: {
        const double sigma = std::sqrt(2.0 / static_cast<double>(k.fan_in + k.fan_out)) / kTruncatedNormalStd;
        for (std::size_t i = 0; i < n; ++i) w[i] = static_cast<float>(truncated_normal(rng, sigma));
        break;
      }
      case Init::kOrthogonal: orthogonal(w, k.rows, k.cols, rng); break;
      case Init::kRandomNormal: {
        std::normal_distribution<double> normal(0.0, cfg.init_std);
        for (std::size_t i = 0; i < n; ++i) w[i] = static_cast<float>(normal(rng));
        break;
      }
      case Init::kTruncatedNormal:
        for (std::size_t i = 0; i < n; ++i) w[i] = static_cast<float>(truncated_normal(rng, cfg.init_std));
        break;
    }
  }
  const float b = cfg.bias_ones ? 1.0f : 0.0f;
  for (const LayerOffsets& o : kConv) std::fill(p + o.bias, p + o.bias + kChannels, b);
  std::fill(p + kDenseBias, p + kDenseBias + kClasses, b);
}

OptimizerState::OptimizerState(Optimizer kind, double learning_rate, std::size_t size)
    : kind_(kind), lr_(learning_rate), m_(size, 0.0), v_(size, 0.0) {}

void OptimizerState::step(float* p, const float* g) {
  ++t_;
  const std::size_t n = m_.size();
  switch (kind_) {
    case Optimizer::kSgd:
      for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<float>(p[i] - lr_ * g[i]);
      break;
    case Optimizer::kAdam: {  // Keras: beta1 0.9, beta2 0.999, epsilon 1e-7 outside the sqrt
      const double b1 = 0.9, b2 = 0.999, eps = 1e-7;
      const double alpha =
          lr_ * std::sqrt(1 - std::pow(b2, static_cast<double>(t_))) / (1 - std::pow(b1, static_cast<double>(t_)));
      for (std::size_t i = 0; i < n; ++i) {
        m_[i] = b1 * m_[i] + (1 - b1) * g[i];
        v_[i] = b2 * v_[i] + (1 - b2) * static_cast<double>(g[i]) * g[i];
        p[i] = static_cast<float>(p[i] - alpha * m_[i] / (std::sqrt(v_[i]) + eps));
      }
      break;
    }
    case Optimizer::kRmsprop: {  // Keras: rho 0.9, no momentum, epsilon 1e-7
      const double rho = 0.9, eps = 1e-7;
      for (std::size_t i = 0; i < n; ++i) {
        v_[i] = rho * v_[i] + (1 - rho) * static_cast<double>(g[i]) * g[i];
        p[i] = static_cast<float>(p[i] - lr_ * g[i] / (std::sqrt(v_[i]) + eps));
      }
      break;
    }
  }
}

namespace {

// Pixels scaled to [-1, 1] one image at a time: a run holds no float copy of its images.
void scale_pixels(const std::uint8_t* image, float* out) {
  for (int k = 0; k < kImage * kImage; ++k) out[k] = image[k] / 127.5f - 1.0f;
}

// The first `count` images (at most `available`).
void evaluate(const std::vector<float>& params, const std::uint8_t* images, std::uint32_t available,
              const std::vector<std::uint8_t>& labels, std::uint32_t count, const RunConfig& cfg, double* accuracy,
              double* loss, Workspace<float>& w) {
  count = std::min(count, available);
  float pixels[kImage * kImage];
  double correct = 0, total = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    scale_pixels(images + static_cast<std::size_t>(i) * 784, pixels);
    int predicted;
    total +=
        forward_backward<float>(params.data(), pixels, labels[i], cfg.activation, 0.0, nullptr, nullptr, &predicted, w);
    correct += predicted == labels[i];
  }
  *accuracy = count ? correct / count : 0;
  // Keras reports the loss with the regularisation term, as evaluate() does.
  *loss = (count ? total / count : 0) + l2_penalty<float>(params.data(), cfg.l2, nullptr);
}

}  // namespace

std::vector<Checkpoint> train_run(const ImageDataset& data, const RunConfig& cfg, const TrainingBudget& budget,
                                  const std::function<bool(const Checkpoint&)>& on_checkpoint, TrainingTime* time) {
  std::mt19937_64 rng(cfg.seed);
  std::vector<float> params(kParams), grad(kParams);
  initialize(params.data(), cfg, rng);
  OptimizerState optimizer(cfg.optimizer, cfg.learning_rate, kParams);
  const std::uint32_t pool = std::min(budget.train_pool, data.train_images.count);
  const auto train_count =
      std::max<std::uint32_t>(1, static_cast<std::uint32_t>(std::lround(cfg.train_fraction * pool)));
  std::vector<std::uint32_t> order(train_count);
  std::iota(order.begin(), order.end(), 0u);
  Workspace<float> w;
  DropoutRng dropout_rng(rng());
  float pixels[kImage * kImage];
  std::vector<Checkpoint> out;
  auto checkpoint = [&](std::uint32_t step) {
    Checkpoint c;
    c.step = step;
    evaluate(params, data.test_images.pixels.data(), data.test_images.count, data.test_labels, budget.test_images, cfg,
             &c.test_accuracy, &c.test_loss, w);
    // Train metrics over the run's own training images (the first train_count).
    evaluate(params, data.train_images.pixels.data(), train_count, data.train_labels, budget.train_eval_images, cfg,
             &c.train_accuracy, &c.train_loss, w);
    c.weights = params;
    out.push_back(c);
    return on_checkpoint ? on_checkpoint(out.back()) : true;
  };
  auto wanted = [&](std::uint32_t step) {
    return std::find(budget.checkpoints.begin(), budget.checkpoints.end(), step) != budget.checkpoints.end();
  };
  if (wanted(0) && !checkpoint(0)) return out;
  for (std::uint32_t epoch = 1; epoch <= budget.epochs; ++epoch) {
    const auto epoch_start = std::chrono::steady_clock::now();
    std::shuffle(order.begin(), order.end(), rng);
    for (std::size_t start = 0; start < order.size(); start += budget.batch_size) {
      const std::size_t end = std::min<std::size_t>(order.size(), start + budget.batch_size);
      std::fill(grad.begin(), grad.end(), 0.0f);
      for (std::size_t i = start; i < end; ++i) {
        const std::uint32_t image = order[i];
        scale_pixels(&data.train_images.pixels[static_cast<std::size_t>(image) * 784], pixels);
        forward_backward<float>(params.data(), pixels, data.train_labels[image], cfg.activation, cfg.dropout,
                                &dropout_rng, grad.data(), nullptr, w);
      }
      const float scale = 1.0f / static_cast<float>(end - start);
      for (float& g : grad) g *= scale;
      l2_penalty<float>(params.data(), cfg.l2, grad.data());
      optimizer.step(params.data(), grad.data());
    }
    if (time) {
      time->images += order.size();
      time->seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    }
    if (wanted(epoch) && !checkpoint(epoch)) return out;
  }
  return out;
}

}  // namespace dpa::tools::cnn
