// Ridge regression on standardised features, optionally through a logit link (the paper's
// linear model: fit logit(y), predict sigmoid). Closed form: (X'X + alpha I) w = X'y, Cholesky.
#pragma once

#include <cmath>
#include <limits>
#include <vector>

#include "model/model_spec.hpp"
#include "train/gbdt_trainer.hpp"

namespace dpa::tools {

struct LinearParams {
  // Ridge strength, on standardised features. NaN (the default): chosen from kAlphaGrid by
  // validation RMSE when validation rows exist, else 1.
  double alpha = std::numeric_limits<double>::quiet_NaN();
  double fixed_alpha() const { return std::isnan(alpha) ? 1.0 : alpha; }  // the strength without a choice
  bool logit_link = true;  // targets in (0, 1): fit logit(y) and output through a sigmoid
};

// The choices of an automatic alpha: 1e-2 .. 1e7, a decade apart (raw weights want large ones).
inline const std::vector<double> kAlphaGrid = {1e-2, 1e-1, 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};

// One fit per alpha, in order, from one pass over the data (the Gram matrix is formed once).
std::vector<LinearModel> train_linear_path(const MatrixView& x, const std::vector<float>& y,
                                           const std::vector<double>& alphas, bool logit_link);
LinearModel train_linear(const MatrixView& x, const std::vector<float>& y, const LinearParams& p);

// Column means and 1/std (1 for constant columns): shared by the linear model and the MLP.
void standardisation(const MatrixView& x, std::vector<float>& mean, std::vector<float>& inv_scale);

}  // namespace dpa::tools
