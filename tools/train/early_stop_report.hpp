// How much training early stopping saves on a zoo, and what it costs, against the pruners people
// already use. Runs are replayed in zoo order, as a search would meet them: our final-accuracy
// predictor decides at an early checkpoint (through the runtime's dpa_early_stop_check_inputs for
// the threshold and gap rules), and so do the baselines, from the zoo's own metrics: the observed
// test accuracy and training loss under the same percentile rule, and successive halving.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "train/pipeline.hpp"
#include "train/stop_rules.hpp"

namespace dpa::tools {

struct EarlyStopOptions {
  std::uint32_t step = 1;           // the checkpoint at which to decide
  std::vector<double> below, gap;   // model (and test_accuracy, below) thresholds
  std::vector<double> percentiles;  // every signal at the step
  std::uint32_t startup = 5;        // runs seen before a percentile rule stops any
  std::vector<double> halving;      // successive halving reduction factors (eta)
  int folds = 2;                    // run-level folds: train on the others, replay one
  std::string model_path;           // replay with this model instead of training
  std::string context = "none";     // what a trained predictor reads besides weights
  bool tune = false;                // tune each fold's predictor (dpa train --tune)
  std::string train_checkpoints;    // rows the predictor trains on ("" = the step's alone)
  std::uint64_t seed = 0;
  unsigned threads = 1;
};

struct EarlyStopReport {
  std::uint32_t step = 1;
  int replays = 0;                    // folds replayed (1 with a given model)
  std::size_t excluded_runs = 0;      // --model on its training zoo: runs it saw, not replayed
  std::string range_warning;          // --model: context values outside its training ranges, or ""
  RegressionMetrics predictor;        // the predictor's final-accuracy metrics on replayed runs
  std::string context;                // what it reads besides the weights
  std::vector<RuleOutcome> outcomes;  // summed over the replays
};

EarlyStopReport early_stop_report(const ZooDataset& zoo, const EarlyStopOptions& options);

// A run's checkpoints in a zoo.
struct RunRows {
  std::string name;
  std::vector<std::size_t> rows;  // ascending step
};
// Every run, in the order runs first appear in the zoo.
std::vector<RunRows> runs_of(const ZooMetrics& metrics);

}  // namespace dpa::tools
