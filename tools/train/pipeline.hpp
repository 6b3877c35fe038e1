// Zoo -> selected rows -> features -> trained predictor -> verified model bytes, and evaluation
// of model bytes on a zoo. Predictions always go through the runtime (dpa_model_*): the host and
// the device compute the same numbers with the same code.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/model_file.hpp"
#include "train/gbdt_trainer.hpp"
#include "train/gbdt_tuning.hpp"
#include "train/linear_trainer.hpp"
#include "train/metrics.hpp"
#include "train/mlp_trainer.hpp"
#include "zoo/row_selection.hpp"
#include "zoo/zoo_dataset.hpp"

namespace dpa::tools {

enum class ModelKind { kGbdt, kLinear, kMlp };
ModelKind parse_model_kind(const std::string& text);
const char* model_kind_name(ModelKind k);
std::string model_kind_choices();  // "gbdt|linear|mlp", from the trainer table

// --inputs: what a model reads of a network's weights, besides its --context values.
struct WeightInputs {
  const char* name;         // "stats", "raw", "none"
  bool weights;             // a weights block at all
  dpa_input_kind kind;      // the weights block's kind
  const char* description;  // for messages and reports
};
// The table every command, usage text and report iterates.
const std::vector<WeightInputs>& weight_inputs_table();
const WeightInputs& find_weight_inputs(const std::string& name);  // throws UsageError naming the choices
std::string weight_inputs_choices();                              // "stats|raw|none"

struct TrainOptions {
  ModelKind kind = ModelKind::kGbdt;
  const WeightInputs* inputs = &find_weight_inputs("stats");
  dpa_stats_set stats = DPA_STATS_PAPER;
  std::string context = "none";  // --context: metrics columns and presets (train/context.hpp)
  CheckpointSelection checkpoints;
  Target target = Target::kTestAccuracy;
  double test_fraction = 0.2;        // of runs, held out
  double validation_fraction = 0.1;  // of runs, for early stopping
  int folds = 0, fold = 0;           // folds > 0: fold `fold` of the runs is held out instead
  std::uint64_t seed = 0;
  unsigned threads = 1;
  GbdtParams gbdt;
  bool tune = false;  // GBDT: pick depth, learning rate, min child weight by inner folds (gbdt_tuning)
  TreeLayout tree_layout = TreeLayout::automatic;
  dpa_leaf_format leaves = DPA_LEAF_FLOAT32;  // GBDT: float16 leaves (sparse layout) when asked
  // GBDT: > 0 caps the model file's bytes: the depth (at most gbdt.max_depth) and the number of
  // trees whose file fits with the lowest validation RMSE.
  std::size_t max_bytes = 0;
  LinearParams linear;
  MlpParams mlp;
};

struct TrainReport {
  std::vector<unsigned char> model_bytes;
  RegressionMetrics validation, test;
  std::vector<float> test_truth, test_predicted;  // the held-out rows, through the runtime
  std::size_t train_rows = 0, validation_rows = 0, test_rows = 0;
  std::size_t validation_runs = 0, test_runs = 0;
  std::uint64_t dropped_non_finite = 0, dropped_unfinished = 0;
  std::uint64_t dropped_missing_context = 0;  // of dropped_non_finite: rows missing a context value
  std::string missing_context;                // which: "config.dropout in 399 rows"
  int trees = 0;
  double feature_seconds = 0, train_seconds = 0;
  std::string context;   // the context values the model reads, context_summary()
  GbdtParams gbdt;       // the GBDT settings used (tuned ones with TrainOptions::tune)
  int budget_depth = 0;  // with max_bytes: the depth chosen
  double alpha = 0;      // linear: the ridge strength used (chosen on validation runs by default)
};

// The rows a model is trained and tested on and their weights block (statistics or raw weights),
// computed once: cross-validation folds and report cells train on the same rows without
// recomputing. Rows are chosen from the metrics first; only those are read.
struct TrainingRows {
  SelectedRows selected;       // rows whose weights block is finite
  std::vector<float> weights;  // selected.rows.size() x per_row (nothing when no weights are read)
  std::size_t per_row = 0;
  std::string key;  // the options it was computed for (training_rows_key)
  double seconds = 0;
};
// show_progress: a progress line on stderr while the weights are read.
TrainingRows training_rows(const ZooDataset& zoo, const TrainOptions& options, bool show_progress = false);
// Options that decide the rows and their weights block: inputs, statistics, checkpoints, target.
std::string training_rows_key(const TrainOptions& options);

// Trains on rows from training_rows() with the same key (else std::invalid_argument).
TrainReport train_predictor(const ZooDataset& zoo, const TrainOptions& options, const TrainingRows& rows,
                            const std::function<void(const std::string&)>& status = {});
TrainReport train_predictor(const ZooDataset& zoo, const TrainOptions& options,
                            const std::function<void(const std::string&)>& status = {});

struct Evaluation {
  RegressionMetrics metrics;
  std::vector<float> truth, predicted;
  std::uint64_t dropped_non_finite = 0, dropped_unfinished = 0;
  bool split_known = false;         // the model records the split it was trained with
  bool own_zoo = false;             // the zoo the model was trained on
  bool zoo_changed = false;         // ... after runs were added, removed or renamed
  std::uint64_t excluded_runs = 0;  // of those, runs it was trained or validated on, left out
  std::string range_warning;        // context values outside what the model was trained on, or ""
};

// Evaluates a loaded model on every usable row of the zoo for that selection and target, with the
// context values it reads taken from the zoo's metrics. On the zoo it was trained on, only the
// runs it never saw count unless all_runs. only_runs, when given, chooses the runs instead
// (by modeldir). show_progress: a progress line on stderr.
Evaluation evaluate_model(const dpa_model& model, const ZooDataset& zoo, const CheckpointSelection& checkpoints,
                          Target target, unsigned threads, bool all_runs = false, bool show_progress = false,
                          const std::function<bool(const std::string&)>& only_runs = {});

}  // namespace dpa::tools
