// Histogram-based gradient-boosted regression trees (L2 loss), in the spirit of LightGBM and
// XGBoost's `hist`: features quantised to at most 256 bins once, per-node gradient histograms,
// the sibling's histogram by subtraction, level-wise growth to a depth limit.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "model/model_spec.hpp"

namespace dpa::tools {

// A dense row-major float matrix view.
struct MatrixView {
  const float* data = nullptr;
  std::size_t rows = 0, cols = 0;
  const float* row(std::size_t r) const { return data + r * cols; }
};

struct GbdtParams {
  int num_trees = 500;
  int max_depth = 6;
  double learning_rate = 0.05;
  double min_child_weight = 1.0;  // minimum hessian (rows, for L2) in a child
  double lambda = 1.0;            // L2 regularisation of leaf values
  double min_split_gain = 0.0;
  double subsample = 0.8;         // rows per tree
  double colsample = 0.8;         // features per tree
  int max_bins = 256;
  int early_stopping_rounds = 50; // on the validation set; 0 = off
  std::uint64_t seed = 0;
  unsigned threads = 1;
};

struct GbdtTraining {
  GbdtModel model;
  int best_iteration = 0;                 // trees kept
  std::vector<double> validation_rmse;    // per round, when a validation set is given
};

// progress(trees_done, validation_rmse or NaN)
GbdtTraining train_gbdt(const MatrixView& x, const std::vector<float>& y, const MatrixView* x_valid,
                        const std::vector<float>* y_valid, const GbdtParams& params,
                        const std::function<void(int, double)>& progress = {});

}  // namespace dpa::tools
