// dpa train: zoo -> validated predictor, written atomically with its provenance.
#include <cstdio>
#include <thread>

#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "common/cli_args.hpp"
#include "common/json_writer.hpp"
#include "common/stats_options.hpp"
#include "train/context.hpp"
#include "train/pipeline.hpp"

namespace dpa::tools {

const char* const kTrainUsage =
    "usage: dpa train ZOO_DIR -o MODEL.dpa [--model gbdt|linear|mlp] [--stats paper|extended]\n"
    "                 [--context LIST] [--checkpoints final|all|STEPS]\n"
    "                 [--target test_accuracy|final_test_accuracy]\n"
    "                 [--test-fraction F] [--validation-fraction F] [--seed N] [--threads N]\n"
    "                 [--trees N] [--depth D] [--learning-rate LR] [--json]\n"
    "\n"
    "Trains a predictor of test accuracy from weight statistics (and, with --context, what the\n"
    "training loop knows: epoch, training metrics, hyperparameters) on the training runs of ZOO_DIR,\n"
    "stops early on the validation runs, reports held-out test metrics (split by run: no run is\n"
    "on two sides) and writes the model with its provenance.\n"
    "\n"
    "  --model KIND        gbdt (default), linear (ridge through a logit link) or mlp\n"
    "  --stats SET         paper (default) or extended\n"
    DPA_CONTEXT_HELP
    "  --checkpoints SEL   final (default: each run's last checkpoint), all, or steps like 1,2,3\n"
    "  --target T          test_accuracy (default: the row's own) or final_test_accuracy (the\n"
    "                      run's accuracy at its last checkpoint, for early stopping)\n"
    "  --test-fraction F   share of runs held out for testing (default 0.2)\n"
    "  --validation-fraction F  share of runs for early stopping (default 0.1)\n"
    "  --seed N            split and training seed (default 0)\n"
    "  --trees N, --depth D, --learning-rate LR   GBDT (defaults 500, 6, 0.05)\n"
    "  --json              one JSON object with the metrics on stdout\n"
    "\n"
    "Example, one model for every epoch of an early-stopping search:\n"
    "  dpa train ZOO -o stop.dpa --checkpoints all --target final_test_accuracy --context all\n";

namespace {

void metrics_json(JsonWriter& j, const char* name, const RegressionMetrics& m) {
  j.key(name).begin_object().field("n", m.n).field("r2", m.r2).field("kendall_tau", m.kendall_tau)
      .field("mae", m.mae).field("rmse", m.rmse).end_object();
}

}  // namespace

int run_train(int argc, char** argv, int first) {
  const Args args(argc, argv, first,
                  {{"-o", true, "--output"}, {"--model", true, ""}, {"--stats", true, ""},
                   {"--context", true, ""}, {"--checkpoints", true, ""}, {"--target", true, ""}, {"--test-fraction", true, ""},
                   {"--validation-fraction", true, ""}, {"--seed", true, ""}, {"--threads", true, ""},
                   {"--trees", true, ""}, {"--depth", true, ""}, {"--learning-rate", true, ""},
                   {"--json", false, ""}});
  args.expect_positionals(1, "ZOO_DIR");
  const auto out = args.value("-o");
  if (!out) throw UsageError("missing -o MODEL.dpa");
  TrainOptions o;
  o.kind = parse_model_kind(args.value_or("--model", "gbdt"));
  o.stats = parse_stats_set(args.value_or("--stats", "paper"));
  o.context = args.value_or("--context", "none");
  o.checkpoints = parse_checkpoints(args.value_or("--checkpoints", "final"));
  o.target = parse_target(args.value_or("--target", "test_accuracy"));
  o.test_fraction = args.real("--test-fraction", 0.2, 0.0, 0.9);
  o.validation_fraction = args.real("--validation-fraction", 0.1, 0.0, 0.5);
  if (o.test_fraction + o.validation_fraction >= 0.95) throw UsageError("test and validation fractions leave no training runs");
  o.seed = static_cast<std::uint64_t>(args.integer("--seed", 0, 0, 1ll << 40));
  o.threads = args.threads();
  o.gbdt.num_trees = static_cast<int>(args.integer("--trees", 500, 1, 100000));
  o.gbdt.max_depth = static_cast<int>(args.integer("--depth", 6, 1, DPA_MODEL_MAX_TREE_DEPTH));
  o.gbdt.learning_rate = args.real("--learning-rate", 0.05, 1e-6, 1.0);
  const bool json = args.flag("--json");

  const ZooDataset zoo(args.positionals()[0]);
  const TrainReport r = train_predictor(zoo, o, [&](const std::string& s) {
    std::fprintf(stderr, "\r%s        ", s.c_str());
    std::fflush(stderr);
  });
  std::fprintf(stderr, "\n");
  write_file_atomically(*out, r.model_bytes.data(), r.model_bytes.size());
  if (json) {
    JsonWriter j;
    j.begin_object().field("model", *out).field("kind", model_kind_name(o.kind))
        .field("stats", stats_set_name(o.stats)).field("context", r.context).field("checkpoints", o.checkpoints.text())
        .field("target", target_name(o.target)).field("seed", static_cast<unsigned long long>(o.seed))
        .field("train_rows", r.train_rows).field("validation_rows", r.validation_rows)
        .field("test_rows", r.test_rows).field("dropped_non_finite", r.dropped_non_finite)
        .field("dropped_unfinished", r.dropped_unfinished).field("trees", r.trees)
        .field("bytes", r.model_bytes.size()).field("feature_seconds", r.feature_seconds)
        .field("train_seconds", r.train_seconds);
    metrics_json(j, "validation", r.validation);
    metrics_json(j, "test", r.test);
    j.end_object();
    std::printf("%s\n", j.str().c_str());
    return 0;
  }
  if (r.context != "none") std::printf("context: %s\n", r.context.c_str());
  std::printf("trained %s on %zu rows (%zu validation, %zu test) in %.2f s; wrote %s (%zu bytes)\n",
              model_kind_name(o.kind), r.train_rows, r.validation_rows, r.test_rows, r.train_seconds,
              out->c_str(), r.model_bytes.size());
  std::printf("  validation: R2 %.4f  Kendall tau %.4f  MAE %.4f  RMSE %.4f\n", r.validation.r2,
              r.validation.kendall_tau, r.validation.mae, r.validation.rmse);
  std::printf("  test:       R2 %.4f  Kendall tau %.4f  MAE %.4f  RMSE %.4f\n", r.test.r2,
              r.test.kendall_tau, r.test.mae, r.test.rmse);
  return 0;
}

}  // namespace dpa::tools
