// dpa eval: a model's quality on every usable row of a zoo.
#include <cstdio>
#include <thread>

#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "common/cli_args.hpp"
#include "common/json_writer.hpp"
#include "common/svg_plot.hpp"
#include "train/pipeline.hpp"

namespace dpa::tools {

namespace {

// Which runs the figures are of.
std::string scored_runs(const Evaluation& e, bool all_runs) {
  if (!e.split_known) return "every run (the model does not record the runs it was trained on)";
  if (!e.own_zoo) return "every run (not the training zoo)";
  if (all_runs) return "every run, training runs included";
  return "held-out runs only (" + std::to_string(e.excluded_runs) +
         " training and validation runs excluded; --all-runs includes them)" +
         (e.zoo_changed ? ". The zoo has changed since the model was trained: runs added since then on the "
                          "training side of the split are excluded too"
                        : "");
}

void print_eval_json(const Args& args, const ZooDataset& zoo, const CheckpointSelection& checkpoints, Target target,
                     const Evaluation& e, bool all_runs) {
  JsonWriter j;
  j.begin_object()
      .field("model", args.positionals()[0])
      .field("zoo", zoo.dir())
      .field("checkpoints", checkpoints.text())
      .field("target", target_name(target))
      .field("n", e.metrics.n)
      .field("r2", e.metrics.r2)
      .field("kendall_tau", e.metrics.kendall_tau)
      .field("mae", e.metrics.mae)
      .field("rmse", e.metrics.rmse)
      .field("dropped_non_finite", e.dropped_non_finite)
      .field("dropped_unfinished", e.dropped_unfinished)
      .field("training_zoo", e.own_zoo)
      .field("zoo_changed", e.zoo_changed)
      .field("held_out_only", e.own_zoo && !all_runs)
      .field("excluded_runs", static_cast<unsigned long long>(e.excluded_runs))
      .end_object();
  std::printf("%s\n", j.str().c_str());
}

void print_eval_text(const Args& args, const ZooDataset& zoo, const CheckpointSelection& checkpoints, Target target,
                     const Evaluation& e, bool all_runs) {
  std::printf("%s on %s (%s, checkpoints %s): n %zu  R2 %.4f  Kendall tau %.4f  MAE %.4f  RMSE %.4f\n",
              args.positionals()[0].c_str(), zoo.dir().c_str(), target_name(target), checkpoints.text().c_str(),
              e.metrics.n, e.metrics.r2, e.metrics.kendall_tau, e.metrics.mae, e.metrics.rmse);
  std::printf("  rows of %s\n", scored_runs(e, all_runs).c_str());
  if (e.dropped_non_finite > 0) {
    std::printf("  %llu rows left out: NaN or infinite weights, or context values missing or not finite\n",
                static_cast<unsigned long long>(e.dropped_non_finite));
  }
  if (e.dropped_unfinished > 0) {
    std::printf("  %llu rows left out: runs that never reached their last epoch (no final accuracy)\n",
                static_cast<unsigned long long>(e.dropped_unfinished));
  }
}

// Why an evaluation has no row: every reason that left rows out, with its count.
std::string why_no_rows(const Evaluation& e, const CheckpointSelection& checkpoints) {
  std::string why = "no usable rows for --checkpoints " + checkpoints.text();
  if (e.dropped_non_finite > 0)
    why +=
        "; " + std::to_string(e.dropped_non_finite) + " rows have non-finite features (NaN/Inf weights or statistics)";
  if (e.dropped_unfinished > 0) why += "; " + std::to_string(e.dropped_unfinished) + " rows are of unfinished runs";
  if (e.excluded_runs > 0) {
    why += "; " + std::to_string(e.excluded_runs) +
           " runs the model was trained or validated on are left out (--all-runs evaluates them anyway)";
  }
  return why;
}

}  // namespace

int run_eval(int argc, char** argv, int first) {
  const Args args(argc, argv, first, "--checkpoints= --target= --threads= --json --plot= --all-runs");
  args.expect_positionals(2, "MODEL.dpa and ZOO_DIR");
  const ModelFile loaded(args.positionals()[0]);
  const dpa_model& m = loaded.model();
  const std::string trained_checkpoints = metadata_value(m, "checkpoints");
  const CheckpointSelection checkpoints =
      parse_checkpoints(args.value_or("--checkpoints", trained_checkpoints.empty() ? "final" : trained_checkpoints));
  const Target target = parse_target(
      args.value_or("--target", m.target == DPA_TARGET_FINAL_TEST_ACCURACY ? "final_test_accuracy" : "test_accuracy"));
  const auto threads = args.threads();
  const ZooDataset zoo(args.positionals()[1]);
  const bool all_runs = args.flag("--all-runs");
  const Evaluation e = evaluate_model(m, zoo, checkpoints, target, threads, all_runs, true);
  if (!e.range_warning.empty()) std::fprintf(stderr, "warning: %s\n", e.range_warning.c_str());
  if (e.metrics.n == 0) throw ToolError(zoo.dir() + ": " + why_no_rows(e, checkpoints));
  if (const auto plot = args.value("--plot")) {
    const std::string svg =
        scatter_svg(e.truth, e.predicted,
                    std::string(target_name(target)) + ": R2 " + std::to_string(e.metrics.r2).substr(0, 6) + ", tau " +
                        std::to_string(e.metrics.kendall_tau).substr(0, 6) + ", n " + std::to_string(e.metrics.n));
    write_file_atomically(*plot, svg.data(), svg.size());
  }
  if (args.flag("--json")) {
    print_eval_json(args, zoo, checkpoints, target, e, all_runs);
  } else {
    print_eval_text(args, zoo, checkpoints, target, e, all_runs);
  }
  return 0;
}

namespace {

const char* const kEvalUsage =
    R"(usage: dpa eval MODEL.dpa ZOO_DIR [--checkpoints final|all|STEPS] [--target T] [--threads N]
                [--all-runs] [--json] [--plot OUT.svg]

Predicts every usable row of ZOO_DIR with the runtime and reports R2, Kendall's tau-b, MAE and
RMSE against the target. Row selection and target default to the ones the model was trained
with (its provenance). On the zoo the model was trained on, only its held-out runs count, and
the runs left out are reported; --all-runs counts every run (training runs flatter the
figures). --plot writes a predicted-vs-actual scatter plot as SVG.
)";

}  // namespace

const Command eval_command = {"eval", "evaluate a model on a zoo (R2, Kendall tau, MAE, RMSE, plot)", kEvalUsage,
                              run_eval};

}  // namespace dpa::tools
