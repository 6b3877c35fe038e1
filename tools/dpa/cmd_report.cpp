// dpa report: the paper's comparison (predictors x input kinds, the transfer matrix, the figures)
// on the user's zoos, as a markdown summary, JSON and SVG figures in one directory.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common/cli_args.hpp"
#include "common/json_writer.hpp"
#include "common/staged_directory.hpp"
#include "common/svg_plot.hpp"
#include "common/text_format.hpp"
#include "train/comparison.hpp"

namespace dpa::tools {

namespace {

// The paper's R2 on held-out runs (final checkpoints, 15,000 training runs; as quoted in the
// project's docs on the paper): MNIST, Fashion-MNIST, CIFAR10-GS, SVHN-GS.
struct PublishedR2 {
  ModelKind model;
  const char* inputs;  // ComparisonInputs::name
  double r2[4];
};
constexpr PublishedR2 kPublished[] = {
    {ModelKind::kGbdt, "W-stats", {0.9928, 0.9931, 0.9840, 0.9857}},
    {ModelKind::kMlp, "W-stats", {0.9928, 0.9919, 0.9802, 0.9852}},
    {ModelKind::kLinear, "W-stats", {0.9204, 0.8043, 0.7268, 0.8524}},
    {ModelKind::kGbdt, "H", {0.918, 0.924, 0.934, 0.935}},
};
constexpr const char* kPublishedZoos[] = {"MNIST", "Fashion-MNIST", "CIFAR10-GS", "SVHN-GS"};

const char* paper_name(ModelKind k) {
  return k == ModelKind::kGbdt ? "GBM (gbdt)" : k == ModelKind::kLinear ? "logit-linear (linear)" : "DNN (mlp)";
}

// A name safe as a file name: letters, digits, '.', '-', '_'; anything else becomes '_'.
std::string file_safe(const std::string& name) {
  std::string out;
  for (const char c : name)
    out += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ? c : '_';
  return out.empty() || out[0] == '.' ? "_" + out : out;
}

std::string cell_file(const ComparisonCell& cell) {
  std::string inputs = cell.inputs->name;
  for (char& c : inputs) c = c == '+' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::string(model_kind_name(cell.model)) + "-" + inputs + ".svg";
}

std::string metric_table(const std::vector<const ComparisonInputs*>& c_inputs, const ZooComparison& z,
                         const NamedMetric& metric, const char* title) {
  std::string md = "| " + std::string(title) + " |";
  std::string rule = "|---|";
  for (const ComparisonInputs* in : c_inputs) {
    md += " " + std::string(in->name) + " |";
    rule += "---|";
  }
  md += "\n" + rule + "\n";
  for (const ModelKind model : comparison_models()) {
    md += "| " + std::string(paper_name(model)) + " |";
    for (const ComparisonCell& cell : z.cells) {
      if (cell.model != model) continue;
      if (!cell.skipped.empty()) {
        md += " — |";
        continue;
      }
      md += " " + mean_spread_text(mean_spread(cell.folds, metric.field), 3) + " |";
    }
    md += "\n";
  }
  return md;
}

// The report's sections, in order.
std::string zoo_sections(const Comparison& c) {
  std::string md;
  for (const ZooComparison& z : c.zoos) {
    md += "\n## " + z.name + "\n\n`" + z.dir + "`: " + std::to_string(z.runs) + " runs, " +
          std::to_string(z.final_test_accuracy.size()) + " finished; W-stats are " + std::to_string(z.statistics) +
          " statistics. Figures: [accuracies](" + file_safe(z.name) + "/accuracy.svg), [test vs train](" +
          file_safe(z.name) + "/test-vs-train.svg), predicted vs true per cell in [" + file_safe(z.name) + "/cells](" +
          file_safe(z.name) + "/cells/).\n\n";
    md += metric_table(c.options.inputs, z, kNamedMetrics[0], "R²") + "\n";
    md += metric_table(c.options.inputs, z, kNamedMetrics[1], "Kendall τ") + "\n";
    md += metric_table(c.options.inputs, z, kNamedMetrics[2], "MAE") + "\n";
    for (const ComparisonCell& cell : z.cells) {
      if (!cell.skipped.empty())
        md += "— " + std::string(paper_name(cell.model)) + " on " + cell.inputs->name + ": " + cell.skipped + "\n";
    }
  }
  return md;
}

std::string transfer_section(const Comparison& c) {
  const ComparisonOptions& o = c.options;
  std::string md;
  md += "\n## Transfer: GBM on W-stats trained on the row's zoo, scored on the column's held-out runs\n\n";
  md += "Held out: " + fixed(o.test_fraction * 100, 0) +
        " % of each zoo's runs (the same runs in every row). "
        "Kendall τ / R²; heat maps: [τ](transfer-tau.svg), [R²](transfer-r2.svg); scatter plots in "
        "[transfer](transfer/).\n\n";
  md += "| trained on \\ scored on |";
  std::string rule = "|---|";
  for (const ZooComparison& z : c.zoos) {
    md += " " + z.name + " |";
    rule += "---|";
  }
  md += "\n" + rule + "\n";
  for (std::size_t a = 0; a < c.zoos.size(); ++a) {
    md += "| " + c.zoos[a].name + " |";
    for (const TransferCell& cell : c.transfer[a]) {
      md += cell.skipped.empty() ? " " + fixed(cell.metrics.kendall_tau, 3) + " / " + fixed(cell.metrics.r2, 3) + " |"
                                 : " n/a |";
    }
    md += "\n";
  }
  return md;
}

std::string published_section() {
  std::string md;
  md = "\n## Published (the paper's numbers, not ours)\n\nR² on held-out runs of the released zoos, final "
       "checkpoints, 15,000 training runs per zoo. The paper's table has no row for all weights (W) in our copy.\n\n| "
       "predictor | inputs |";
  for (const char* zoo : kPublishedZoos) md += " " + std::string(zoo) + " |";
  md += "\n|---|---|---|---|---|---|\n";
  for (const PublishedR2& p : kPublished) {
    md += "| " + std::string(paper_name(p.model)) + " | " + p.inputs + " |";
    for (const double r2 : p.r2) md += " " + fixed(r2, 4) + " |";
    md += "\n";
  }
  return md;
}

std::string summary_markdown(const Comparison& c) {
  const ComparisonOptions& o = c.options;
  std::string md = "# Predicting accuracy from weights: the paper's comparison on these zoos\n\n";
  md += "Written by `dpa report` in " + fixed(c.seconds, 0) +
        " s. **Every number in the tables below is ours**, "
        "measured on these zoos, except the table *Published* (the paper's, Unterthiner et al. 2020, on the "
        "released Small CNN Zoo). Final checkpoints; target: test accuracy; " +
        std::to_string(o.folds) + "-fold cross-validation by run (no run's rows on two sides), seed " +
        std::to_string(o.seed) + "; mean ± standard deviation over the held-out folds." +
        (o.quick ? " **Quick mode**: fewer boosting "
                   "rounds and MLP epochs, figures below the full run's."
                 : "") +
        "\n\nInputs:\n";
  for (const ComparisonInputs* in : o.inputs) md += "- **" + std::string(in->name) + "**: " + in->meaning + "\n";
  if (o.inputs.size() < comparison_inputs().size()) {
    md += "\nNot run (`--inputs all` runs every kind):";
    for (const ComparisonInputs& in : comparison_inputs()) {
      if (std::find(o.inputs.begin(), o.inputs.end(), &in) == o.inputs.end()) md += " " + std::string(in.name) + ",";
    }
    md.back() = '.';
    md += " W, every raw weight, makes the slowest cells by far (the paper's MLP on W most of all).\n";
  }
  return md + zoo_sections(c) + transfer_section(c) + published_section();
}

std::string report_json(const Comparison& c) {
  JsonWriter j;
  j.begin_object()
      .field("folds", c.options.folds)
      .field("quick", c.options.quick)
      .field("seed", static_cast<unsigned long long>(c.options.seed))
      .field("test_fraction", c.options.test_fraction)
      .field("seconds", c.seconds);
  j.key("zoos").begin_array();
  for (const ZooComparison& z : c.zoos) {
    j.begin_object()
        .field("name", z.name)
        .field("dir", z.dir)
        .field("runs", z.runs)
        .field("finished_runs", z.final_test_accuracy.size())
        .field("w_stats", z.statistics);
    j.key("cells").begin_array();
    for (const ComparisonCell& cell : z.cells) {
      j.begin_object().field("model", model_kind_name(cell.model)).field("inputs", cell.inputs->name);
      if (!cell.skipped.empty()) {
        j.field("skipped", cell.skipped).end_object();
        continue;
      }
      j.field("seconds", cell.seconds).field("n", cell.truth.size());
      for (const NamedMetric& metric : kNamedMetrics) {
        const MeanSpread m = mean_spread(cell.folds, metric.field);
        j.field(std::string(metric.name) + "_mean", m.mean).field(std::string(metric.name) + "_sd", m.sd);
      }
      j.end_object();
    }
    j.end_array().end_object();
  }
  j.end_array();
  j.key("transfer").begin_array();
  for (std::size_t a = 0; a < c.zoos.size(); ++a) {
    for (std::size_t b = 0; b < c.zoos.size(); ++b) {
      const TransferCell& cell = c.transfer[a][b];
      j.begin_object().field("trained_on", c.zoos[a].name).field("scored_on", c.zoos[b].name);
      if (cell.skipped.empty()) {
        j.field("n", cell.metrics.n)
            .field("r2", cell.metrics.r2)
            .field("kendall_tau", cell.metrics.kendall_tau)
            .field("mae", cell.metrics.mae);
      } else {
        j.field("skipped", cell.skipped);
      }
      j.end_object();
    }
  }
  j.end_array().end_object();
  return j.str();
}

void write_figures(const Comparison& c, StagedDirectory& out) {
  for (const ZooComparison& z : c.zoos) {
    const std::string dir = file_safe(z.name) + "/";
    out.write(dir + "accuracy.svg", histogram_svg(z.final_test_accuracy, 40, 0.0, 1.0,
                                                  z.name + ": final test accuracy of " +
                                                      std::to_string(z.final_test_accuracy.size()) + " runs",
                                                  "test accuracy", "runs"));
    std::vector<float> train, test;
    for (std::size_t i = 0; i < z.final_test_accuracy.size(); ++i) {
      if (std::isnan(z.final_train_accuracy[i])) continue;
      train.push_back(z.final_train_accuracy[i]);
      test.push_back(z.final_test_accuracy[i]);
    }
    if (!train.empty()) {
      out.write(dir + "test-vs-train.svg",
                scatter_svg(train, test, z.name + ": final test vs train accuracy", "train accuracy", "test accuracy"));
    }
    for (const ComparisonCell& cell : z.cells) {
      if (!cell.skipped.empty()) continue;
      const RegressionMetrics pooled = evaluate(cell.truth, cell.predicted);
      out.write(
          dir + "cells/" + cell_file(cell),
          scatter_svg(cell.truth, cell.predicted,
                      z.name + ": " + model_kind_name(cell.model) + " on " + cell.inputs->name +
                          ", held-out folds (R2 " + fixed(pooled.r2, 3) + ", tau " + fixed(pooled.kendall_tau, 3) + ")",
                      "true test accuracy", "predicted test accuracy"));
    }
  }
  std::vector<std::string> names;
  for (const ZooComparison& z : c.zoos) names.push_back(z.name);
  std::vector<std::vector<double>> tau(names.size()), r2(names.size());
  for (std::size_t a = 0; a < names.size(); ++a) {
    for (std::size_t b = 0; b < names.size(); ++b) {
      const TransferCell& cell = c.transfer[a][b];
      tau[a].push_back(cell.skipped.empty() ? cell.metrics.kendall_tau : NAN);
      r2[a].push_back(cell.skipped.empty() ? cell.metrics.r2 : NAN);
      if (!cell.skipped.empty()) continue;
      out.write("transfer/" + file_safe(names[a]) + "-on-" + file_safe(names[b]) + ".svg",
                scatter_svg(cell.truth, cell.predicted,
                            "trained on " + names[a] + ", scored on " + names[b] + " (tau " +
                                fixed(cell.metrics.kendall_tau, 3) + ")",
                            "true test accuracy", "predicted test accuracy"));
    }
  }
  out.write("transfer-tau.svg", heatmap_svg(names, names, tau, 0.0, 1.0, "transfer: Kendall tau of GBM on W-stats",
                                            "trained on", "scored on (held-out runs)"));
  out.write("transfer-r2.svg", heatmap_svg(names, names, r2, 0.0, 1.0, "transfer: R2 of GBM on W-stats", "trained on",
                                           "scored on (held-out runs)"));
}

}  // namespace

int run_report(int argc, char** argv, int first) {
  const Args args(argc, argv, first,
                  "-o|--output= --folds= --quick --seed= --test-fraction= --threads= --inputs= --json");
  if (args.positionals().empty()) throw UsageError("name at least one ZOO_DIR");
  const std::string out = args.required("-o", "OUT_DIR");
  if (std::filesystem::exists(out) && !std::filesystem::is_directory(out)) {
    throw UsageError(out + " exists and is not a directory: -o names the report's directory");
  }
  ComparisonOptions o;
  o.quick = args.flag("--quick");
  o.folds = static_cast<int>(args.integer("--folds", o.quick ? 2 : 5, 2, 20));
  o.seed = static_cast<std::uint64_t>(args.integer("--seed", 0, 0, 1ll << 40));
  o.test_fraction = args.real("--test-fraction", 0.2, 0.05, 0.9);
  o.threads = args.threads();
  o.inputs = parse_comparison_inputs(args.value_or("--inputs", "default"));
  // Refused before the work, and swapped in whole after it: a full disk leaves no partial report.
  StagedDirectory dir(out, ".dpa-report", "report");
  const Comparison c = run_comparison(args.positionals(), o,
                                      [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
  write_figures(c, dir);
  const std::string json = report_json(c), markdown = summary_markdown(c);
  dir.write("report.json", json + "\n");
  dir.write("README.md", markdown);
  dir.commit();
  if (args.flag("--json")) {
    std::printf("%s\n", json.c_str());
  } else {
    std::printf("%s\nwrote %s (README.md, report.json, figures)\n", markdown.c_str(), out.c_str());
  }
  return 0;
}

namespace {

const char* const kReportUsage = R"(usage: dpa report ZOO_DIR [ZOO_DIR ...] -o OUT_DIR [--folds K] [--quick] [--seed N]
                  [--test-fraction F] [--threads N] [--json]

Reproduces the comparison of Unterthiner et al. (2020) on your zoos, on their final
checkpoints: for each zoo, GBM (gbdt), logit-linear (linear) and DNN (mlp) predictors of
test accuracy from the weight statistics (W-stats), all weights (W), the hyperparameters
alone (H) and statistics with hyperparameters, by K-fold cross-validation over runs (mean
and spread of R2, Kendall tau, MAE on held-out folds); then a transfer matrix: GBM on W-stats
trained on each zoo and scored on every zoo's held-out runs. Writes to OUT_DIR, which must be
new, empty or an earlier report (any other directory is refused; the new report replaces the
earlier one whole, only once it is complete):
  README.md           the tables, with the paper's published numbers beside ours
  report.json         every number
  ZOO/accuracy.svg    the zoo's final test accuracies (the paper's Figure 2, left)
  ZOO/test-vs-train.svg  final test against train accuracy (Figure 2, right)
  ZOO/cells/M-I.svg   predicted vs true on held-out folds, predictor M on inputs I
  transfer-tau.svg, transfer-r2.svg  the transfer matrix as heat maps
  transfer/A-on-B.svg predicted vs true of the model trained on A, on B's held-out runs

  --folds K     run-level folds per cell (default 5)
  --quick       fewer boosting rounds and MLP epochs, 2 folds unless --folds: a smoke run
  --seed N      folds, splits and training (default 0)
  --test-fraction F  transfer: share of each zoo's runs held out (default 0.2)
  --inputs LIST the input kinds (columns): default (W-stats, H, W-stats+H), all, or names
                from W-stats, W, H, W-stats+H. W (every raw weight) is the slowest by far:
                it runs only when named
  --threads N   default: every core
  --json        report.json on stdout instead of the summary
GBM on W uses a tenth of the weights per tree (--colsample 0.1); every other setting is dpa
train's default (the linear model's ridge strength chosen on validation runs).
)";

}  // namespace

const Command report_command = {"report", "the paper's comparison on your zoos: predictors x inputs, transfer, figures",
                                kReportUsage, run_report};

}  // namespace dpa::tools
