// Growing a zoo of the Small CNN Zoo network (dpa zoo train): N runs with hyperparameters sampled
// per run, trained in parallel and recorded through the zoo writer (zoo/zoo_writer) a whole run at
// a time, in run order: a reader sees whole runs, and 1 or many threads, or a resumed job, write
// the same bytes. The job's options are recorded beside the zoo (.zoo-train); a resumed job must
// be the same job, and goes on after the last committed run. With an early-stopping model, which
// runs stop is decided in run order too (train/run_order_stops).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cnn/cnn_training.hpp"
#include "model/model_file.hpp"

namespace dpa::tools {

// Hyperparameters fixed for every run (unset ones are sampled per run).
struct FixedConfig {
  std::optional<cnn::Optimizer> optimizer;
  std::optional<cnn::Activation> activation;
  std::optional<cnn::Init> w_init;
  std::optional<double> learning_rate, dropout, l2, train_fraction;
  std::string text;  // as given, for the job record: "--optimizer adam --dropout 0.1"
  void apply(cnn::RunConfig& config) const;
};

struct ZooTrainJob {
  std::string data_dir, out;
  std::uint32_t runs = 0;
  cnn::TrainingBudget budget;
  std::uint64_t seed = 0;
  unsigned threads = 1;
  FixedConfig fixed;
  std::shared_ptr<const ModelFile> stopper;  // a final-accuracy model, or none
  float stop_below = 0.5f, max_gap = 0;
};

struct ZooTrainResult {
  std::uint32_t resumed_runs = 0;  // whole runs the zoo held already
  std::uint64_t trained_runs = 0;  // runs trained now
  std::uint64_t checkpoints = 0;   // the zoo's rows
  cnn::TrainingTime time;
  std::uint32_t checks = 0, stops = 0;  // early stopping, this job's
};

// Reads the dataset, prepares ZOO_DIR or resumes it, trains the runs it lacks (progress on stderr).
// Throws ToolError: a directory of anything else than this job's zoo, another job's options, a
// zoo whose runs are not this job's first ones in order.
ZooTrainResult run_zoo_train(const ZooTrainJob& job);

}  // namespace dpa::tools
