// Early-stopping rules replayed over runs in search order, for our predictor and for the signals
// learning-curve pruners use: the observed test accuracy (Optuna's MedianPruner and
// PercentilePruner), the training loss, and successive halving (ASHA / Optuna's
// SuccessiveHalvingPruner). Every decision is made in run order from what earlier runs showed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dpa::tools {

// One run as a search sees it: its checkpoints' test accuracies, what it showed at the decision
// step, and (to score the decisions afterwards) its final accuracy.
struct ReplayRun {
  float final_accuracy = 0;
  std::uint32_t epochs = 0;          // config.epochs: what a full run trains
  std::vector<std::uint32_t> steps;  // its checkpoints, ascending
  std::vector<float> test_accuracy;  // at each checkpoint
  float predicted = 0;               // our predictor's final accuracy at the step
  std::vector<char> runtime_stop;    // the runtime's decision per model rule (below/gap)
  float train_loss = 0;              // at the step
  float accuracy_at_step = 0;        // at the step
};

// The signals a rule reads; higher is better for every one (train_loss is negated).
// kInSweep: the sweep learner's score (tools/sweep), decided by the learner itself.
enum class Signal { kModel, kTestAccuracy, kTrainLoss, kSuccessiveHalving, kInSweep };
const char* signal_name(Signal s);

enum class RuleKind { kBelow, kGap, kPercentile, kHalving };
const char* rule_kind_name(RuleKind r);

struct Rule {
  Signal signal;
  RuleKind kind;
  // threshold, gap, percentile (0-100: the top `value` % kept, Optuna's meaning) or reduction factor eta
  double value;
  int runtime_index;  // model below/gap rules: index into ReplayRun::runtime_stop
  std::string name() const;
};

struct RuleOutcome {
  Rule rule;
  std::size_t runs = 0, stopped = 0, best_runs = 0, best_runs_stopped = 0;
  double epochs_all = 0, epochs_saved = 0;
  double regret_sum = 0;  // per replay: best final accuracy overall - best among runs not stopped
  int replays = 0;
  double final_of_stopped_sum = 0;
  double epochs_saved_share() const { return epochs_all > 0 ? epochs_saved / epochs_all : 0; }
  double regret() const { return replays ? regret_sum / replays : 0; }
  double mean_final_of_stopped() const;
};

// The numpy-default (linear) p-th percentile of values (not empty).
double percentile(std::vector<double> values, double p);
double percentile_of_sorted(const std::vector<double>& sorted, double p);  // ascending values

// Adds one search's decisions (runs in order; stop[i], at checkpoint stopped_at[i]) to the outcome:
// epochs saved, the best 10 % of its runs stopped, its regret.
void tally(const std::vector<ReplayRun>& runs, const std::vector<bool>& stop, const std::vector<double>& stopped_at,
           RuleOutcome* out);

// Replays one search (runs in order) under a rule decided at `step`, adding to the outcome.
// startup: percentile rules stop nothing until that many runs were seen.
void replay(const std::vector<ReplayRun>& runs, std::uint32_t step, std::uint32_t startup, RuleOutcome* out);

}  // namespace dpa::tools
