#include "train/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

#include "common/errors.hpp"
#include "common/text_format.hpp"

namespace dpa::tools {
namespace {

// Pairs tied in `keys` within runs of equal keys, for the sorted order `order`.
template <class Equal>
std::uint64_t tied_pairs(const std::vector<std::size_t>& order, Equal equal) {
  std::uint64_t ties = 0, run = 1;
  for (std::size_t i = 1; i <= order.size(); ++i) {
    if (i < order.size() && equal(order[i - 1], order[i])) {
      ++run;
    } else {
      ties += run * (run - 1) / 2;
      run = 1;
    }
  }
  return ties;
}

// Merge sort of `order` by y, counting the swaps (discordant pairs).
std::uint64_t sort_counting_swaps(std::vector<std::size_t>& order, std::vector<std::size_t>& buffer,
                                  const std::vector<float>& y, std::size_t lo, std::size_t hi) {
  if (hi - lo < 2) return 0;
  const std::size_t mid = lo + (hi - lo) / 2;
  std::uint64_t swaps = sort_counting_swaps(order, buffer, y, lo, mid) + sort_counting_swaps(order, buffer, y, mid, hi);
  std::size_t i = lo, j = mid, k = lo;
  while (i < mid && j < hi) {
    if (y[order[j]] < y[order[i]]) {
      swaps += mid - i;
      buffer[k++] = order[j++];
    } else {
      buffer[k++] = order[i++];
    }
  }
  while (i < mid) buffer[k++] = order[i++];
  while (j < hi) buffer[k++] = order[j++];
  std::copy(buffer.begin() + static_cast<long>(lo), buffer.begin() + static_cast<long>(hi),
            order.begin() + static_cast<long>(lo));
  return swaps;
}

void require_same_size(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) throw ToolError("metrics: vectors of different lengths");
}

}  // namespace

double r2_score(const std::vector<float>& truth, const std::vector<float>& predicted) {
  require_same_size(truth, predicted);
  if (truth.empty()) return NAN;
  double mean = 0;
  for (float t : truth) mean += t;
  mean /= static_cast<double>(truth.size());
  double residual = 0, total = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    residual += (static_cast<double>(truth[i]) - predicted[i]) * (static_cast<double>(truth[i]) - predicted[i]);
    total += (truth[i] - mean) * (truth[i] - mean);
  }
  return total > 0 ? 1.0 - residual / total : NAN;
}

double kendall_tau_b(const std::vector<float>& x, const std::vector<float>& y) {
  require_same_size(x, y);
  const std::size_t n = x.size();
  if (n < 2) return NAN;
  std::vector<std::size_t> order(n), buffer(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return x[a] < x[b] || (x[a] == x[b] && y[a] < y[b]); });
  const std::uint64_t tied_x = tied_pairs(order, [&](std::size_t a, std::size_t b) { return x[a] == x[b]; });
  const std::uint64_t tied_xy =
      tied_pairs(order, [&](std::size_t a, std::size_t b) { return x[a] == x[b] && y[a] == y[b]; });
  const std::uint64_t swaps = sort_counting_swaps(order, buffer, y, 0, n);
  const std::uint64_t tied_y = tied_pairs(order, [&](std::size_t a, std::size_t b) { return y[a] == y[b]; });
  const std::uint64_t pairs = static_cast<std::uint64_t>(n) * (n - 1) / 2;
  // concordant - discordant = pairs - ties_x - ties_y + ties_xy - 2 * swaps
  const double numerator = static_cast<double>(pairs) - static_cast<double>(tied_x) - static_cast<double>(tied_y) +
                           static_cast<double>(tied_xy) - 2.0 * static_cast<double>(swaps);
  const double denominator = std::sqrt(static_cast<double>(pairs - tied_x) * static_cast<double>(pairs - tied_y));
  return denominator > 0 ? numerator / denominator : NAN;
}

RegressionMetrics evaluate(const std::vector<float>& truth, const std::vector<float>& predicted) {
  require_same_size(truth, predicted);
  RegressionMetrics m;
  m.n = truth.size();
  if (m.n == 0) return m;
  double abs_sum = 0, sq_sum = 0;
  for (std::size_t i = 0; i < m.n; ++i) {
    const double d = static_cast<double>(truth[i]) - predicted[i];
    abs_sum += std::fabs(d);
    sq_sum += d * d;
  }
  m.mae = abs_sum / static_cast<double>(m.n);
  m.rmse = std::sqrt(sq_sum / static_cast<double>(m.n));
  m.r2 = r2_score(truth, predicted);
  m.kendall_tau = kendall_tau_b(truth, predicted);
  return m;
}

MeanSpread mean_spread(const std::vector<RegressionMetrics>& folds, double RegressionMetrics::*metric) {
  MeanSpread out;
  std::vector<double> values;
  for (const RegressionMetrics& m : folds) {
    if (m.n >= 2 && std::isfinite(m.*metric)) values.push_back(m.*metric);
  }
  out.measured = values.size();
  if (values.empty()) return out;
  out.mean = 0;
  for (const double v : values) out.mean += v;
  out.mean /= static_cast<double>(values.size());
  double squares = 0;
  for (const double v : values) squares += (v - out.mean) * (v - out.mean);
  out.sd = std::sqrt(squares / static_cast<double>(values.size()));
  return out;
}

std::string mean_spread_text(const MeanSpread& m, int digits) {
  return m.measured == 0 ? "n/a" : fixed(m.mean, digits) + " ± " + fixed(m.sd, digits);
}

}  // namespace dpa::tools
