// dpa early-stop --in-sweep: the sweep learner (tools/sweep) replayed over random orders of a
// zoo's runs, beside the pruners that read the learning curve, on the same runs.
#include <cstdio>
#include <map>
#include <memory>

#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "common/cli_args.hpp"
#include "common/json_writer.hpp"
#include "common/progress.hpp"
#include "common/svg_plot.hpp"
#include "sweep/in_sweep_replay.hpp"

namespace dpa::tools {

namespace {

InSweepOptions parse_in_sweep_options(const Args& args) {
  if (args.value("--model") || args.value("--folds") || args.value("--context") || args.flag("--tune") ||
      args.value("--train-checkpoints") || args.value("--below") || args.value("--gap")) {
    throw UsageError(
        "--in-sweep learns its own predictor with the percentile rule: --model, --folds, --context, "
        "--tune, --train-checkpoints, --below and --gap are for the other replays");
  }
  InSweepOptions o;
  o.step = static_cast<std::uint32_t>(args.integer("--at", 1, 0, 1000000));
  o.trials = static_cast<std::uint32_t>(args.integer("--trials", 100, 2, 10000000));
  o.orders = static_cast<std::uint32_t>(args.integer("--orders", 20, 1, 100000));
  o.percentiles = parse_percentiles(args);
  o.startup = static_cast<std::uint32_t>(args.integer("--startup", 5, 0, 1000000));
  const std::vector<double> audit = parse_number_list(args.value_or("--audit", "0"), "--audit", 0, 1);
  if (audit.size() != 1) throw UsageError("--audit takes one fraction");
  o.audit = audit[0];
  o.halving = parse_number_list(args.value_or("--halving", "2,3"), "--halving", 1.5, 100);
  o.seed = static_cast<std::uint64_t>(args.integer("--seed", 0, 0, 1ll << 40));
  o.threads = args.threads();
  return o;
}

void field_mean_sd(JsonWriter& j, const char* name, const MeanSd& m) {
  j.key(name).begin_object().field("mean", m.mean).field("sd", m.sd).end_object();
}

void print_in_sweep_json(const ZooDataset& zoo, const InSweepOptions& o, const InSweepReport& r) {
  JsonWriter j;
  j.begin_object()
      .field("zoo", zoo.dir())
      .field("in_sweep", true)
      .field("step", r.step)
      .field("trials", r.trials)
      .field("orders", r.orders)
      .field("available_runs", r.available_runs)
      .field("history_runs", r.history_runs)
      .field("startup", o.startup)
      .field("audit", o.audit)
      .field("seed", static_cast<unsigned long long>(o.seed));
  j.key("learner_reads").begin_array();
  for (const std::string& m : r.metrics) j.value(m);
  for (const std::string& h : r.hyperparameters) j.value(h);
  j.end_array().key("rules").begin_array();
  for (const InSweepRule& x : r.rules) {
    j.begin_object()
        .field("signal", signal_name(x.rule.signal))
        .field("rule", rule_kind_name(x.rule.kind))
        .field("value", x.rule.value)
        .field("runs", static_cast<std::uint64_t>(r.trials));
    field_mean_sd(j, "stopped", x.stopped());
    field_mean_sd(j, "epochs_saved_share", x.epochs_saved_share());
    j.field("best_runs", static_cast<std::uint64_t>(x.orders.empty() ? 0 : x.orders[0].best_runs));
    field_mean_sd(j, "best_runs_stopped", x.best_runs_stopped());
    field_mean_sd(j, "regret", x.regret());
    j.end_object();
  }
  j.end_array().key("learning").begin_array();
  for (const InSweepLearning& l : r.learning) {
    j.begin_object().field("percentile", l.percentile);
    field_mean_sd(j, "fits", l.fits);
    field_mean_sd(j, "predicted_share", l.predicted_share);
    if (l.orders_never_trusted < r.orders) field_mean_sd(j, "first_trusted_trial", l.first_trusted_trial);
    j.field("orders_never_trusted", l.orders_never_trusted).end_object();
  }
  j.end_array().field("seconds", r.seconds).end_object();
  std::printf("%s\n", j.str().c_str());
}

void print_in_sweep_text(const ZooDataset& zoo, const InSweepReport& r) {
  std::printf("%s: %u random orders of %u of its %u finished runs, each trial decided at step %u", zoo.dir().c_str(),
              r.orders, r.trials, r.available_runs, r.step);
  if (r.history_runs > 0) std::printf("; the learner starts from %u runs of history", r.history_runs);
  std::printf("\n| rule | runs stopped | epochs saved | best 10%% stopped | regret |\n|---|---|---|---|---|\n");
  for (const InSweepRule& x : r.rules) {
    const MeanSd stopped = x.stopped(), saved = x.epochs_saved_share(), best = x.best_runs_stopped(),
                 regret = x.regret();
    std::printf("| %s | %.1f ± %.1f | %.1f ± %.1f %% | %.2f ± %.2f of %zu | %.4f ± %.4f |\n", x.rule.name().c_str(),
                stopped.mean, stopped.sd, 100 * saved.mean, 100 * saved.sd, best.mean, best.sd,
                x.orders.empty() ? std::size_t{0} : x.orders[0].best_runs, regret.mean, regret.sd);
  }
  for (const InSweepLearning& l : r.learning) {
    std::printf(
        "learner keeping the top %g %%: %.1f refits per order; %.0f %% of its decisions scored by its predictor",
        l.percentile, l.fits.mean, 100 * l.predicted_share.mean);
    if (l.orders_never_trusted < r.orders)
      std::printf(", the first at trial %.0f on average", l.first_trusted_trial.mean);
    if (l.orders_never_trusted > 0) std::printf(" (%u orders never trusted it)", l.orders_never_trusted);
    std::printf("\n");
  }
}

std::string in_sweep_plot(const InSweepReport& r) {
  std::map<std::string, std::vector<std::pair<double, double>>> curves;
  for (const InSweepRule& x : r.rules) {
    const double best = x.orders.empty() || x.orders[0].best_runs == 0 ? 1.0 : x.orders[0].best_runs;
    curves[signal_name(x.rule.signal)].push_back(
        {100 * x.epochs_saved_share().mean, 100 * x.best_runs_stopped().mean / best});
  }
  std::vector<Curve> out;
  for (auto& [name, points] : curves) out.push_back({name, points});
  return curves_svg(out,
                    "in-sweep replay at step " + std::to_string(r.step) + " (" + std::to_string(r.orders) +
                        " orders of " + std::to_string(r.trials) + " trials)",
                    "epochs saved (%)", "best 10 % of runs stopped (%)");
}

}  // namespace

int run_early_stop_in_sweep(const Args& args) {
  const InSweepOptions o = parse_in_sweep_options(args);
  const ZooDataset zoo(args.positionals()[0]);
  std::vector<std::unique_ptr<ZooDataset>> history;
  std::vector<const ZooDataset*> history_view;
  for (const std::string& dir : split(args.value_or("--history", ""), ',')) {
    if (dir.empty()) continue;
    history.push_back(std::make_unique<ZooDataset>(dir));
    history_view.push_back(history.back().get());
  }
  StatusLine status;
  const InSweepReport r = in_sweep_replay(zoo, history_view, o, [&](const std::string& line) { status.show(line); });
  if (const auto plot = args.value("--plot")) {
    const std::string svg = in_sweep_plot(r);
    write_file_atomically(*plot, svg.data(), svg.size());
  }
  if (args.flag("--json")) {
    print_in_sweep_json(zoo, o, r);
  } else {
    print_in_sweep_text(zoo, r);
  }
  return 0;
}

}  // namespace dpa::tools
