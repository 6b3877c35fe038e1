// dpa early-stop: what stopping runs early saves on a zoo and what it costs, for our predictor
// and, on the same runs in the same order, for the signals learning-curve pruners use.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "common/cli_args.hpp"
#include "common/json_writer.hpp"
#include "common/svg_plot.hpp"
#include "train/context.hpp"
#include "train/early_stop_report.hpp"

namespace dpa::tools {

namespace {

std::string tradeoff_plot(const EarlyStopReport& r) {
  std::map<std::string, std::vector<std::pair<double, double>>> curves;
  for (const RuleOutcome& o : r.outcomes) {
    curves[signal_name(o.rule.signal)].push_back(
        {100 * o.epochs_saved_share(), o.best_runs ? 100.0 * o.best_runs_stopped / o.best_runs : 0.0});
  }
  std::vector<Curve> out;
  for (auto& [name, points] : curves) out.push_back({name, points});
  return curves_svg(out,
                    "early stopping at step " + std::to_string(r.step) + " (" + std::to_string(r.replays) + " replays)",
                    "epochs saved (%)", "best 10 % of runs stopped (%)");
}

const char* const kEarlyStopOptions =
    "--at= --model= --folds= --context= --below= --gap= --percentile= --startup= --halving= --seed= --threads= --json "
    "--plot= --tune --train-checkpoints= --in-sweep --trials= --orders= --history= --audit=";

EarlyStopOptions parse_early_stop_options(const Args& args) {
  EarlyStopOptions o;
  o.step = static_cast<std::uint32_t>(args.integer("--at", 1, 0, 1000000));
  o.model_path = args.value_or("--model", "");
  if (!o.model_path.empty() &&
      (args.value("--folds") || args.value("--context") || args.flag("--tune") || args.value("--train-checkpoints"))) {
    throw UsageError("--model replays a given model: --folds, --context, --tune and --train-checkpoints train one");
  }
  o.tune = args.flag("--tune");
  o.train_checkpoints = args.value_or("--train-checkpoints", "");
  if (!o.train_checkpoints.empty()) parse_checkpoints(o.train_checkpoints);  // usage errors before any work
  o.folds = static_cast<int>(args.integer("--folds", 2, 2, 100));
  o.context = args.value_or("--context", "none");
  o.below = parse_number_list(args.value_or("--below", "0.3,0.5,0.6"), "--below", 0, 1);
  o.gap = parse_number_list(args.value_or("--gap", "0.2"), "--gap", 1e-6, 1);
  o.percentiles = parse_percentiles(args);
  o.startup = static_cast<std::uint32_t>(args.integer("--startup", 5, 0, 1000000));
  o.halving = parse_number_list(args.value_or("--halving", "2,3"), "--halving", 1.5, 100);
  o.seed = static_cast<std::uint64_t>(args.integer("--seed", 0, 0, 1ll << 40));
  o.threads = args.threads();
  return o;
}

void print_early_stop_json(const ZooDataset& zoo, const EarlyStopOptions& o, const EarlyStopReport& r) {
  JsonWriter j;
  j.begin_object()
      .field("zoo", zoo.dir())
      .field("step", r.step)
      .field("seed", static_cast<unsigned long long>(o.seed))
      .field("replays", r.replays)
      .field("model", o.model_path.empty() ? "trained per fold" : o.model_path)
      .field("context", r.context)
      .field("excluded_runs", r.excluded_runs);
  j.key("predictor")
      .begin_object()
      .field("runs", r.predictor.n)
      .field("r2", r.predictor.r2)
      .field("kendall_tau", r.predictor.kendall_tau)
      .field("mae", r.predictor.mae)
      .end_object();
  j.key("rules").begin_array();
  for (const RuleOutcome& x : r.outcomes) {
    j.begin_object()
        .field("signal", signal_name(x.rule.signal))
        .field("rule", rule_kind_name(x.rule.kind))
        .field("value", x.rule.value)
        .field("runs", x.runs)
        .field("stopped", x.stopped)
        .field("epochs_saved_share", x.epochs_saved_share())
        .field("best_runs", x.best_runs)
        .field("best_runs_stopped", x.best_runs_stopped)
        .field("regret", x.regret())
        .field("mean_final_of_stopped", x.mean_final_of_stopped())
        .end_object();
  }
  j.end_array().end_object();
  std::printf("%s\n", j.str().c_str());
}

void print_early_stop_text(const EarlyStopReport& r) {
  std::printf("final-accuracy predictor at step %u (context: %s): R2 %.3f, Kendall tau %.3f on %zu runs, %d replay%s\n",
              r.step, r.context.c_str(), r.predictor.r2, r.predictor.kendall_tau, r.predictor.n, r.replays,
              r.replays == 1 ? "" : "s");
  if (r.excluded_runs > 0) {
    std::printf("the model's training zoo: %zu runs it was trained or validated on are not replayed\n",
                r.excluded_runs);
  }
  std::printf(
      "| rule (decided at step %u) | runs stopped | epochs saved | best 10%% stopped | regret | mean final acc. of "
      "stopped |\n",
      r.step);
  std::printf("|---|---|---|---|---|---|\n");
  for (const RuleOutcome& x : r.outcomes) {
    std::printf("| %s | %zu / %zu | %.1f %% | %zu / %zu | %.3f | %.3f |\n", x.rule.name().c_str(), x.stopped, x.runs,
                100 * x.epochs_saved_share(), x.best_runs_stopped, x.best_runs, x.regret(), x.mean_final_of_stopped());
  }
}

}  // namespace

std::vector<double> parse_percentiles(const Args& args) {
  const std::vector<double> kept = parse_number_list(args.value_or("--percentile", "50,25"), "--percentile", 0, 100);
  if (args.value("--percentile") && std::any_of(kept.begin(), kept.end(), [](double p) { return p != 50; })) {
    std::fprintf(stderr,
                 "note: --percentile P keeps the top P %% of the runs, as Optuna's PercentilePruner(P) (dpa 0.2 "
                 "stopped below the P-th percentile: its --percentile Q is --percentile 100-Q now)\n");
  }
  return kept;
}

int run_early_stop(int argc, char** argv, int first) {
  const Args args(argc, argv, first, kEarlyStopOptions);
  args.expect_positionals(1, "ZOO_DIR");
  if (args.flag("--in-sweep")) return run_early_stop_in_sweep(args);
  for (const char* option : {"--trials", "--orders", "--history", "--audit"}) {
    if (args.value(option)) throw UsageError(std::string(option) + " goes with --in-sweep");
  }
  const EarlyStopOptions o = parse_early_stop_options(args);
  const ZooDataset zoo(args.positionals()[0]);
  const EarlyStopReport r = early_stop_report(zoo, o);
  if (!r.range_warning.empty()) std::fprintf(stderr, "warning: %s\n", r.range_warning.c_str());
  if (const auto plot = args.value("--plot")) {
    const std::string svg = tradeoff_plot(r);
    write_file_atomically(*plot, svg.data(), svg.size());
  }
  if (args.flag("--json")) {
    print_early_stop_json(zoo, o, r);
  } else {
    print_early_stop_text(r);
  }
  return 0;
}

namespace {

const char* const kEarlyStopUsage =
    R"(usage: dpa early-stop ZOO_DIR [--at STEP] [--model MODEL.dpa | --folds K [--context LIST] [--tune]
                      [--train-checkpoints SEL]]
                      [--below LIST] [--gap LIST] [--percentile LIST] [--startup N]
                      [--halving LIST] [--seed N] [--threads N] [--json] [--plot OUT.svg]

Replays the runs of ZOO_DIR in zoo order, as a hyperparameter search meets them, and stops
runs at checkpoint STEP by each rule. Our predictor of a run's final test accuracy (trained on
the other folds of runs, or --model) decides through the runtime's dpa_early_stop_check_inputs;
the baselines decide from the zoo's own metrics: the observed test accuracy (Optuna's
MedianPruner / PercentilePruner), the training loss, and successive halving (Optuna's
SuccessiveHalvingPruner, rungs at STEP x eta^k). Per rule: the share of training epochs saved,
how many of the best 10 % of runs were stopped, the regret (best final accuracy of all runs
minus the best of those not stopped), summed over the replays.

  --at STEP          checkpoint at which to decide (default 1)
  --model FILE       replay every run with this final-accuracy model instead of training one
  --folds K          run-level folds (default 2): train on K-1, replay the one held out
  --tune             tune each fold's predictor as dpa train --tune does
  --train-checkpoints SEL  rows each fold's predictor trains on: all, or steps like 1,2,3
                     (default: STEP alone); one model then serves every checkpoint, and
                     --context should include step
)" DPA_CONTEXT_HELP R"(  --below LIST       thresholds on the predicted (and observed) accuracy (default 0.3,0.5,0.6)
  --gap LIST         gaps under the best prediction so far (default 0.2)
  --percentile LIST  keep the top P % of the earlier runs' scores, as Optuna's PercentilePruner(P)
                     (default 50,25; dpa 0.2's --percentile Q stopped below the Q-th percentile:
                     that is --percentile 100-Q now)
  --startup N        runs seen before a percentile rule stops any (default 5)
  --halving LIST     successive-halving reduction factors eta (default 2,3)
  --plot FILE        SVG of the trade-off: epochs saved vs best runs stopped, per signal
  --json             one object: the predictor's metrics and a row per signal and rule

In a sweep of a new network (no model, no zoo of it yet):
  dpa early-stop ZOO_DIR --in-sweep [--trials N] [--orders R] [--history ZOO,...] [--at STEP]
                 [--percentile LIST] [--startup N] [--audit F] [--halving LIST] [--seed N] [--json] [--plot]
replays R random orders of N finished runs of ZOO_DIR; in each, the sweep learner (what
dpa.optuna.SweepPruner runs) starts from nothing, or from the finished runs of the --history
zoos, and decides each trial at STEP by the percentile rule. Its score is the observed test
accuracy until its own predictor of the final accuracy, refit on the trials that finished (every
checkpoint; weight statistics, step, the loop's metrics, the varying config.* values), beats the
observed accuracy's out-of-fold Kendall tau at STEP. The baselines replay the same orders. Per rule:
mean ± sd over the orders of runs stopped, epochs saved, best 10 % stopped and regret.
  --trials N         runs per order (default 100)
  --orders R         random orders (default 20)
  --history ZOO,...  past sweeps of the same network to learn from from the start
  --audit F          the fraction of trials the learner never stops (default 0)
)";

}  // namespace

const Command early_stop_command = {"early-stop", "what stopping runs early from their weights saves on a zoo",
                                    kEarlyStopUsage, run_early_stop};

}  // namespace dpa::tools
