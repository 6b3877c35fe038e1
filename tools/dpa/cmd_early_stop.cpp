// dpa early-stop: what stopping runs early from their weights saves on a zoo, and what it costs.
#include <cmath>
#include <cstdio>
#include <thread>

#include "commands.hpp"
#include "common/cli_args.hpp"
#include "common/json_writer.hpp"
#include "train/context.hpp"
#include "train/early_stop_report.hpp"

namespace dpa::tools {

const char* const kEarlyStopUsage =
    "usage: dpa early-stop ZOO_DIR [--at STEP] [--context LIST] [--below LIST] [--gap LIST]\n"
    "                      [--test-fraction F] [--seed N] [--json]\n"
    "\n"
    "Trains a predictor of each run's final test accuracy from its weights (and --context) at\n"
    "checkpoint STEP on some runs, then replays the other runs in zoo order through the runtime's\n"
    "early-stopping check (dpa_early_stop_check_inputs) and reports, per rule, the share of\n"
    "training epochs saved and how many of the best 10 % of those runs were wrongly stopped.\n"
    "\n"
    "  --at STEP          checkpoint at which to decide (default 1)\n"
    DPA_CONTEXT_HELP
    "  --below LIST       absolute thresholds on the predicted final accuracy (default 0.3,0.5,0.6,0.65)\n"
    "  --gap LIST         gaps under the best prediction so far (default 0.3,0.2,0.15)\n"
    "  --test-fraction F  share of runs replayed (default 0.5); the rest train the predictor\n";

namespace {

std::vector<float> parse_list(const std::string& text, const std::string& what) {
  std::vector<float> out;
  for (const std::string& field : split(text, ',')) out.push_back(static_cast<float>(parse_real(field, what)));
  return out;
}

}  // namespace

int run_early_stop(int argc, char** argv, int first) {
  const Args args(argc, argv, first,
                  {{"--at", true, ""}, {"--context", true, ""}, {"--below", true, ""}, {"--gap", true, ""}, {"--test-fraction", true, ""},
                   {"--seed", true, ""}, {"--threads", true, ""}, {"--json", false, ""}});
  args.expect_positionals(1, "ZOO_DIR");
  const auto step = static_cast<std::uint32_t>(args.integer("--at", 1, 0, 1000000));
  std::vector<StopRule> rules;
  for (float b : parse_list(args.value_or("--below", "0.3,0.5,0.6,0.65"), "--below")) rules.push_back({b, 0.0f});
  for (float g : parse_list(args.value_or("--gap", "0.3,0.2,0.15"), "--gap")) {
    if (g <= 0) throw UsageError("--gap values must be positive");
    rules.push_back({NAN, g});
  }
  const double test_fraction = args.real("--test-fraction", 0.5, 0.05, 0.85);
  const auto seed = static_cast<std::uint64_t>(args.integer("--seed", 0, 0, 1ll << 40));
  const auto threads = static_cast<unsigned>(args.integer("--threads", std::max(1u, std::thread::hardware_concurrency()), 1, 256));
  const ZooDataset zoo(args.positionals()[0]);
  const EarlyStopReport r =
      early_stop_report(zoo, step, rules, test_fraction, seed, threads, args.value_or("--context", "none"));
  if (args.flag("--json")) {
    JsonWriter j;
    j.begin_object().field("zoo", zoo.dir()).field("step", step).field("seed", static_cast<unsigned long long>(seed));
    j.key("predictor").begin_object().field("train_rows", r.predictor.train_rows)
        .field("test_rows", r.predictor.test_rows).field("context", r.predictor.context).field("test_r2", r.predictor.test.r2)
        .field("test_kendall_tau", r.predictor.test.kendall_tau).end_object();
    j.key("rules").begin_array();
    for (const StopOutcome& o : r.outcomes) {
      j.begin_object().field("rule", o.rule.name()).field("runs", o.runs).field("stopped", o.stopped)
          .field("epochs_saved_share", o.epochs_saved_share).field("best_runs", o.best_runs)
          .field("best_runs_stopped", o.best_runs_stopped).field("mean_final_of_stopped", o.mean_final_of_stopped)
          .end_object();
    }
    j.end_array().end_object();
    std::printf("%s\n", j.str().c_str());
    return 0;
  }
  std::printf("final-accuracy predictor from checkpoint %u (context: %s): R2 %.3f, Kendall tau %.3f on %zu held-out runs\n",
              step, r.predictor.context.c_str(), r.predictor.test.r2, r.predictor.test.kendall_tau, r.predictor.test_rows);
  std::printf("| rule (decided at step %u) | runs stopped | epochs saved | best 10%% stopped | mean final acc. of stopped |\n", step);
  std::printf("|---|---|---|---|---|\n");
  for (const StopOutcome& o : r.outcomes) {
    std::printf("| %s | %zu / %zu | %.1f %% | %zu / %zu | %.3f |\n", o.rule.name().c_str(), o.stopped, o.runs,
                100 * o.epochs_saved_share, o.best_runs_stopped, o.best_runs, o.mean_final_of_stopped);
  }
  return 0;
}

}  // namespace dpa::tools
