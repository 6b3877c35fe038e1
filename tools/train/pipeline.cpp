#include "train/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "common/errors.hpp"
#include "common/progress.hpp"
#include "common/stats_options.hpp"
#include "common/text_format.hpp"
#include "model/model_writer.hpp"
#include "model/tree_layout.hpp"
#include "train/context.hpp"
#include "train/held_out.hpp"
#include "train/row_predictions.hpp"
#include "zoo/feature_extraction.hpp"

namespace dpa::tools {
namespace {

// A row's features in the model's block order: the weights block (precomputed per training row),
// then the context block as the runtime computes it from the row's context values.
class RowFeatures {
 public:
  RowFeatures(const TrainingRows& rows, const dpa_model& inputs, const ContextTable& context)
      : rows_(rows), inputs_(inputs), context_(context) {
    if (inputs.num_features != rows.per_row + context.per_row()) throw ToolError("feature count mismatch");
  }
  std::size_t per_row() const { return inputs_.num_features; }
  // position: of the row in rows.selected.
  void fill(std::size_t position, float* out) const {
    std::uint32_t offset = 0;
    for (std::uint32_t b = 0; b < inputs_.num_input_blocks; ++b) {
      if (inputs_.input_blocks[b] == DPA_INPUT_CONTEXT) {
        dpa_model_context_features(&inputs_, context_.row(rows_.selected.rows[position]), context_.per_row(),
                                   out + offset, context_.per_row());
        offset += static_cast<std::uint32_t>(context_.per_row());
      } else {
        std::memcpy(out + offset, &rows_.weights[position * rows_.per_row], rows_.per_row * sizeof(float));
        offset += static_cast<std::uint32_t>(rows_.per_row);
      }
    }
  }

 private:
  const TrainingRows& rows_;
  const dpa_model& inputs_;
  const ContextTable& context_;
};

// Rows of the selection (positions in it), as a dense matrix and targets.
void gather(const RowFeatures& f, const SelectedRows& s, const std::vector<std::size_t>& part, std::vector<float>& x,
            std::vector<float>& y) {
  x.resize(part.size() * f.per_row());
  y.resize(part.size());
  for (std::size_t i = 0; i < part.size(); ++i) {
    f.fill(part[i], &x[i * f.per_row()]);
    y[i] = s.targets[part[i]];
  }
}

// The ranges of the numeric context values and of the target over the training rows.
TrainedRanges training_ranges(const dpa_model& inputs, const ContextTable& context, const SelectedRows& selected,
                              const std::vector<std::size_t>& train, const std::vector<float>& targets) {
  TrainedRanges out;
  for (std::uint32_t i = 0; i < inputs.num_context; ++i) {
    dpa_context_info info;
    dpa_model_context_info(&inputs, i, &info);
    if (info.kind == DPA_CONTEXT_CATEGORICAL) continue;  // categories: the model lists them
    TrainedRanges::Range r{info.name, INFINITY, -INFINITY};
    for (const std::size_t k : train) {
      const float v = context.row(selected.rows[k])[i];
      r.low = std::min(r.low, v);
      r.high = std::max(r.high, v);
    }
    out.ranges.push_back(r);
  }
  if (!targets.empty()) {
    const auto [low, high] = std::minmax_element(targets.begin(), targets.end());
    out.ranges.push_back({"target", *low, *high});
  }
  return out;
}

// The model's inputs with a placeholder predictor: the runtime's view of what it will read.
std::unique_ptr<ModelFile> inputs_only(const FeatureSpec& features) {
  ModelSpec draft;
  draft.features = features;
  LinearModel zero;
  zero.mean.assign(features.num_features(), 0.0f);
  zero.inv_scale.assign(features.num_features(), 1.0f);
  zero.weight.assign(features.num_features(), 0.0f);
  draft.predictor = zero;
  return std::make_unique<ModelFile>(write_model(draft));
}

std::vector<float> predict_feature_rows(const dpa_model& m, const std::vector<float>& x, std::size_t per_row) {
  std::vector<float> out(x.size() / per_row);
  std::vector<unsigned char> scratch(dpa_model_scratch_size(&m) + 64);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (dpa_model_predict_features(&m, &x[i * per_row], per_row, &out[i], scratch.data(), scratch.size()) != DPA_OK) {
      throw ToolError("prediction failed on a finite feature row");
    }
  }
  return out;
}

}  // namespace

