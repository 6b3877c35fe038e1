// Regression metrics a researcher trusts: R^2 = 1 - MSE / var(y), Kendall's tau-b in
// O(n log n) (Knight's algorithm, ties handled), MAE, RMSE.
#pragma once

#include <cstddef>
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
struct MeanSpread {
  double mean = 0, sd = 0;
};
MeanSpread mean_spread(const std::vector<RegressionMetrics>& folds, double RegressionMetrics::*metric);

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
