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

std::vector<LinearModel> train_linear_path(const MatrixView& x, const std::vector<float>& y,
                                           const std::vector<double>& alphas, bool logit_link) {
  const std::size_t n = x.rows, d = x.cols;
  if (n == 0 || n != y.size()) throw ToolError("linear: no training rows or size mismatch");
  LinearModel scaled;
  standardisation(x, scaled.mean, scaled.inv_scale);
  std::vector<double> target(n);
  double target_mean = 0;
  for (std::size_t r = 0; r < n; ++r) {
    double t = y[r];
    if (logit_link) {
      const double clipped = std::min(1.0 - 1e-4, std::max(1e-4, t));
      t = std::log(clipped / (1.0 - clipped));
    }
    target[r] = t;
    target_mean += t;
  }
  target_mean /= static_cast<double>(n);
  for (double& t : target) t -= target_mean;
  auto standardised = [&](std::size_t r, double* out) {
    for (std::size_t c = 0; c < d; ++c) out[c] = (x.row(r)[c] - scaled.mean[c]) * static_cast<double>(scaled.inv_scale[c]);
  };
  // Ridge on standardised, centred features Z (the intercept is the target mean): the primal
  // (Z'Z + alpha I) w = Z't, or with more features than rows (raw weights) the dual
  // (ZZ' + alpha I) v = t, w = Z'v -- the same w from an n x n system instead of d x d. The
  // Gram matrix is formed once for every alpha.
  std::vector<std::vector<double>> weights;
  if (d <= n) {
    std::vector<double> a(d * d, 0.0), b(d, 0.0), z(d);
    for (std::size_t r = 0; r < n; ++r) {
      standardised(r, z.data());
      for (std::size_t i = 0; i < d; ++i) {
        b[i] += z[i] * target[r];
        for (std::size_t j = 0; j <= i; ++j) a[i * d + j] += z[i] * z[j];
      }
    }
    for (const double alpha : alphas) {
      std::vector<double> system = a;
      weights.push_back(solve_ridge(system, b, d, alpha));
    }
  } else {
    std::vector<double> z(n * d), k(n * n, 0.0);
    for (std::size_t r = 0; r < n; ++r) standardised(r, &z[r * d]);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j <= i; ++j) {
        double dot = 0;
        for (std::size_t c = 0; c < d; ++c) dot += z[i * d + c] * z[j * d + c];
        k[i * n + j] = dot;
      }
    }
    for (const double alpha : alphas) {
      std::vector<double> system = k;
      const std::vector<double> v = solve_ridge(system, target, n, alpha);
      std::vector<double> w(d, 0.0);
      for (std::size_t r = 0; r < n; ++r) {
        for (std::size_t c = 0; c < d; ++c) w[c] += z[r * d + c] * v[r];
      }
      weights.push_back(std::move(w));
    }
  }
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