const std::vector<WeightInputs>& weight_inputs_table() {
  static const std::vector<WeightInputs> table = {
      {"stats", true, DPA_INPUT_STATISTICS, "per-layer statistics of the weights (--stats)"},
      {"raw", true, DPA_INPUT_RAW_WEIGHTS, "every weight"},
      {"none", false, DPA_INPUT_CONTEXT, "no weights: the --context values alone"},
  };
  return table;
}

const WeightInputs& find_weight_inputs(const std::string& name) {
  std::string names;
  for (const WeightInputs& w : weight_inputs_table()) {
    if (name == w.name) return w;
    names += (names.empty() ? "" : ", ") + std::string(w.name);
  }
  throw UsageError("--inputs must be one of " + names + ", got '" + name + "'");
}

std::string training_rows_key(const TrainOptions& o) {
  return std::string(o.inputs->name) +
         (o.inputs->kind == DPA_INPUT_STATISTICS ? std::string(":") + stats_set_name(o.stats) : "") + "/" +
         o.checkpoints.text() + "/" + target_name(o.target);
}

TrainingRows training_rows(const ZooDataset& zoo, const TrainOptions& o, bool show_progress) {
  const auto start = std::chrono::steady_clock::now();
  TrainingRows t;
  t.key = training_rows_key(o);
  const SelectedRows chosen = select_rows(zoo.metrics(), o.checkpoints, o.target, {});
  if (!o.inputs->weights) {
    t.selected = chosen;
    t.seconds = seconds_since(start);
    return t;
  }
  const dpa_layout layout = zoo.layout();
  const WeightBlock block{o.inputs->kind, o.stats};
  t.per_row = block.per_row(layout);
  std::vector<float> values(chosen.rows.size() * t.per_row);
  std::vector<bool> finite(chosen.rows.size(), true);
  Progress progress(o.inputs->kind == DPA_INPUT_RAW_WEIGHTS ? "reading weights" : "statistics", chosen.rows.size(),
                    show_progress);
  extract_features(
      zoo, block, o.threads, &chosen.rows,
      [&](std::uint64_t first, std::uint64_t count, const float* features) {
        std::memcpy(&values[first * t.per_row], features, count * t.per_row * sizeof(float));
        for (std::uint64_t r = 0; r < count; ++r)
          finite[first + r] = row_is_finite(&features[r * t.per_row], t.per_row);
      },
      [&](std::uint64_t done) { progress.update(done); });
  // Keep the rows with finite features, compacting their values in place.
  std::vector<std::size_t> kept;
  t.selected = keep_rows(
      chosen, [&](std::size_t i) { return finite[i]; }, &kept);
  for (std::size_t at = 0; at < kept.size(); ++at) {
    if (kept[at] != at) std::memmove(&values[at * t.per_row], &values[kept[at] * t.per_row], t.per_row * sizeof(float));
  }
  values.resize(kept.size() * t.per_row);
  t.weights = std::move(values);
  t.seconds = seconds_since(start);
  return t;
}

