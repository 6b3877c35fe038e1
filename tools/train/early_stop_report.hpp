// How much training early stopping saves on a zoo, and what it costs: a final-accuracy
// predictor trained on some runs decides, for the other runs, at an early checkpoint, whether
// to stop them (through the runtime's dpa_early_stop_check, exactly as a training loop would).
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "train/pipeline.hpp"

namespace dpa::tools {

struct StopRule {
  float stop_below = NAN;  // absolute threshold on the predicted final accuracy
  float max_gap = 0;       // or: more than this below the best prediction so far
  std::string name() const;
};

struct StopOutcome {
  StopRule rule;
  std::size_t runs = 0, stopped = 0;
  double epochs_saved_share = 0;     // of all epochs the held-out runs would have trained
  std::size_t best_runs = 0;         // the best 10 % of held-out runs by final accuracy
  std::size_t best_runs_stopped = 0;
  double mean_final_of_stopped = 0;  // their actual final accuracy
};

struct EarlyStopReport {
  std::uint32_t step = 1;
  TrainReport predictor;  // the final-accuracy predictor's own held-out metrics
  std::vector<StopOutcome> outcomes;
};

// context: the --context list the predictor reads besides the weights (train/context.hpp).
EarlyStopReport early_stop_report(const ZooDataset& zoo, std::uint32_t step, const std::vector<StopRule>& rules,
                                  double test_fraction, std::uint64_t seed, unsigned threads,
                                  const std::string& context = "none");

}  // namespace dpa::tools
