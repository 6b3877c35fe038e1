// Ridge regression on standardised features, optionally through a logit link (the paper's
// linear model: fit logit(y), predict sigmoid). Closed form: (X'X + alpha I) w = X'y, Cholesky.
#pragma once

#include <vector>

#include "model/model_spec.hpp"
#include "train/gbdt_trainer.hpp"

namespace dpa::tools {

struct LinearParams {
  double alpha = 1.0;      // ridge strength, on standardised features
  bool logit_link = true;  // targets in (0, 1): fit logit(y) and output through a sigmoid
};

LinearModel train_linear(const MatrixView& x, const std::vector<float>& y, const LinearParams& p);

// Column means and 1/std (1 for constant columns): shared by the linear model and the MLP.
void standardisation(const MatrixView& x, std::vector<float>& mean, std::vector<float>& inv_scale);

}  // namespace dpa::tools