namespace {

// How many distinct runs these run ids name.
std::size_t distinct_runs(std::vector<std::uint32_t> runs) {
  std::sort(runs.begin(), runs.end());
  return static_cast<std::size_t>(std::unique(runs.begin(), runs.end()) - runs.begin());
}

// How many runs those rows (positions in `selected`) come from.
std::size_t distinct_runs(const SelectedRows& selected, const std::vector<std::size_t>& positions) {
  std::vector<std::uint32_t> runs;
  for (const std::size_t i : positions) runs.push_back(selected.run[i]);
  return distinct_runs(std::move(runs));
}

// RMSE of a model file's predictions of rows x against y, through the runtime.
double rmse_of(const std::vector<unsigned char>& bytes, const std::vector<float>& x, const std::vector<float>& y,
               std::size_t per_row) {
  const ModelFile file(bytes);
  return evaluate(y, predict_feature_rows(file.model(), x, per_row)).rmse;
}

// The longest prefix of `trained`'s trees whose file (spec with that prefix) takes at most
// max_bytes, or 0 trees when not even one fits.
GbdtModel longest_prefix_within(const GbdtModel& trained, ModelSpec spec, std::size_t max_bytes) {
  std::size_t low = 0, high = trained.trees.size();  // low fits (0 = nothing), high + 1 does not
  GbdtModel prefix = trained;
  auto fits = [&](std::size_t count) {
    prefix.trees.assign(trained.trees.begin(), trained.trees.begin() + static_cast<long>(count));
    spec.predictor = prefix;
    return write_model(spec).size() <= max_bytes;
  };
  if (fits(high)) return prefix;
  while (low + 1 < high) {
    const std::size_t mid = (low + high) / 2;
    (fits(mid) ? low : high) = mid;
  }
  prefix.trees.assign(trained.trees.begin(), trained.trees.begin() + static_cast<long>(low));
  return prefix;
}

struct BudgetFit {
  GbdtModel model;
  int depth = 0;
};

// --max-bytes: for each depth from the configured one down to 2, the longest prefix of its trees
// whose file fits, scored on (x, y); the best of them. The file's other sections count too: sized
// with a provenance of about the final one's length (train_predictor checks the file as written).
BudgetFit fit_flash_budget(const ModelSpec& spec, const GbdtModel& at_max_depth, const GbdtParams& p,
                           const TrainOptions& o, const std::function<GbdtModel(const GbdtParams&)>& train_at,
                           const std::vector<float>& x, const std::vector<float>& y, std::size_t per_row,
                           const std::function<void(const std::string&)>& status) {
  ModelSpec frame = spec;
  frame.provenance = Provenance{};
  frame.provenance->text = std::string(1024, 'x');
  BudgetFit best;
  double best_rmse = INFINITY;
  for (int depth = p.max_depth; depth >= 2; --depth) {
    GbdtParams at = p;
    at.max_depth = depth;
    const GbdtModel trained = depth == p.max_depth ? at_max_depth : train_at(at);
    const GbdtModel fitted = longest_prefix_within(trained, frame, o.max_bytes);
    if (fitted.trees.empty()) continue;
    frame.predictor = fitted;
    const double rmse = rmse_of(write_model(frame), x, y, per_row);
    if (status) {
      status("--max-bytes: depth " + std::to_string(depth) + ", " + std::to_string(fitted.trees.size()) +
             " trees fit, rmse " + std::to_string(rmse));
    }
    if (rmse < best_rmse) {
      best_rmse = rmse;
      best = {fitted, depth};
    }
  }
  if (best.depth == 0) {
    throw ToolError("--max-bytes " + std::to_string(o.max_bytes) +
                    ": not even one tree fits (with the inputs, output and provenance sections)");
  }
  return best;
}

}  // namespace

TrainReport train_predictor(const ZooDataset& zoo, const TrainOptions& o,
                            const std::function<void(const std::string&)>& status) {
  return train_predictor(zoo, o, training_rows(zoo, o, static_cast<bool>(status)), status);
}

