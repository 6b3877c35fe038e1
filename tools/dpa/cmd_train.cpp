// dpa train: zoo -> validated predictor, written atomically with its provenance.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "common/cli_args.hpp"
#include "common/json_writer.hpp"
#include "common/progress.hpp"
#include "common/stats_options.hpp"
#include "common/text_format.hpp"
#include "model/tree_layout.hpp"
#include "train/context.hpp"
#include "train/pipeline.hpp"

namespace dpa::tools {

namespace {

// Held-out metrics of K run-level folds.
struct CrossValidation {
  std::vector<RegressionMetrics> folds;
};

CrossValidation cross_validate(const ZooDataset& zoo, const TrainOptions& o, const TrainingRows& rows, int folds) {
  CrossValidation cv;
  if (folds == 0) return cv;
  require_runs_in_every_fold(run_names(zoo.metrics(), &rows.selected.rows), folds, o.seed,
                             zoo.dir() + ": --cv " + std::to_string(folds));
  for (int fold = 0; fold < folds; ++fold) {
    TrainOptions f = o;
    f.folds = folds;
    f.fold = fold;
    const std::string fold_name = "cross-validation: fold " + std::to_string(fold + 1) + "/" + std::to_string(folds);
    std::fprintf(stderr, "%s\n", fold_name.c_str());
    StatusLine status;
    cv.folds.push_back(train_predictor(zoo, f, rows, status.prefixed(fold_name + ": ")).test);
  }
  return cv;
}

// Metrics of fewer than two rows measure nothing: null in JSON, "n/a" in text, never 0.
bool measured(const RegressionMetrics& m) { return m.n >= 2; }

void metrics_json(JsonWriter& j, const char* name, const RegressionMetrics& m) {
  const auto value = [&](double v) { return measured(m) ? v : NAN; };  // NaN is written as null
  j.key(name)
      .begin_object()
      .field("n", m.n)
      .field("r2", value(m.r2))
      .field("kendall_tau", value(m.kendall_tau))
      .field("mae", value(m.mae))
      .field("rmse", value(m.rmse))
      .end_object();
}

void print_metrics_text(const char* name, const RegressionMetrics& m, std::size_t runs) {
  if (!measured(m)) {
    std::printf("  %-11s n/a (%zu rows: too few to measure)\n", name, m.n);
    std::fprintf(stderr,
                 "warning: the %s set has %zu rows; its metrics are not reported. A zoo of a few runs "
                 "is too small to hold runs out: record more runs\n",
                 name, m.n);
    return;
  }
  // R2 and tau of rows that share one target (one run's checkpoints, --target final_test_accuracy)
  // are undefined: n/a, never nan.
  const auto number = [](double v) { return std::isfinite(v) ? fixed(v, 4) : std::string("n/a"); };
  std::printf("  %-11s R2 %s  Kendall tau %s  MAE %s  RMSE %s\n", (std::string(name) + ":").c_str(),
              number(m.r2).c_str(), number(m.kendall_tau).c_str(), number(m.mae).c_str(), number(m.rmse).c_str());
  if (!std::isfinite(m.r2)) {
    std::fprintf(stderr,
                 "warning: the %s set's %zu rows (%zu run%s) share one target value: R2 and tau are undefined\n", name,
                 m.n, runs, runs == 1 ? "" : "s");
  }
}

// Early stopping and the settings chosen on validation runs rest on that few runs: said.
void warn_small_validation(const TrainOptions& o, const TrainReport& r) {
  constexpr std::size_t kFewRuns = 3;
  if (r.validation_runs == 0 || r.validation_runs >= kFewRuns) return;
  std::fprintf(stderr,
               "warning: the validation set holds %zu run%s: %s rests on %s; record more runs, or raise "
               "--validation-fraction\n",
               r.validation_runs, r.validation_runs == 1 ? "" : "s",
               o.kind == ModelKind::kGbdt ? ("early stopping (" + std::to_string(r.trees) + " of " +
                                             std::to_string(r.gbdt.num_trees) + " trees kept)")
                                                .c_str()
                                          : "the choice of settings",
               r.validation_runs == 1 ? "it" : "them");
}

const char* const kTrainOptions =
    "-o|--output= --model= --inputs= --stats= --context= --checkpoints= --target= --test-fraction= "
    "--validation-fraction= --seed= --threads= --trees= --depth= --learning-rate= --min-child-weight= --lambda= "
    "--min-split-gain= --subsample= --colsample= --bins= --patience= --cv= --tune --loss= --alpha= --tree-layout= "
    "--max-bytes= --leaves= --json";

// Every option but -o, --cv and --json, checked against each other before any work.
TrainOptions parse_train_options(const Args& args) {
  TrainOptions o;
  o.kind = parse_model_kind(args.value_or("--model", "gbdt"));
  o.inputs = &find_weight_inputs(args.value_or("--inputs", "stats"));
  o.stats = parse_stats_set(args.value_or("--stats", "paper"));
  if (args.value("--stats") && o.inputs->kind != DPA_INPUT_STATISTICS) {
    throw UsageError("--stats chooses the statistics of --inputs stats, not of --inputs " +
                     std::string(o.inputs->name));
  }
  o.context = args.value_or("--context", "none");
  o.checkpoints = parse_checkpoints(args.value_or("--checkpoints", "final"));
  o.target = parse_target(args.value_or("--target", "test_accuracy"));
  o.test_fraction = args.real("--test-fraction", 0.2, 0.0, 0.9);
  o.validation_fraction = args.real("--validation-fraction", 0.1, 0.0, 0.5);
  if (o.test_fraction + o.validation_fraction >= 0.95)
    throw UsageError("test and validation fractions leave no training runs");
  o.seed = static_cast<std::uint64_t>(args.integer("--seed", 0, 0, 1ll << 40));
  o.threads = args.threads();
  o.gbdt.num_trees = static_cast<int>(args.integer("--trees", 500, 1, 100000));
  o.gbdt.max_depth = static_cast<int>(args.integer("--depth", 6, 1, DPA_MODEL_MAX_TREE_DEPTH));
  o.gbdt.learning_rate = args.real("--learning-rate", 0.05, 1e-6, 1.0);
  o.gbdt.min_child_weight = args.real("--min-child-weight", o.gbdt.min_child_weight, 0.0, 1e9);
  o.gbdt.lambda = args.real("--lambda", o.gbdt.lambda, 0.0, 1e9);
  o.gbdt.min_split_gain = args.real("--min-split-gain", o.gbdt.min_split_gain, 0.0, 1e9);
  o.gbdt.subsample = args.real("--subsample", o.gbdt.subsample, 1e-3, 1.0);
  o.gbdt.colsample = args.real("--colsample", o.gbdt.colsample, 1e-3, 1.0);
  o.gbdt.max_bins = static_cast<int>(args.integer("--bins", o.gbdt.max_bins, 2, 256));
  o.gbdt.early_stopping_rounds = static_cast<int>(args.integer("--patience", o.gbdt.early_stopping_rounds, 0, 1000000));
  o.gbdt.loss = &find_gbdt_loss(args.value_or("--loss", "l2"));
  o.tune = args.flag("--tune");
  if (const auto alpha = args.value("--alpha"); alpha && *alpha != "auto") {
    if (o.kind != ModelKind::kLinear) throw UsageError("--alpha is the linear model's ridge strength (--model linear)");
    o.linear.alpha = args.real("--alpha", 1.0, 1e-12, 1e12);
  }
  o.tree_layout = parse_tree_layout(args.value_or("--tree-layout", "auto"));
  o.max_bytes = static_cast<std::size_t>(args.integer("--max-bytes", 0, 0, 1ll << 32));
  o.leaves = parse_leaf_format(args.value_or("--leaves", "f32"));
  if ((o.max_bytes > 0 || args.value("--tree-layout") || args.value("--leaves")) && o.kind != ModelKind::kGbdt) {
    throw UsageError("--max-bytes, --tree-layout and --leaves shape tree ensembles (--model gbdt)");
  }
  check_tree_options(o.tree_layout, o.leaves);
  if (o.tune && o.kind != ModelKind::kGbdt) throw UsageError("--tune chooses GBDT settings (--model gbdt)");
  return o;
}

void print_train_json(const std::string& out, const TrainOptions& o, const TrainReport& r, int cv,
                      const CrossValidation& folds) {
  JsonWriter j;
  j.begin_object()
      .field("model", out)
      .field("kind", model_kind_name(o.kind))
      .field("inputs", o.inputs->name)
      .field("stats", stats_set_name(o.stats))
      .field("context", r.context)
      .field("checkpoints", o.checkpoints.text())
      .field("target", target_name(o.target))
      .field("seed", static_cast<unsigned long long>(o.seed))
      .field("train_rows", r.train_rows)
      .field("validation_rows", r.validation_rows)
      .field("test_rows", r.test_rows)
      .field("dropped_non_finite", r.dropped_non_finite)
      .field("dropped_unfinished", r.dropped_unfinished)
      .field("dropped_missing_context", r.dropped_missing_context)
      .field("trees", r.trees)
      .field("bytes", r.model_bytes.size())
      .field("feature_seconds", r.feature_seconds)
      .field("train_seconds", r.train_seconds);
  if (o.kind == ModelKind::kGbdt) {
    j.key("gbdt")
        .begin_object()
        .field("loss", r.gbdt.loss->name)
        .field("tuned", o.tune)
        .field("max_trees", r.gbdt.num_trees)
        .field("depth", r.gbdt.max_depth)
        .field("learning_rate", r.gbdt.learning_rate)
        .field("min_child_weight", r.gbdt.min_child_weight)
        .field("lambda", r.gbdt.lambda)
        .field("subsample", r.gbdt.subsample)
        .field("colsample", r.gbdt.colsample)
        .end_object();
  }
  if (o.kind == ModelKind::kLinear) j.field("alpha", r.alpha);
  metrics_json(j, "validation", r.validation);
  metrics_json(j, "test", r.test);
  if (cv > 0) {
    j.key("cv").begin_object().field("folds", cv);
    for (const NamedMetric& metric : kNamedMetrics) {
      const MeanSpread m = mean_spread(folds.folds, metric.field);
      j.field(std::string(metric.name) + "_mean", m.mean).field(std::string(metric.name) + "_sd", m.sd);
    }
    j.end_object();
  }
  j.end_object();
  std::printf("%s\n", j.str().c_str());
}

void print_train_text(const std::string& out, const TrainOptions& o, const TrainReport& r, int cv,
                      const CrossValidation& folds) {
  if (r.context != "none") std::printf("context: %s\n", r.context.c_str());
  if (o.tune) {
    std::printf("tuned: depth %d, learning rate %g, min child weight %g, up to %d trees\n", r.gbdt.max_depth,
                r.gbdt.learning_rate, r.gbdt.min_child_weight, r.gbdt.num_trees);
  }
  std::printf("trained %s on %zu rows (%zu validation, %zu test) in %.2f s; wrote %s (%zu bytes)\n",
              model_kind_name(o.kind), r.train_rows, r.validation_rows, r.test_rows, r.train_seconds, out.c_str(),
              r.model_bytes.size());
  print_metrics_text("validation", r.validation, r.validation_runs);
  print_metrics_text("test", r.test, r.test_runs);
  if (cv > 0) {
    const MeanSpread r2 = mean_spread(folds.folds, &RegressionMetrics::r2);
    const MeanSpread tau = mean_spread(folds.folds, &RegressionMetrics::kendall_tau);
    const MeanSpread mae = mean_spread(folds.folds, &RegressionMetrics::mae);
    std::printf("  %d-fold cross-validation by run, held-out folds: R2 %s  Kendall tau %s  MAE %s%s\n", cv,
                mean_spread_text(r2, 4).c_str(), mean_spread_text(tau, 4).c_str(), mean_spread_text(mae, 4).c_str(),
                r2.measured < folds.folds.size()
                    ? (" (R2 of " + std::to_string(r2.measured) + " folds; the others hold too few rows)").c_str()
                    : "");
  }
}

}  // namespace

int run_train(int argc, char** argv, int first) {
  const Args args(argc, argv, first, kTrainOptions);
  args.expect_positionals(1, "ZOO_DIR");
  const std::string out = args.required("-o", "MODEL.dpa");
  const TrainOptions o = parse_train_options(args);
  const int cv = static_cast<int>(args.integer("--cv", 0, 2, 100));

  if (o.kind == ModelKind::kGbdt && o.inputs->kind == DPA_INPUT_RAW_WEIGHTS) {
    std::fprintf(stderr,
                 "note: trees on every raw weight split thousands of features with no shared meaning "
                 "across runs: slow, and weaker than on statistics; the paper's model of raw weights "
                 "is the MLP (--model mlp)\n");
  }

  const ZooDataset zoo(args.positionals()[0]);
  const TrainingRows rows = training_rows(zoo, o, true);
  const CrossValidation folds = cross_validate(zoo, o, rows, cv);
  TrainReport r;
  {
    StatusLine status;
    r = train_predictor(zoo, o, rows, [&](const std::string& s) { status.show(s); });
  }
  write_file_atomically(out, r.model_bytes.data(), r.model_bytes.size());
  warn_small_validation(o, r);
  if (r.dropped_missing_context > 0) {
    std::fprintf(stderr, "warning: %llu rows left out: they miss a context value (%s)\n",
                 static_cast<unsigned long long>(r.dropped_missing_context), r.missing_context.c_str());
  }
  if (args.flag("--json")) {
    print_train_json(out, o, r, cv, folds);
  } else {
    print_train_text(out, o, r, cv, folds);
  }
  return 0;
}

namespace {

const char* const kTrainUsage = R"(usage: dpa train ZOO_DIR -o MODEL.dpa [--model {models}] [--inputs {inputs}]
                 [--stats {stats}] [--context LIST] [--checkpoints final|all|STEPS]
                 [--target test_accuracy|final_test_accuracy]
                 [--test-fraction F | --cv K] [--validation-fraction F] [--seed N]
                 [--threads N] [GBDT options] [--json]

Trains a predictor of test accuracy from weight statistics (and, with --context, what the
training loop knows: epoch, training metrics, hyperparameters) on the training runs of ZOO_DIR,
stops early on the validation runs, reports held-out test metrics (split by run: no run is
on two sides) and writes the model with its provenance.

