#include "train/comparison.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <unordered_set>

#include "common/cli_args.hpp"
#include "common/errors.hpp"
#include "common/text_format.hpp"
#include "model/model_file.hpp"
#include "train/context.hpp"
#include "zoo/row_selection.hpp"

namespace dpa::tools {

const std::vector<ComparisonInputs>& comparison_inputs() {
  static const std::vector<ComparisonInputs> table = {
      {"W-stats", "stats", "none",
       "the paper's 7 statistics of each weight tensor (its W-stats; 56 on the zoo CNN's 8 tensors)"},
      {"W", "raw", "none", "every weight (the paper's W)"},
      {"H", "none", "hyper", "the hyperparameters alone (the paper's H: every config.* column that varies)"},
      {"W-stats+H", "stats", "hyper", "statistics and hyperparameters together"},
  };
  return table;
}

std::vector<const ComparisonInputs*> parse_comparison_inputs(const std::string& list) {
  std::vector<const ComparisonInputs*> chosen;
  std::string names;
  for (const ComparisonInputs& in : comparison_inputs()) names += (names.empty() ? "" : ", ") + std::string(in.name);
  for (const std::string& item : split(list, ',')) {
    for (const ComparisonInputs& in : comparison_inputs()) {
      const bool wanted = item == "all" || item == in.name || (item == "default" && std::string(in.name) != "W");
      if (wanted && std::find(chosen.begin(), chosen.end(), &in) == chosen.end()) chosen.push_back(&in);
    }
    if (item != "all" && item != "default" &&
        std::none_of(comparison_inputs().begin(), comparison_inputs().end(),
                     [&](const ComparisonInputs& in) { return item == in.name; })) {
      throw UsageError("--inputs: '" + item + "' is none of default, all, " + names);
    }
  }
  // Table order, whatever the list's.
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

const std::vector<ModelKind>& comparison_models() {
  static const std::vector<ModelKind> models = {ModelKind::kGbdt, ModelKind::kLinear, ModelKind::kMlp};
  return models;
}

TrainOptions comparison_train_options(ModelKind model, const ComparisonInputs& inputs, const ComparisonOptions& o) {
  TrainOptions t;
  t.kind = model;
  t.inputs = &find_weight_inputs(inputs.inputs);
  t.context = inputs.context;
  t.checkpoints = parse_checkpoints("final");
  t.target = Target::kTestAccuracy;
  t.seed = o.seed;
  t.threads = o.threads;
  t.test_fraction = o.test_fraction;
  // Thousands of raw weights: a tenth of them per tree, as is usual for wide data (all of them
  // took 3.4x longer on fmnist-ref for the same held-out R2).
  if (model == ModelKind::kGbdt && t.inputs->kind == DPA_INPUT_RAW_WEIGHTS) t.gbdt.colsample = 0.1;
  if (o.quick) {
    t.gbdt.num_trees = 100;
    t.gbdt.learning_rate = 0.1;
    t.gbdt.early_stopping_rounds = 20;
    t.mlp.max_epochs = 40;
    t.mlp.patience = 10;
  }
  return t;
}

namespace {

using Status = std::function<void(const std::string&)>;

// One cell: a predictor on one kind of inputs, by run-level folds (rows read once per key).
ComparisonCell compare_cell(const ZooDataset& zoo, const std::string& zoo_label, ModelKind model,
                            const ComparisonInputs& inputs, const ComparisonOptions& o,
                            std::map<std::string, TrainingRows>& rows, const Status& status) {
  ComparisonCell cell;
  cell.model = model;
  cell.inputs = &inputs;
  TrainOptions t = comparison_train_options(model, inputs, o);
  const auto cell_start = std::chrono::steady_clock::now();
  if (t.context != "none" && resolve_context(t.context, zoo.metrics(), t.target).empty()) {
    cell.skipped = "no hyperparameter (config.*) column varies in this zoo";
    return cell;
  }
  if (t.inputs->kind == DPA_INPUT_RAW_WEIGHTS && zoo.stored_statistics()) {
    cell.skipped = "a statistics zoo holds no weights";
    return cell;
  }
  const std::string key = training_rows_key(t);
  auto cached = rows.find(key);
  if (cached == rows.end()) cached = rows.emplace(key, training_rows(zoo, t, static_cast<bool>(status))).first;
  // The trainer's own progress (trees, epochs), a line every few seconds: no long silence.
  auto last_line = std::chrono::steady_clock::now();
  for (int fold = 0; fold < o.folds; ++fold) {
    t.folds = o.folds;
    t.fold = fold;
    const std::string prefix = zoo_label + ": " + model_kind_name(model) + " on " + inputs.name + ": fold " +
                               std::to_string(fold + 1) + "/" + std::to_string(o.folds) + ": ";
    const auto say = [&](const std::string& line) {
      const auto now = std::chrono::steady_clock::now();
      if (!status || now - last_line < std::chrono::seconds(2)) return;
      last_line = now;
      status(prefix + line);
    };
    say("training");  // folds without a line of their own (ridge) still show that the cell moves
    const TrainReport r = train_predictor(zoo, t, cached->second, say);
    cell.folds.push_back(r.test);
    cell.truth.insert(cell.truth.end(), r.test_truth.begin(), r.test_truth.end());
    cell.predicted.insert(cell.predicted.end(), r.test_predicted.begin(), r.test_predicted.end());
  }
  cell.seconds = seconds_since(cell_start);
  if (status) {
    const MeanSpread r2 = mean_spread(cell.folds, &RegressionMetrics::r2);
    const MeanSpread tau = mean_spread(cell.folds, &RegressionMetrics::kendall_tau);
    status(zoo_label + ": " + model_kind_name(model) + " on " + inputs.name + ": R2 " + mean_spread_text(r2, 3) +
           ", tau " + mean_spread_text(tau, 3) + " (" + std::to_string(o.folds) + " folds, " + fixed(cell.seconds, 1) +
           " s)");
  }
  return cell;
}

// One zoo's cells; `statistics` receives the rows the transfer models train on.
ZooComparison compare_zoo(const ZooDataset& zoo, const std::string& dir, std::unordered_set<std::string>& names,
                          const ComparisonOptions& o, TrainingRows& statistics, const Status& status) {
  ZooComparison z;
  z.dir = dir;
  z.name = zoo_name(dir);
  for (int k = 2; !names.insert(z.name).second; ++k) z.name = zoo_name(dir) + "-" + std::to_string(k);
  std::unordered_set<std::string> runs(zoo.metrics().modeldir.begin(), zoo.metrics().modeldir.end());
  z.runs = runs.size();
  z.statistics = zoo.layout_segments().size() * dpa_stats_per_segment(DPA_STATS_PAPER);
  const SelectedRows finals = select_rows(zoo.metrics(), parse_checkpoints("final"), Target::kTestAccuracy, {});
  const MetricsColumn* train_accuracy = zoo.metrics().column("train_accuracy");
  for (std::size_t i = 0; i < finals.rows.size(); ++i) {
    z.final_test_accuracy.push_back(finals.targets[i]);
    z.final_train_accuracy.push_back(
        train_accuracy && !train_accuracy->categorical ? train_accuracy->values[finals.rows[i]] : NAN);
  }
  if (status)
    status(z.name + ": " + std::to_string(z.runs) + " runs, " + std::to_string(finals.rows.size()) + " finished");
  std::map<std::string, TrainingRows> rows;  // by training_rows_key: each weights block read once
  for (const ModelKind model : comparison_models()) {
    for (const ComparisonInputs* inputs : o.inputs)
      z.cells.push_back(compare_cell(zoo, z.name, model, *inputs, o, rows, status));
  }
  // Keep only the statistics rows the transfer models need: raw weights are large.
  const TrainOptions transfer = comparison_train_options(ModelKind::kGbdt, comparison_inputs()[0], o);
  const auto cached = rows.find(training_rows_key(transfer));
  statistics =
      cached != rows.end() ? std::move(cached->second) : training_rows(zoo, transfer, static_cast<bool>(status));
  return z;
}

// Transfer: GBDT on W-stats trained on each zoo's training runs, scored on each zoo's held-out
// runs (the same runs in every row of the matrix, so the diagonal compares with the rest).
void compare_transfer(const std::vector<std::unique_ptr<ZooDataset>>& zoos, const std::vector<TrainingRows>& statistics,
                      const ComparisonOptions& o, Comparison& c, const Status& status) {
  const TrainOptions transfer = comparison_train_options(ModelKind::kGbdt, comparison_inputs()[0], o);
  c.transfer.assign(zoos.size(), std::vector<TransferCell>(zoos.size()));
  for (std::size_t a = 0; a < zoos.size(); ++a) {
    const TrainReport r = train_predictor(*zoos[a], transfer, statistics[a]);
    const ModelFile model(r.model_bytes);
    for (std::size_t b = 0; b < zoos.size(); ++b) {
      TransferCell& cell = c.transfer[a][b];
      try {
        const Evaluation e =
            evaluate_model(model.model(), *zoos[b], transfer.checkpoints, transfer.target, o.threads, false, false,
                           [&](const std::string& run) { return run_in_test_fraction(run, o.test_fraction, o.seed); });
        if (e.metrics.n < 2) throw ToolError("fewer than 2 held-out runs");
        cell.metrics = e.metrics;
        cell.truth = e.truth;
        cell.predicted = e.predicted;
      } catch (const ToolError& e) {
        cell.skipped = e.what();  // another architecture: its weights do not fit the model
      }
      if (status) {
        status("transfer " + c.zoos[a].name + " -> " + c.zoos[b].name + ": " +
               (cell.skipped.empty() ? "tau " + fixed(cell.metrics.kendall_tau, 3) + ", R2 " + fixed(cell.metrics.r2, 3)
                                     : cell.skipped));
      }
    }
  }
}

}  // namespace

Comparison run_comparison(const std::vector<std::string>& dirs, const ComparisonOptions& o, const Status& status) {
  const auto start = std::chrono::steady_clock::now();
  if (dirs.empty()) throw UsageError("name at least one zoo");
  if (o.folds < 2) throw UsageError("cross-validation needs at least 2 folds");
  Comparison c;
  c.options = o;
  std::vector<std::unique_ptr<ZooDataset>> zoos;
  std::vector<TrainingRows> statistics(dirs.size());  // per zoo: the rows the transfer models train on
  std::unordered_set<std::string> names;
  for (std::size_t i = 0; i < dirs.size(); ++i) {
    zoos.push_back(std::make_unique<ZooDataset>(dirs[i]));
    // Every fold must test some runs: refused before any cell is trained.
    require_runs_in_every_fold(run_names(zoos.back()->metrics()), o.folds, o.seed,
                               dirs[i] + ": --folds " + std::to_string(o.folds));
    c.zoos.push_back(compare_zoo(*zoos.back(), dirs[i], names, o, statistics[i], status));
  }
  compare_transfer(zoos, statistics, o, c, status);
  c.seconds = seconds_since(start);
  return c;
}

}  // namespace dpa::tools