namespace {

using Status = std::function<void(const std::string&)>;

// A split's feature matrices and targets, the rows of each part gathered from the training rows.
struct SplitData {
  std::vector<float> xt, yt, xv, yv, xs, ys;
  std::size_t d = 0;
  std::vector<std::uint32_t> run_of_train_row;  // for tuning by inner folds of runs
  MatrixView train() const { return {xt.data(), yt.size(), d}; }
  MatrixView valid() const { return {xv.data(), yv.size(), d}; }
};

// What every trainer gets and fills: it sets spec.predictor and spec.transform, its report fields,
// and writes its settings as provenance lines.
struct TrainerCall {
  const SplitData& data;
  const TrainOptions& o;
  ModelSpec& spec;
  TrainReport& report;
  std::ostringstream& options;
  const Status& status;
};

void train_gbdt_predictor(const TrainerCall& c) {
  const SplitData& data = c.data;
  const TrainOptions& o = c.o;
  const MatrixView train = data.train(), valid = data.valid();
  GbdtParams p = o.gbdt;
  p.seed = o.seed;
  p.threads = o.threads;
  if (o.tune) p = tune_gbdt(train, data.yt, data.run_of_train_row, p, 3, c.status).best;
  c.report.gbdt = p;
  // Trained trees as they will be written: the layout asked for, float16 leaves rounded.
  auto train_at_depth = [&](const GbdtParams& params) {
    GbdtModel g =
        train_gbdt(train, data.yt, data.yv.empty() ? nullptr : &valid, data.yv.empty() ? nullptr : &data.yv, params,
                   [&](int done, double rmse) {
                     if (c.status && (done % 25 == 0 || done == params.num_trees)) {
                       c.status("depth " + std::to_string(params.max_depth) + ", tree " + std::to_string(done) + "/" +
                                std::to_string(params.num_trees) +
                                (std::isnan(rmse) ? "" : ", validation rmse " + std::to_string(rmse)));
                     }
                   })
            .model;
    g.layout = o.tree_layout;
    if (o.leaves == DPA_LEAF_FLOAT16) round_leaves_to_half(g);
    return g;
  };
  c.spec.transform = p.loss->transform;
  if (c.status)
    c.status("gbdt: " + std::to_string(data.yt.size()) + " training rows x " + std::to_string(data.d) +
             " features, binning");
  GbdtModel model = train_at_depth(p);
  if (o.max_bytes > 0) {
    const bool validation = !data.yv.empty();
    const BudgetFit fit = fit_flash_budget(c.spec, model, p, o, train_at_depth, validation ? data.xv : data.xt,
                                           validation ? data.yv : data.yt, data.d, c.status);
    model = fit.model;
    c.report.budget_depth = fit.depth;
  }
  c.spec.predictor = model;
  c.report.trees = static_cast<int>(model.trees.size());
  c.options << "loss=" << p.loss->name << "\ntrees=" << c.report.trees << "\nmax_trees=" << p.num_trees
            << "\ndepth=" << p.max_depth << "\nlearning_rate=" << p.learning_rate << "\nsubsample=" << p.subsample
            << "\ncolsample=" << p.colsample << "\nmin_child_weight=" << p.min_child_weight << "\nlambda=" << p.lambda
            << "\nbins=" << p.max_bins << "\npatience=" << p.early_stopping_rounds << "\ntuned=" << (o.tune ? 1 : 0)
            << "\ntree_layout=" << tree_layout_name(o.tree_layout) << "\nleaves=" << leaf_format_name(o.leaves) << "\n";
  if (o.max_bytes > 0) c.options << "max_bytes=" << o.max_bytes << "\nbudget_depth=" << c.report.budget_depth << "\n";
}

void train_linear_predictor(const TrainerCall& c) {
  const TrainOptions& o = c.o;
  c.spec.transform = o.linear.logit_link ? DPA_OUTPUT_SIGMOID : DPA_OUTPUT_CLAMP01;
  const bool choose = std::isnan(o.linear.alpha) && !c.data.yv.empty();
  const std::vector<double> alphas = choose ? kAlphaGrid : std::vector<double>{o.linear.fixed_alpha()};
  const std::vector<LinearModel> fits = train_linear_path(c.data.train(), c.data.yt, alphas, o.linear.logit_link);
  // Automatic alpha: the fit that predicts the validation runs best, through the runtime.
  std::size_t best = 0;
  double best_rmse = INFINITY;
  for (std::size_t i = 0; choose && i < fits.size(); ++i) {
    c.spec.predictor = fits[i];
    const double rmse = rmse_of(write_model(c.spec), c.data.xv, c.data.yv, c.data.d);
    if (rmse < best_rmse) {
      best_rmse = rmse;
      best = i;
    }
  }
  c.spec.predictor = fits[best];
  c.report.alpha = alphas[best];
  c.options << "alpha=" << c.report.alpha << "\nalpha_chosen=" << (choose ? 1 : 0)
            << "\nlogit_link=" << (o.linear.logit_link ? 1 : 0) << "\n";
}

void train_mlp_predictor(const TrainerCall& c) {
  MlpParams p = c.o.mlp;
  p.seed = c.o.seed;
  const MatrixView valid = c.data.valid();
  c.spec.predictor = train_mlp(c.data.train(), c.data.yt, c.data.yv.empty() ? nullptr : &valid,
                               c.data.yv.empty() ? nullptr : &c.data.yv, p, [&](int epoch, double rmse) {
                                 // Every epoch: an epoch on raw weights takes seconds; callers throttle.
                                 if (c.status)
                                   c.status("epoch " + std::to_string(epoch) + "/" + std::to_string(p.max_epochs) +
                                            (std::isnan(rmse) ? "" : ", validation rmse " + std::to_string(rmse)));
                               });
  c.spec.transform = DPA_OUTPUT_SIGMOID;
  c.options << "hidden=" << p.hidden[0] << "," << p.hidden[1] << "\nlearning_rate=" << p.learning_rate << "\n";
}

// The predictor kinds dpa train knows: one row each. Adding one is a row here and its trainer.
struct TrainerEntry {
  ModelKind kind;
  const char* name;
  void (*train)(const TrainerCall&);
};
constexpr TrainerEntry kTrainers[] = {
    {ModelKind::kGbdt, "gbdt", train_gbdt_predictor},
    {ModelKind::kLinear, "linear", train_linear_predictor},
    {ModelKind::kMlp, "mlp", train_mlp_predictor},
};

const TrainerEntry& trainer_of(ModelKind kind) {
  for (const TrainerEntry& t : kTrainers) {
    if (t.kind == kind) return t;
  }
  throw std::invalid_argument("no trainer for this model kind");
}

// The inputs' part of the spec: the weights block and the context values the model reads.
void describe_inputs(const ZooDataset& zoo, const TrainOptions& o, ModelSpec& spec) {
  spec.features.weights = o.inputs->weights;
  spec.features.kind = o.inputs->kind == DPA_INPUT_RAW_WEIGHTS ? DPA_FEATURES_RAW_WEIGHTS : DPA_FEATURES_STATISTICS;
  spec.features.stats_set = o.stats;
  const dpa_layout layout = zoo.layout();
  spec.features.segments.assign(layout.segments, layout.segments + layout.num_segments);
  spec.features.total_length = layout.total_length;
  // Trees split on any monotone scale; linear and MLP models want wide columns on a log scale.
  spec.features.context =
      describe_context(resolve_context(o.context, zoo.metrics(), o.target), zoo.metrics(), o.kind != ModelKind::kGbdt);
  if (!o.inputs->weights && spec.features.context.empty()) {
    throw UsageError(
        o.context == "none"
            ? "--inputs none reads no weights: name what the model reads with --context (e.g. hyper)"
            : "--inputs none reads no weights, and --context " + o.context + " found no column in " +
                  zoo.metrics().path +
                  " (hyper takes the config.* columns that vary; here none does): name columns the zoo has");
  }
  spec.target = o.target == Target::kTestAccuracy ? DPA_TARGET_TEST_ACCURACY : DPA_TARGET_FINAL_TEST_ACCURACY;
}

// The rows with finite context too, split by run (or fold) into train / validation / test; split
// positions index weights' rows.
Split split_rows(const ZooDataset& zoo, const TrainOptions& o, const TrainingRows& weights, const ContextTable& context,
                 TrainReport& report) {
  std::vector<std::size_t> kept;  // positions in weights.selected of the rows kept
  const SelectedRows selected = keep_rows(
      weights.selected, [&](std::size_t i) { return context.finite(weights.selected.rows[i]); }, &kept);
  report.dropped_non_finite = selected.dropped_non_finite;
  report.dropped_unfinished = selected.dropped_unfinished;
  report.dropped_missing_context = selected.dropped_non_finite - weights.selected.dropped_non_finite;
  if (report.dropped_missing_context > 0) report.missing_context = context.missing(weights.selected.rows);
  if (selected.rows.empty()) {
    throw ToolError(zoo.dir() + ": no rows left for --checkpoints " + o.checkpoints.text() +
                    (report.dropped_missing_context > 0
                         ? ": every one misses a context value (" + report.missing_context +
                               "); leave such columns out of --context"
                         : ""));
  }
  Split split = o.folds > 0 ? split_by_fold(selected, zoo.metrics(), o.folds, o.fold, o.validation_fraction, o.seed)
                            : split_by_run(selected, zoo.metrics(), o.validation_fraction, o.test_fraction, o.seed);
  if (split.train.empty()) throw ToolError(zoo.dir() + ": the split left no training rows");
  if (split.test.empty() && (o.folds > 0 || o.test_fraction > 0)) {
    const std::size_t usable = distinct_runs(selected.run);
    throw ToolError(zoo.dir() + ": no run was held out for testing (" + std::to_string(usable) + " usable run" +
                    (usable == 1 ? "" : "s") +
                    (report.dropped_missing_context > 0 ? "; " + std::to_string(report.dropped_missing_context) +
                                                              " rows miss a context value: " + report.missing_context
                                                        : "") +
                    "): record more runs, or train on every run with --test-fraction 0");
  }
  for (std::vector<std::size_t>* part : {&split.train, &split.validation, &split.test}) {
    for (std::size_t& i : *part) i = kept[i];
  }
  return split;
}

SplitData gather_split(const TrainingRows& weights, const dpa_model& inputs, const ContextTable& context,
                       const Split& split) {
  SplitData data;
  const RowFeatures rows(weights, inputs, context);
  gather(rows, weights.selected, split.train, data.xt, data.yt);
  gather(rows, weights.selected, split.validation, data.xv, data.yv);
  gather(rows, weights.selected, split.test, data.xs, data.ys);
  data.d = rows.per_row();
  for (const std::size_t i : split.train) data.run_of_train_row.push_back(weights.selected.run[i]);
  return data;
}

// --max-bytes holds for the file as written: trailing trees dropped while it does not (the
// provenance may be longer than the search assumed).
void fit_written_budget(const TrainOptions& o, ModelSpec& spec, TrainReport& report) {
  while (o.max_bytes > 0 && write_model(spec).size() > o.max_bytes) {
    GbdtModel& g = std::get<GbdtModel>(spec.predictor);
    if (g.trees.size() <= 1) throw ToolError("--max-bytes " + std::to_string(o.max_bytes) + ": the model does not fit");
    const std::string was = "\ntrees=" + std::to_string(g.trees.size()) + "\n";
    g.trees.pop_back();
    report.trees = static_cast<int>(g.trees.size());
    const std::size_t at = spec.provenance->text.find(was);
    if (at != std::string::npos)
      spec.provenance->text.replace(at, was.size(), "\ntrees=" + std::to_string(report.trees) + "\n");
  }
}

// Validation and test metrics through the runtime, on the bytes about to be written, and the
// provenance's numbers.
void score_and_record(const SplitData& data, const TrainOptions& o, ModelSpec& spec, TrainReport& report) {
  const ModelFile draft(write_model(spec));
  const dpa_model& m = draft.model();
  if (!data.yv.empty()) report.validation = evaluate(data.yv, predict_feature_rows(m, data.xv, data.d));
  if (!data.ys.empty()) {
    report.test_predicted = predict_feature_rows(m, data.xs, data.d);
    report.test = evaluate(data.ys, report.test_predicted);
    report.test_truth = data.ys;
  }
  Provenance& prov = *spec.provenance;
  prov.train_rows = static_cast<std::uint32_t>(report.train_rows);
  prov.validation_rows = static_cast<std::uint32_t>(report.validation_rows);
  prov.test_rows = static_cast<std::uint32_t>(report.test_rows);
  prov.split_seed = static_cast<std::uint32_t>(o.seed);
  prov.validation_r2 = static_cast<float>(report.validation.r2);
  prov.validation_kendall_tau = static_cast<float>(report.validation.kendall_tau);
  prov.test_r2 = static_cast<float>(report.test.r2);
  prov.test_kendall_tau = static_cast<float>(report.test.kendall_tau);
  prov.test_mae = static_cast<float>(report.test.mae);
  prov.test_rmse = static_cast<float>(report.test.rmse);
}

}  // namespace