  --model KIND        gbdt (default), linear (ridge through a logit link) or mlp
  --inputs W          what the model reads of the weights: stats (default: per-layer
                      statistics), raw (every weight: the paper's DNN on W; with gbdt slow
                      and weak) or none (only --context values: the paper's hyperparameters-
                      only baseline is --inputs none --context hyper)
  --stats SET         paper (default) or extended
)" DPA_CONTEXT_HELP R"(  --checkpoints SEL   final (default: each run's last checkpoint), all, or steps like 1,2,3
  --target T          test_accuracy (default: the row's own) or final_test_accuracy (the
                      run's accuracy at its last checkpoint, for early stopping)
  --test-fraction F   share of runs held out for testing (default 0.2)
  --cv K              also train K run-level folds, each holding one fold out, and report the
                      held-out metrics' mean and spread (the model written is the one split
                      by --test-fraction)
  --validation-fraction F  share of runs for early stopping (default 0.1)
  --seed N            split and training seed (default 0)
  --alpha A|auto      linear: ridge strength on standardised features (default auto: the
                      one of 1e-2 .. 1e7 that predicts the validation runs best)
GBDT options:
  --tune              choose depth, learning rate and min child weight (and the rounds) by
                      3-fold cross-validation over the training runs: 12 settings x 3 folds
  --loss L            l2 (default; the score is the prediction, clamped to [0, 1]) or logistic
                      (cross-entropy on accuracies; predictions through a sigmoid)
  --trees N           boosting rounds at most (default 500)
  --depth D           tree depth (default 6, at most 12)
  --learning-rate LR  shrinkage (default 0.05)
  --min-child-weight W  hessian (rows, for the L2 loss) a child needs at least (default 1)
  --lambda L          L2 regularisation of leaf values (default 1)
  --min-split-gain G  gain a split needs at least (default 0)
  --subsample F       share of rows per tree (default 0.8)
  --colsample F       share of features per tree (default 0.8)
  --bins N            histogram bins per feature (default 256, 2..256)
  --patience N        stop after N rounds without validation gain (default 50, 0 = off)
  --tree-layout L     complete (trees padded to one depth), sparse (unpadded: smaller for
                      most trained trees) or auto (default): the smaller of the two
  --leaves f32|f16    leaf values as float32 (default) or rounded to float16: 2 bytes less per
                      leaf, sparse layout only (predictions move by ~1e-5)
  --max-bytes N       a flash budget: the model file takes at most N bytes; trains each
                      depth from --depth down to 2 and keeps the one whose trees that fit
                      predict the validation runs best
  --json              one JSON object with the metrics on stdout

Example, one model for every epoch of an early-stopping search:
  dpa train ZOO -o stop.dpa --checkpoints all --target final_test_accuracy --context all
)";

}  // namespace

const Command train_command = {"train", "train a predictor on a zoo and write the model", kTrainUsage, run_train};

}  // namespace dpa::tools
