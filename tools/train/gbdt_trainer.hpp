// Histogram-based gradient-boosted regression trees, in the spirit of LightGBM and XGBoost's
// `hist`: features quantised to at most 256 bins once, per-node gradient and hessian histograms,
// the sibling's histogram by subtraction, level-wise growth to a depth limit. The loss is one
// entry of a table (gradients, hessians, initial score, output transform).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/model_spec.hpp"

namespace dpa::tools {

// A dense row-major float matrix view.
struct MatrixView {
  const float* data = nullptr;
  std::size_t rows = 0, cols = 0;
  const float* row(std::size_t r) const { return data + r * cols; }
};

// A loss: what boosting minimises and how a raw score becomes a prediction. Targets are
// accuracies in [0, 1].
struct GbdtLoss {
  const char* name;
  double (*initial_score)(double mean_target);
  // First and second derivative of the loss of one row at raw score s.
  void (*derivatives)(double score, double target, double* gradient, double* hessian);
  double (*prediction)(double score);  // the model's output of a raw score
  dpa_output_transform transform;      // the same, as the runtime applies it
};
// "l2" (squared error, scores are predictions, clamped to [0, 1]) or "logistic" (cross-entropy
// on the logit: predictions through a sigmoid). Throws UsageError naming the losses.
const GbdtLoss& find_gbdt_loss(const std::string& name);

struct GbdtParams {
  const GbdtLoss* loss = &find_gbdt_loss("l2");
  int num_trees = 500;
  int max_depth = 6;
  double learning_rate = 0.05;
  double min_child_weight = 1.0;  // minimum hessian (rows, for L2) in a child
  double lambda = 1.0;            // L2 regularisation of leaf values
  double min_split_gain = 0.0;
  double subsample = 0.8;  // rows per tree
  double colsample = 0.8;  // features per tree
  int max_bins = 256;
  int early_stopping_rounds = 50;  // on the validation set; 0 = off
  std::uint64_t seed = 0;
  unsigned threads = 1;
  // Histograms of nodes holding a large share of the rows built by column (faster; the same
  // sums, so the same trees); false: every one by row (a test compares the two).
  bool column_histograms = true;
};

struct GbdtTraining {
  GbdtModel model;
  int best_iteration = 0;               // trees kept
  std::vector<double> validation_rmse;  // per round, when a validation set is given
};

// A row is in a tree's sample when its draw d of std::mt19937_64 is below this bound (subsample
// fraction < 1): exactly where std::uniform_real_distribution<double>(0, 1) of d, as libstdc++
// computes it (double(d) / 2^64, kept below 1), is below the fraction, the rule trees were
// always sampled by, without a float conversion and a branch per row.
std::uint64_t sample_draw_bound(double fraction);

// progress(trees_done, validation_rmse or NaN)
GbdtTraining train_gbdt(const MatrixView& x, const std::vector<float>& y, const MatrixView* x_valid,
                        const std::vector<float>* y_valid, const GbdtParams& params,
                        const std::function<void(int, double)>& progress = {});

}  // namespace dpa::tools