TrainReport train_predictor(const ZooDataset& zoo, const TrainOptions& o, const TrainingRows& weights,
                            const Status& status) {
  if (weights.key != training_rows_key(o)) {
    throw std::invalid_argument("training rows for " + weights.key + " given to a model of " + training_rows_key(o));
  }
  TrainReport report;
  ModelSpec spec;
  describe_inputs(zoo, o, spec);
  report.context = context_summary(spec.features.context);
  const std::unique_ptr<ModelFile> inputs = inputs_only(spec.features);
  const ContextTable context(inputs->model(), zoo.metrics());
  report.feature_seconds = weights.seconds;
  const Split split = split_rows(zoo, o, weights, context, report);
  const SplitData data = gather_split(weights, inputs->model(), context, split);
  report.train_rows = data.yt.size();
  report.validation_rows = data.yv.size();
  report.test_rows = data.ys.size();
  report.validation_runs = distinct_runs(weights.selected, split.validation);
  report.test_runs = distinct_runs(weights.selected, split.test);
  const auto start = std::chrono::steady_clock::now();
  std::ostringstream options;
  trainer_of(o.kind).train(TrainerCall{data, o, spec, report, options, status});
  report.train_seconds = seconds_since(start);
  Provenance prov;
  // Values from the file system or a zoo's header escaped: a line end in a path must not add a key.
  // The zoo by its name, not its path: a model of the same runs is the same bytes wherever the
  // zoo lies (its runs are identified by zoo_runs and zoo_sketch).
  prov.text =
      "zoo=" + printable(zoo_name(zoo.dir())) + "\nmodel=" + model_kind_name(o.kind) + "\ninputs=" + o.inputs->name +
      "\nstats=" + stats_set_name(o.stats) + "\ncontext=" + printable(report.context) +
      "\ncheckpoints=" + o.checkpoints.text() + "\ntarget=" + target_name(o.target) +
      "\nseed=" + std::to_string(o.seed) + "\ntest_fraction=" + std::to_string(o.test_fraction) +
      "\nvalidation_fraction=" + std::to_string(o.validation_fraction) + "\n" + options.str() +
      TrainingSplit{
          true, runs_fingerprint(zoo.metrics()), runs_sketch(zoo.metrics()), o.seed, o.test_fraction, o.folds, o.fold}
          .provenance();
  prov.text += training_ranges(inputs->model(), context, weights.selected, split.train, data.yt).provenance();
  spec.provenance = prov;
  fit_written_budget(o, spec, report);
  score_and_record(data, o, spec, report);
  report.model_bytes = write_model(spec);
  return report;
}

