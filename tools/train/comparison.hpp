// The paper's comparison on a user's own zoos: each predictor on each kind of input by run-level
// cross-validation per zoo, and a transfer matrix across zoos (GBDT on statistics trained on one
// zoo, scored on every zoo's held-out runs). `dpa report` turns it into tables and figures.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "train/metrics.hpp"
#include "train/pipeline.hpp"

namespace dpa::tools {

// The input kinds compared: the paper's W-stats, W and H, and W-stats with H.
struct ComparisonInputs {
  const char* name;     // "W-stats", "W", "H", "W-stats+H"
  const char* inputs;   // as --inputs
  const char* context;  // as --context
  const char* meaning;  // for the summary
};
const std::vector<ComparisonInputs>& comparison_inputs();
// A --inputs list: "default" (every kind but W, whose raw weights make the slowest cells), "all",
// or names from the table, comma-separated ("W-stats,W"). Throws UsageError naming the choices.
std::vector<const ComparisonInputs*> parse_comparison_inputs(const std::string& list);
// gbdt, linear, mlp: the paper's GBM, logit-linear and DNN.
const std::vector<ModelKind>& comparison_models();

struct ComparisonOptions {
  int folds = 5;               // run-level folds per cell
  bool quick = false;          // fewer trees and epochs (CI); folds as given
  std::uint64_t seed = 0;      // folds, splits and training
  double test_fraction = 0.2;  // transfer: the runs of each zoo held out
  unsigned threads = 1;
  std::vector<const ComparisonInputs*> inputs = parse_comparison_inputs("default");  // the columns
};

// One predictor on one kind of input: metrics of each held-out fold.
struct ComparisonCell {
  ModelKind model = ModelKind::kGbdt;
  const ComparisonInputs* inputs = nullptr;
  std::vector<RegressionMetrics> folds;
  std::vector<float> truth, predicted;  // the held-out rows of every fold
  double seconds = 0;
  std::string skipped;  // why there is no result ("" when there is)
};

struct ZooComparison {
  std::string name, dir;
  std::size_t runs = 0;
  std::size_t statistics = 0;  // W-stats: the paper's statistics of each of its weight tensors
  std::vector<float> final_test_accuracy, final_train_accuracy;  // one per finished run (train: NaN when absent)
  std::vector<ComparisonCell> cells;                             // models x inputs, in table order
};

struct TransferCell {
  RegressionMetrics metrics;
  std::vector<float> truth, predicted;
  std::string skipped;
};

struct Comparison {
  std::vector<ZooComparison> zoos;
  std::vector<std::vector<TransferCell>> transfer;  // [trained on][scored on]
  ComparisonOptions options;
  double seconds = 0;
};

// Every zoo by cross-validation, then the transfer matrix. status: one line per step.
Comparison run_comparison(const std::vector<std::string>& dirs, const ComparisonOptions& options,
                          const std::function<void(const std::string&)>& status);

// The options every cell of that predictor and input kind trains with (fold not set).
TrainOptions comparison_train_options(ModelKind model, const ComparisonInputs& inputs,
                                      const ComparisonOptions& options);

}  // namespace dpa::tools
