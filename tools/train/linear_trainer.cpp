#include "train/linear_trainer.hpp"

#include <cmath>

#include "common/cli_args.hpp"

namespace dpa::tools {

void standardisation(const MatrixView& x, std::vector<float>& mean, std::vector<float>& inv_scale) {
  mean.assign(x.cols, 0.0f);
  inv_scale.assign(x.cols, 1.0f);
  for (std::size_t c = 0; c < x.cols; ++c) {
    double s = 0, sq = 0;
    for (std::size_t r = 0; r < x.rows; ++r) s += x.row(r)[c];
    const double m = s / static_cast<double>(x.rows);
    for (std::size_t r = 0; r < x.rows; ++r) sq += (x.row(r)[c] - m) * (x.row(r)[c] - m);
    const double sd = std::sqrt(sq / static_cast<double>(x.rows));
    mean[c] = static_cast<float>(m);
    inv_scale[c] = sd > 1e-12 ? static_cast<float>(1.0 / sd) : 1.0f;
  }
}

LinearModel train_linear(const MatrixView& x, const std::vector<float>& y, const LinearParams& p) {
  const std::size_t n = x.rows, d = x.cols;
  if (n == 0 || n != y.size()) throw ToolError("linear: no training rows or size mismatch");
  LinearModel m;
  standardisation(x, m.mean, m.inv_scale);
  std::vector<double> target(n);
  double target_mean = 0;
  for (std::size_t r = 0; r < n; ++r) {
    double t = y[r];
    if (p.logit_link) {
      const double clipped = std::min(1.0 - 1e-4, std::max(1e-4, t));
      t = std::log(clipped / (1.0 - clipped));
    }
    target[r] = t;
    target_mean += t;
  }
  target_mean /= static_cast<double>(n);
  // Normal equations on standardised, centred features: the intercept is the target mean.
  std::vector<double> a(d * d, 0.0), b(d, 0.0), z(d);
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t c = 0; c < d; ++c) z[c] = (x.row(r)[c] - m.mean[c]) * static_cast<double>(m.inv_scale[c]);
    const double t = target[r] - target_mean;
    for (std::size_t i = 0; i < d; ++i) {
      b[i] += z[i] * t;
      for (std::size_t j = 0; j <= i; ++j) a[i * d + j] += z[i] * z[j];
    }
  }
  for (std::size_t i = 0; i < d; ++i) a[i * d + i] += p.alpha;
  // Cholesky: a = L L' (lower triangle in place).
  for (std::size_t j = 0; j < d; ++j) {
    double diag = a[j * d + j];
    for (std::size_t k = 0; k < j; ++k) diag -= a[j * d + k] * a[j * d + k];
    if (diag <= 0) throw ToolError("linear: system not positive definite (raise alpha)");
    a[j * d + j] = std::sqrt(diag);
    for (std::size_t i = j + 1; i < d; ++i) {
      double v = a[i * d + j];
      for (std::size_t k = 0; k < j; ++k) v -= a[i * d + k] * a[j * d + k];
      a[i * d + j] = v / a[j * d + j];
    }
  }
  std::vector<double> w(d);
  for (std::size_t i = 0; i < d; ++i) {  // L u = b
    double v = b[i];
    for (std::size_t k = 0; k < i; ++k) v -= a[i * d + k] * w[k];
    w[i] = v / a[i * d + i];
  }
  for (std::size_t i = d; i-- > 0;) {  // L' w = u
    double v = w[i];
    for (std::size_t k = i + 1; k < d; ++k) v -= a[k * d + i] * w[k];
    w[i] = v / a[i * d + i];
  }
  m.intercept = static_cast<float>(target_mean);
  m.weight.resize(d);
  for (std::size_t i = 0; i < d; ++i) m.weight[i] = static_cast<float>(w[i]);
  return m;
}

}  // namespace dpa::tools
