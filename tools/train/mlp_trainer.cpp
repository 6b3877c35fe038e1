#include "train/mlp_trainer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "common/errors.hpp"
#include "train/linear_trainer.hpp"

namespace dpa::tools {
namespace {

struct Layer {
  std::size_t in, out;
  bool relu;
  std::vector<double> w, b, gw, gb, mw, vw, mb, vb;  // parameters, gradients, Adam moments
};

double sigmoid(double s) { return 1.0 / (1.0 + std::exp(-s)); }

// Forward pass; acts[k] holds the input of layer k (acts[0] = standardised x). Returns the logit.
double forward(std::vector<Layer>& layers, std::vector<std::vector<double>>& acts) {
  for (std::size_t k = 0; k < layers.size(); ++k) {
    Layer& l = layers[k];
    std::vector<double>& out = acts[k + 1];
    for (std::size_t o = 0; o < l.out; ++o) {
      double z = l.b[o];
      const double* row = &l.w[o * l.in];
      for (std::size_t i = 0; i < l.in; ++i) z += row[i] * acts[k][i];
      out[o] = l.relu ? std::max(0.0, z) : z;
    }
  }
  return acts.back()[0];
}

double validation_rmse(std::vector<Layer>& layers, std::vector<std::vector<double>>& acts, const MatrixView& x,
                       const std::vector<float>& y, const MlpModel& scaling) {
  double sq = 0;
  for (std::size_t r = 0; r < x.rows; ++r) {
    for (std::size_t c = 0; c < x.cols; ++c)
      acts[0][c] = (x.row(r)[c] - scaling.mean[c]) * static_cast<double>(scaling.inv_scale[c]);
    const double d = sigmoid(forward(layers, acts)) - y[r];
    sq += d * d;
  }
  return std::sqrt(sq / static_cast<double>(x.rows));
}

MlpModel to_model(const std::vector<Layer>& layers, const MlpModel& scaling) {
  MlpModel m;
  m.mean = scaling.mean;
  m.inv_scale = scaling.inv_scale;
  for (const Layer& l : layers) {
    MlpLayer out;
    out.inputs = static_cast<std::uint32_t>(l.in);
    out.outputs = static_cast<std::uint32_t>(l.out);
    out.activation = l.relu ? DPA_ACTIVATION_RELU : DPA_ACTIVATION_NONE;
    out.weight.assign(l.w.begin(), l.w.end());
    out.bias.assign(l.b.begin(), l.b.end());
    m.layers.push_back(std::move(out));
  }
  return m;
}

// He-initialised layers x.cols -> hidden... -> 1, ReLU between, the last linear (a logit).
std::vector<Layer> initial_layers(const std::vector<std::size_t>& widths, std::mt19937_64& rng) {
  std::vector<Layer> layers;
  for (std::size_t k = 0; k + 1 < widths.size(); ++k) {
    Layer l;
    l.in = widths[k];
    l.out = widths[k + 1];
    l.relu = k + 2 < widths.size();
    std::normal_distribution<double> init(0.0, std::sqrt(2.0 / static_cast<double>(l.in)));  // He
    l.w.resize(l.in * l.out);
    for (double& v : l.w) v = init(rng);
    l.b.assign(l.out, 0.0);
    l.gw.assign(l.w.size(), 0.0);
    l.mw = l.vw = l.gw;
    l.gb.assign(l.out, 0.0);
    l.mb = l.vb = l.gb;
    layers.push_back(std::move(l));
  }
  return layers;
}

// Adds one row's gradient of the squared error of sigmoid(logit) to the layers' gradients;
// acts[0] holds the standardised row.
void accumulate_gradient(std::vector<Layer>& layers, std::vector<std::vector<double>>& acts,
                         std::vector<std::vector<double>>& deltas, double target) {
  const double out = sigmoid(forward(layers, acts));
  deltas.back()[0] = 2.0 * (out - target) * out * (1.0 - out);  // d loss / d logit
  for (std::size_t k = layers.size(); k-- > 0;) {
    Layer& l = layers[k];
    std::fill(deltas[k].begin(), deltas[k].end(), 0.0);
    for (std::size_t o = 0; o < l.out; ++o) {
      double d = deltas[k + 1][o];
      if (l.relu && acts[k + 1][o] <= 0.0) d = 0.0;
      if (d == 0.0) continue;
      l.gb[o] += d;
      double* gw = &l.gw[o * l.in];
      const double* w = &l.w[o * l.in];
      for (std::size_t j = 0; j < l.in; ++j) {
        gw[j] += d * acts[k][j];
        deltas[k][j] += d * w[j];
      }
    }
  }
}

// Adam on every parameter with the batch's mean gradient (scale: 1 / batch rows), step >= 1.
void adam_step(std::vector<Layer>& layers, long step, double scale, double learning_rate) {
  const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  const double c1 = 1.0 - std::pow(beta1, static_cast<double>(step)),
               c2 = 1.0 - std::pow(beta2, static_cast<double>(step));
  auto adam = [&](std::vector<double>& w, const std::vector<double>& g, std::vector<double>& m,
                  std::vector<double>& v) {
    for (std::size_t i = 0; i < w.size(); ++i) {
      const double gi = g[i] * scale;
      m[i] = beta1 * m[i] + (1 - beta1) * gi;
      v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
      w[i] -= learning_rate * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
    }
  };
  for (Layer& l : layers) {
    adam(l.w, l.gw, l.mw, l.vw);
    adam(l.b, l.gb, l.mb, l.vb);
  }
}

}  // namespace

MlpModel train_mlp(const MatrixView& x, const std::vector<float>& y, const MatrixView* x_valid,
                   const std::vector<float>* y_valid, const MlpParams& p,
                   const std::function<void(int, double)>& progress) {
  if (x.rows == 0 || x.rows != y.size()) throw ToolError("mlp: no training rows or size mismatch");
  MlpModel scaling;
  standardisation(x, scaling.mean, scaling.inv_scale);
  std::mt19937_64 rng(p.seed);
  std::vector<std::size_t> widths = {x.cols};
  for (std::uint32_t h : p.hidden) widths.push_back(h);
  widths.push_back(1);
  std::vector<Layer> layers = initial_layers(widths, rng);
  std::vector<std::vector<double>> acts(widths.size()), deltas(widths.size());
  for (std::size_t k = 0; k < widths.size(); ++k) {
    acts[k].assign(widths[k], 0.0);
    deltas[k].assign(widths[k], 0.0);
  }
  std::vector<std::size_t> order(x.rows);
  std::iota(order.begin(), order.end(), 0);
  long step = 0;
  double best = std::numeric_limits<double>::infinity();
  std::vector<Layer> best_layers = layers;
  int since_best = 0;
  const bool has_valid = x_valid != nullptr && y_valid != nullptr && x_valid->rows > 0;
  for (int epoch = 0; epoch < p.max_epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    for (std::size_t start = 0; start < order.size(); start += static_cast<std::size_t>(p.batch_size)) {
      const std::size_t end = std::min(order.size(), start + static_cast<std::size_t>(p.batch_size));
      for (Layer& l : layers) {
        std::fill(l.gw.begin(), l.gw.end(), 0.0);
        std::fill(l.gb.begin(), l.gb.end(), 0.0);
      }
      for (std::size_t i = start; i < end; ++i) {
        const std::size_t r = order[i];
        for (std::size_t c = 0; c < x.cols; ++c)
          acts[0][c] = (x.row(r)[c] - scaling.mean[c]) * static_cast<double>(scaling.inv_scale[c]);
        accumulate_gradient(layers, acts, deltas, y[r]);
      }
      adam_step(layers, ++step, 1.0 / static_cast<double>(end - start), p.learning_rate);
    }
    double rmse = std::numeric_limits<double>::quiet_NaN();
    if (has_valid) {
      rmse = validation_rmse(layers, acts, *x_valid, *y_valid, scaling);
      if (rmse < best) {
        best = rmse;
        best_layers = layers;
        since_best = 0;
      } else if (++since_best >= p.patience) {
        if (progress) progress(epoch + 1, rmse);
        break;
      }
    }
    if (progress) progress(epoch + 1, rmse);
  }
  return to_model(has_valid ? best_layers : layers, scaling);
}

}  // namespace dpa::tools
