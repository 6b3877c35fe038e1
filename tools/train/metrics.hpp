// Regression metrics a researcher trusts: R^2 = 1 - MSE / var(y), Kendall's tau-b in
// O(n log n) (Knight's algorithm, ties handled), MAE, RMSE.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace dpa::tools {

struct RegressionMetrics {
  std::size_t n = 0;
  double r2 = 0, kendall_tau = 0, mae = 0, rmse = 0;
};

double r2_score(const std::vector<float>& truth, const std::vector<float>& predicted);
double kendall_tau_b(const std::vector<float>& x, const std::vector<float>& y);
RegressionMetrics evaluate(const std::vector<float>& truth, const std::vector<float>& predicted);

// One metric over several folds: mean and population standard deviation.
// Over the folds that measure the metric (at least two rows and a finite value; a fold of one
// run has no R2): NaN mean and sd when none does, never 0.
struct MeanSpread {
  double mean = NAN, sd = NAN;
  std::size_t measured = 0;  // folds counted
};
MeanSpread mean_spread(const std::vector<RegressionMetrics>& folds, double RegressionMetrics::*metric);
// "0.706 ± 0.012", or "n/a" when no fold measured it.
std::string mean_spread_text(const MeanSpread& m, int digits);

// The metrics summarised over folds, by name: r2, kendall_tau, mae, rmse.
struct NamedMetric {
  const char* name;
  double RegressionMetrics::*field;
};
inline constexpr NamedMetric kNamedMetrics[] = {{"r2", &RegressionMetrics::r2},
                                                {"kendall_tau", &RegressionMetrics::kendall_tau},
                                                {"mae", &RegressionMetrics::mae},
                                                {"rmse", &RegressionMetrics::rmse}};

}  // namespace dpa::tools
