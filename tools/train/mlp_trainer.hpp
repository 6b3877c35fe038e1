// A small MLP on standardised features (two ReLU layers, sigmoid output), trained with Adam on
// squared error, with early stopping on the validation set.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "model/model_spec.hpp"
#include "train/gbdt_trainer.hpp"

namespace dpa::tools {

struct MlpParams {
  std::vector<std::uint32_t> hidden = {64, 32};
  double learning_rate = 1e-3;
  int batch_size = 64;
  int max_epochs = 300;
  int patience = 25;  // epochs without validation improvement before stopping
  std::uint64_t seed = 0;
};

// The returned model's raw score is a logit: use it with the sigmoid output transform.
MlpModel train_mlp(const MatrixView& x, const std::vector<float>& y, const MatrixView* x_valid,
                   const std::vector<float>* y_valid, const MlpParams& p,
                   const std::function<void(int, double)>& progress = {});

}  // namespace dpa::tools
