// The sweep learner measured as a sweep meets its trials: R random orders of N runs of a zoo, in
// each the learner starting from nothing (or from the history zoos' finished runs), deciding at
// one step; beside it, on the same runs in the same order, the observed metric and the training
// loss under the same percentile rule, and successive halving. Per rule, the mean and standard
// deviation over the orders of the epochs saved, the best 10 % of each order's runs stopped and
// the regret.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sweep/sweep_learner.hpp"
#include "train/stop_rules.hpp"
#include "zoo/zoo_dataset.hpp"

namespace dpa::tools {

struct InSweepOptions {
  std::uint32_t step = 1;           // the checkpoint at which each trial is decided
  std::uint32_t trials = 100;       // runs per order
  std::uint32_t orders = 20;        // random orders
  std::vector<double> percentiles;  // each a rule of every signal
  std::uint32_t startup = 5;
  double audit = 0;
  std::vector<double> halving;  // successive halving etas
  std::uint64_t seed = 0;
  unsigned threads = 1;
};

struct MeanSd {
  double mean = 0, sd = 0;
};

struct InSweepRule {
  Rule rule;
  std::vector<RuleOutcome> orders;  // one per order
  MeanSd epochs_saved_share() const;
  MeanSd best_runs_stopped() const;
  MeanSd regret() const;
  MeanSd stopped() const;
};

struct InSweepLearning {
  double percentile = 0;
  MeanSd fits, predicted_share;  // per order: refits, share of decisions scored by the predictor
  MeanSd first_trusted_trial;    // per order: the trial (1-based) of the first predictor-scored decision
  std::uint32_t orders_never_trusted = 0;
};

struct InSweepReport {
  std::uint32_t step = 1, trials = 0, orders = 0, available_runs = 0, history_runs = 0;
  std::vector<std::string> metrics, hyperparameters;  // what the learner reads besides the statistics
  std::vector<InSweepRule> rules;
  std::vector<InSweepLearning> learning;  // one per percentile
  double seconds = 0;
};

// status: a line per order (progress), may be empty.
InSweepReport in_sweep_replay(const ZooDataset& zoo, const std::vector<const ZooDataset*>& history,
                              const InSweepOptions& options, const std::function<void(const std::string&)>& status);

}  // namespace dpa::tools