Evaluation evaluate_model(const dpa_model& model, const ZooDataset& zoo, const CheckpointSelection& checkpoints,
                          Target target, unsigned threads, bool all_runs, bool show_progress,
                          const std::function<bool(const std::string&)>& only_runs) {
  const bool reads_weights = model.feature_kind != DPA_INPUT_CONTEXT;
  const dpa_layout layout = zoo.layout();
  if (reads_weights && layout.total_length != model.layout.total_length) {
    throw ToolError(zoo.dir() + ": rows hold " + std::to_string(layout.total_length) + " weights, the model takes " +
                    std::to_string(model.layout.total_length));
  }
  const ContextTable context(model, zoo.metrics());
  Evaluation e;
  e.range_warning = range_warning(model, context);
  const TrainingSplit split = TrainingSplit::of(model);
  e.split_known = split.known;
  const ZooMatch match = split.match(zoo.metrics());
  e.own_zoo = match != ZooMatch::kForeign;
  e.zoo_changed = match == ZooMatch::kChanged;
  std::vector<bool> seen(zoo.rows(), false);  // rows of runs the model was trained or validated on
  if (only_runs) {
    for (std::size_t r = 0; r < zoo.rows(); ++r) seen[r] = !only_runs(zoo.metrics().modeldir[r]);
  } else if (e.own_zoo && !all_runs) {
    std::unordered_map<std::string, bool> held_out;
    for (std::size_t r = 0; r < zoo.rows(); ++r) {
      const auto [it, inserted] = held_out.emplace(zoo.metrics().modeldir[r], false);
      if (inserted) {
        it->second = split.held_out(it->first);
        e.excluded_runs += !it->second;
      }
      seen[r] = !it->second;
    }
  }
  // Rows first, from the metrics; then only those are read and predicted.
  const SelectedRows chosen = select_rows(zoo.metrics(), checkpoints, target, {});
  e.dropped_unfinished = chosen.dropped_unfinished;
  std::vector<std::uint64_t> rows;
  std::vector<float> targets;
  for (std::size_t i = 0; i < chosen.rows.size(); ++i) {
    if (seen[chosen.rows[i]]) continue;
    rows.push_back(chosen.rows[i]);
    targets.push_back(chosen.targets[i]);
  }
  // Rows with non-finite weights or context are found by the runtime itself while predicting.
  const RowPredictions predicted = predict_rows(model, zoo, context, &rows, threads, show_progress);
  const std::vector<dpa_status>& status = predicted.statuses;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (status[i] == DPA_ERR_NON_FINITE) {  // NaN/Inf weights or context: a diverged run
      ++e.dropped_non_finite;
      continue;
    }
    if (status[i] != DPA_OK) {
      throw ToolError(zoo.dir() + ": row " + std::to_string(rows[i]) + " (" + zoo.metrics().modeldir[rows[i]] +
                      "): " + dpa_status_string(status[i]));
    }
    e.truth.push_back(targets[i]);
    e.predicted.push_back(predicted.values[i]);
  }
  e.metrics = evaluate(e.truth, e.predicted);
  return e;
}

ModelKind parse_model_kind(const std::string& text) {
  std::string names;
  for (const TrainerEntry& t : kTrainers) {
    if (text == t.name) return t.kind;
    names += std::string(names.empty() ? "" : ", ") + t.name;
  }
  throw UsageError("--model must be one of " + names + "; got '" + text + "'");
}

const char* model_kind_name(ModelKind k) { return trainer_of(k).name; }

std::string model_kind_choices() {
  std::string s;
  for (const TrainerEntry& t : kTrainers) s += std::string(s.empty() ? "" : "|") + t.name;
  return s;
}

std::string weight_inputs_choices() {
  std::string s;
  for (const WeightInputs& w : weight_inputs_table()) s += std::string(s.empty() ? "" : "|") + w.name;
  return s;
}

}  // namespace dpa::tools
