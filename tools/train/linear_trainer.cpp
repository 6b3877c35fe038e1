#include "train/linear_trainer.hpp"

#include <cmath>

#include "common/errors.hpp"

namespace dpa::tools {
namespace {

// Solves (A + alpha I) x = b for a symmetric positive definite A given by its lower triangle
// (overwritten), by Cholesky.
std::vector<double> solve_ridge(std::vector<double>& a, const std::vector<double>& b, std::size_t d, double alpha) {
  for (std::size_t i = 0; i < d; ++i) a[i * d + i] += alpha;
  for (std::size_t j = 0; j < d; ++j) {  // a = L L', L in the lower triangle
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
  std::vector<double> x(d);
  for (std::size_t i = 0; i < d; ++i) {  // L u = b
    double v = b[i];
    for (std::size_t k = 0; k < i; ++k) v -= a[i * d + k] * x[k];
    x[i] = v / a[i * d + i];
  }
  for (std::size_t i = d; i-- > 0;) {  // L' x = u
    double v = x[i];
    for (std::size_t k = i + 1; k < d; ++k) v -= a[k * d + i] * x[k];
    x[i] = v / a[i * d + i];
  }
  return x;
}

}  // namespace

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

namespace {

// The regression target, through the logit when asked, centred; returns its mean (the intercept).
double centred_target(const std::vector<float>& y, bool logit_link, std::vector<double>& target) {
  target.resize(y.size());
  double mean = 0;
  for (std::size_t r = 0; r < y.size(); ++r) {
    double t = y[r];
    if (logit_link) {
      const double clipped = std::min(1.0 - 1e-4, std::max(1e-4, t));
      t = std::log(clipped / (1.0 - clipped));
    }
    target[r] = t;
    mean += t;
  }
  mean /= static_cast<double>(y.size());
  for (double& t : target) t -= mean;
  return mean;
}

void standardised_row(const MatrixView& x, const LinearModel& scaled, std::size_t r, double* out) {
  for (std::size_t c = 0; c < x.cols; ++c)
    out[c] = (x.row(r)[c] - scaled.mean[c]) * static_cast<double>(scaled.inv_scale[c]);
}

// Primal ridge (Z'Z + alpha I) w = Z't, its Gram matrix formed once for every alpha.
std::vector<std::vector<double>> primal_ridge(const MatrixView& x, const LinearModel& scaled,
                                              const std::vector<double>& target, const std::vector<double>& alphas) {
  const std::size_t n = x.rows, d = x.cols;
  std::vector<double> a(d * d, 0.0), b(d, 0.0), z(d);
  for (std::size_t r = 0; r < n; ++r) {
    standardised_row(x, scaled, r, z.data());
    for (std::size_t i = 0; i < d; ++i) {
      b[i] += z[i] * target[r];
      for (std::size_t j = 0; j <= i; ++j) a[i * d + j] += z[i] * z[j];
    }
  }
  std::vector<std::vector<double>> weights;
  for (const double alpha : alphas) {
    std::vector<double> system = a;
    weights.push_back(solve_ridge(system, b, d, alpha));
  }
  return weights;
}

// Dual ridge (ZZ' + alpha I) v = t, w = Z'v: the same w from an n x n system, for more features
// than rows (raw weights).
std::vector<std::vector<double>> dual_ridge(const MatrixView& x, const LinearModel& scaled,
                                            const std::vector<double>& target, const std::vector<double>& alphas) {
  const std::size_t n = x.rows, d = x.cols;
  std::vector<double> z(n * d), k(n * n, 0.0);
  for (std::size_t r = 0; r < n; ++r) standardised_row(x, scaled, r, &z[r * d]);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j <= i; ++j) {
      double dot = 0;
      for (std::size_t c = 0; c < d; ++c) dot += z[i * d + c] * z[j * d + c];
      k[i * n + j] = dot;
    }
  }
  std::vector<std::vector<double>> weights;
  for (const double alpha : alphas) {
    std::vector<double> system = k;
    const std::vector<double> v = solve_ridge(system, target, n, alpha);
    std::vector<double> w(d, 0.0);
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t c = 0; c < d; ++c) w[c] += z[r * d + c] * v[r];
    }
    weights.push_back(std::move(w));
  }
  return weights;
}

}  // namespace

// Ridge on standardised, centred features Z; the intercept is the target mean.
std::vector<LinearModel> train_linear_path(const MatrixView& x, const std::vector<float>& y,
                                           const std::vector<double>& alphas, bool logit_link) {
  if (x.rows == 0 || x.rows != y.size()) throw ToolError("linear: no training rows or size mismatch");
  LinearModel scaled;
  standardisation(x, scaled.mean, scaled.inv_scale);
  std::vector<double> target;
  const double target_mean = centred_target(y, logit_link, target);
  const std::vector<std::vector<double>> weights =
      x.cols <= x.rows ? primal_ridge(x, scaled, target, alphas) : dual_ridge(x, scaled, target, alphas);
  std::vector<LinearModel> out;
  for (const std::vector<double>& w : weights) {
    LinearModel m = scaled;
    m.intercept = static_cast<float>(target_mean);
    m.weight.assign(w.begin(), w.end());
    out.push_back(std::move(m));
  }
  return out;
}

LinearModel train_linear(const MatrixView& x, const std::vector<float>& y, const LinearParams& p) {
  return train_linear_path(x, y, {p.fixed_alpha()}, p.logit_link)[0];
}

}  // namespace dpa::tools
