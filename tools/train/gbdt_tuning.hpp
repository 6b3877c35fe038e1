// Choosing GBDT settings for a zoo: a fixed grid of depth, learning rate and minimum child weight
// (12 points), each scored by inner cross-validation over the training runs (no run on two
// sides), rounds chosen by early stopping on each inner fold; grid points train in parallel.
// The choice balances accuracy and ranking: the lowest sum of a point's rank by validation RMSE
// and its rank by validation Kendall tau (ties: RMSE), since early stopping lives on ranking and
// absolute thresholds on accuracy. Deterministic for a seed whatever the threads.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "train/gbdt_trainer.hpp"

namespace dpa::tools {

struct GbdtTrial {
  GbdtParams params;
  double validation_rmse = 0;  // mean over the inner folds
  double validation_tau = 0;   // Kendall tau-b, mean over the inner folds
  double rounds = 0;           // mean best rounds
};

struct GbdtTuning {
  GbdtParams best;                // with num_trees from the inner folds' rounds
  std::vector<GbdtTrial> trials;  // every grid point, in grid order
};

// run_of_row: a run id per training row (rows of one run share a fold). base: settings the grid
// leaves as they are (loss, subsampling, lambda, bins, seed, threads).
GbdtTuning tune_gbdt(const MatrixView& x, const std::vector<float>& y, const std::vector<std::uint32_t>& run_of_row,
                     const GbdtParams& base, int folds, const std::function<void(const std::string&)>& status = {});

}  // namespace dpa::tools
