// A zoo's runs as the sweep learner meets them: each finished run's checkpoints, with the stored
// statistics and the loop's metrics the learner reads, and what the replayed baselines read. The
// in-sweep replay's trials and the history of past sweeps (live or replayed) both come from here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sweep/sweep_learner.hpp"
#include "train/stop_rules.hpp"
#include "zoo/zoo_dataset.hpp"

namespace dpa::tools {

// A run of a zoo as the learner meets it.
struct SweepRun {
  std::string name;
  std::uint32_t epochs = 0;
  SweepHyper hyper;
  std::vector<std::uint32_t> steps;
  std::vector<const float*> statistics, metrics;  // per checkpoint, into SweepData
  ReplayRun replay;                               // for the baselines
};

struct SweepData {
  std::vector<float> statistics, metrics;  // per row used: the stored set; the learner's metrics
  std::vector<SweepRun> runs;
};

// The config.* columns a zoo needs for itself, never a hyperparameter: the run's planned last step
// and its seed. A sweep's own hyperparameter of such a name is recorded as config.hyper.NAME.
constexpr const char* kReservedConfigColumns[] = {"config.epochs", "config.random_seed"};
bool is_reserved_config(const std::string& column);
// The zoo column a sweep's hyperparameter is recorded in: config.NAME, or config.hyper.NAME when
// config.NAME is reserved.
std::string hyperparameter_column(const std::string& name);

// What the learner reads of a zoo besides the statistics: test_accuracy (the observed metric)
// and those of train_loss, train_accuracy, test_loss that a zoo has for every row; and the
// config.* columns that vary (config.epochs and config.random_seed aside).
struct SweepColumns {
  std::vector<std::string> metrics = {"test_accuracy"};
  std::vector<std::string> hyperparameters;  // config.* names
};
SweepColumns columns_of(const ZooMetrics& metrics);

// A run's hyperparameters at a row: the named config.* columns (missing values left out).
SweepHyper hyper_of(const ZooMetrics& metrics, const std::vector<std::string>& hyperparameters, std::size_t row);

// The finished runs of a zoo, in zoo order, reading columns c (a zoo lacking one is a ToolError).
// step: only the runs with a checkpoint at that step before their last (nullptr: every finished run).
SweepData load_runs(const ZooDataset& zoo, const SweepColumns& c, const std::uint32_t* step, unsigned threads);

}  // namespace dpa::tools
