// dpa zoo info: what a zoo directory holds, checked end to end.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common/cli_args.hpp"
#include "common/json_writer.hpp"
#include "common/progress.hpp"
#include "common/text_format.hpp"
#include "train/context.hpp"
#include "zoo/feature_extraction.hpp"
#include "zoo/stored_statistics.hpp"
#include "zoo/zoo_dataset.hpp"

namespace dpa::tools {

namespace {

double linear_quantile(std::vector<float> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double h = (static_cast<double>(v.size()) - 1) * q;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

// A row's value of a descriptive column as text ("" when the zoo lacks the column).
std::string cell_text(const MetricsColumn* column, std::size_t row) {
  if (!column || std::isnan(column->values[row])) return "";
  if (column->categorical) return column->categories[static_cast<std::size_t>(column->values[row])];
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(column->values[row]));
  return buf;
}

// One hyperparameter over the runs (each run's first row): runs per value for categories; the
// range and median for numbers; runs where it is missing.
struct HyperSummary {
  std::string name;
  bool categorical = false;
  std::map<std::string, std::size_t> runs_per_value;
  double min = NAN, median = NAN, max = NAN;
  std::size_t missing = 0;
};

// What zoo info reports, gathered once for both forms of output.
struct ZooSummary {
  std::map<std::string, std::vector<std::size_t>> runs;  // rows per run
  std::map<std::size_t, std::size_t> checkpoints_per_run;
  std::set<std::uint32_t> steps;
  std::size_t incomplete = 0;
  std::vector<HyperSummary> hyper;  // the zoo's own hyperparameters: config.* columns that vary
  std::uint64_t non_finite_rows = 0;
  double accuracy[5];  // min, q25, median, q75, max
  // The networks' weight counts: a sweep's statistics zoo records each checkpoint's (num_weights)
  // when a width was swept; layout.csv holds the first network's.
  double weights_min = NAN, weights_max = NAN;
};

void count_runs(const ZooMetrics& m, ZooSummary& z) {
  for (std::size_t r = 0; r < m.rows(); ++r) z.runs[m.modeldir[r]].push_back(r);
  for (const auto& [name, rows] : z.runs) {
    ++z.checkpoints_per_run[rows.size()];
    bool reached_end = false;
    for (std::size_t r : rows) {
      z.steps.insert(m.step[r]);
      reached_end |= m.step[r] == m.epochs[r];
    }
    z.incomplete += !reached_end;
  }
  // The same columns `--context hyper` reads.
  for (const std::string& name : resolve_context("hyper", m, Target::kFinalTestAccuracy)) {
    const MetricsColumn& column = *m.column(name);
    HyperSummary h;
    h.name = name;
    h.categorical = column.categorical;
    std::vector<float> numbers;
    for (const auto& [run, rows] : z.runs) {
      const float v = column.values[rows[0]];
      if (std::isnan(v)) {
        ++h.missing;
      } else if (h.categorical) {
        ++h.runs_per_value[cell_text(&column, rows[0])];
      } else {
        numbers.push_back(v);
      }
    }
    if (!numbers.empty()) {
      h.min = *std::min_element(numbers.begin(), numbers.end());
      h.max = *std::max_element(numbers.begin(), numbers.end());
      h.median = linear_quantile(numbers, 0.5);
    }
    z.hyper.push_back(h);
  }
}

// Rows whose stored statistics are not all finite (row_is_finite): NaN/Inf weights, or finite
// weights whose statistics overflow. The same count for a weights zoo and its statistics zoo.
std::uint64_t count_non_finite_rows(const ZooDataset& zoo) {
  Progress progress("scanning rows", zoo.rows());
  const FeatureRun run = extract_features(
      zoo, {DPA_INPUT_STATISTICS, kStoredStatsSet}, default_threads(), nullptr,
      [](std::uint64_t, std::uint64_t, const float*) {}, [&](std::uint64_t done) { progress.update(done); });
  return run.non_finite_rows;
}

ZooSummary summarize(const ZooDataset& zoo) {
  ZooSummary z;
  count_runs(zoo.metrics(), z);
  z.non_finite_rows = count_non_finite_rows(zoo);
  z.weights_min = z.weights_max = static_cast<double>(zoo.weights_per_row());
  if (const MetricsColumn* c = zoo.metrics().column("num_weights"); c && !c->categorical) {
    for (const float v : c->values) {
      if (std::isnan(v)) continue;
      z.weights_min = std::min(z.weights_min, static_cast<double>(v));
      z.weights_max = std::max(z.weights_max, static_cast<double>(v));
    }
  }
  const double quantiles[5] = {0, 0.25, 0.5, 0.75, 1};
  for (int i = 0; i < 5; ++i) z.accuracy[i] = linear_quantile(zoo.metrics().test_accuracy, quantiles[i]);
  return z;
}

void print_zoo_json(const ZooDataset& zoo, const ZooSummary& z) {
  const NpyMatrix& w = zoo.row_file();
  JsonWriter j;
  j.begin_object()
      .field("dir", zoo.dir())
      .field("stores", zoo.stored_statistics() ? "statistics" : "weights")
      .field("rows", w.rows())
      .field("weights_per_row", zoo.weights_per_row())
      .field("weights_per_network_min", z.weights_min)
      .field("weights_per_network_max", z.weights_max)
      .field("dtype", w.dtype())
      .field("segments", zoo.layout_segments().size())
      .field("runs", z.runs.size())
      .field("incomplete_runs", z.incomplete)
      .field("non_finite_rows", z.non_finite_rows);
  j.key("checkpoints_per_run").begin_object();
  for (const auto& [k, v] : z.checkpoints_per_run) j.field(std::to_string(k), v);
  j.end_object().key("steps").begin_array();
  for (std::uint32_t s : z.steps) j.value(s);
  j.end_array().key("test_accuracy").begin_object();
  const char* names[5] = {"min", "q25", "median", "q75", "max"};
  for (int i = 0; i < 5; ++i) j.field(names[i], z.accuracy[i]);
  j.end_object();
  j.key("hyperparameters").begin_object();
  for (const HyperSummary& h : z.hyper) {
    j.key(h.name).begin_object().field("missing", h.missing);
    if (h.categorical) {
      j.key("runs_per_value").begin_object();
      for (const auto& [k, v] : h.runs_per_value) j.field(k, v);
      j.end_object();
    } else {
      j.field("min", h.min).field("median", h.median).field("max", h.max);
    }
    j.end_object();
  }
  j.end_object().end_object();
  std::printf("%s\n", j.str().c_str());
}

void print_zoo_text(const ZooDataset& zoo, const ZooSummary& z) {
  const NpyMatrix& w = zoo.row_file();
  std::printf("zoo %s\n", zoo.dir().c_str());
  if (zoo.stored_statistics()) {
    std::printf("  rows              %llu x %llu statistics of %llu weights, %zu segments (a statistics zoo)\n",
                static_cast<unsigned long long>(w.rows()), static_cast<unsigned long long>(w.cols()),
                static_cast<unsigned long long>(zoo.weights_per_row()), zoo.layout_segments().size());
    if (z.weights_min != z.weights_max) {
      std::printf("  networks          %.0f to %.0f weights (a width swept; layout.csv is the first network's)\n",
                  z.weights_min, z.weights_max);
    }
  } else {
    std::printf("  rows              %llu x %llu weights (%s), %zu segments\n",
                static_cast<unsigned long long>(w.rows()), static_cast<unsigned long long>(w.cols()), w.dtype().c_str(),
                zoo.layout_segments().size());
  }
  std::printf("  runs              %zu (%zu did not reach config.epochs)\n", z.runs.size(), z.incomplete);
  std::printf("  checkpoints/run  ");
  for (const auto& [k, v] : z.checkpoints_per_run) std::printf(" %zu: %zu runs;", k, v);
  std::printf("\n  steps            ");
  for (std::uint32_t s : z.steps) std::printf(" %u", s);
  std::printf("\n  non-finite rows   %llu\n", static_cast<unsigned long long>(z.non_finite_rows));
  std::printf("  test accuracy     min %.4f  q25 %.4f  median %.4f  q75 %.4f  max %.4f\n", z.accuracy[0], z.accuracy[1],
              z.accuracy[2], z.accuracy[3], z.accuracy[4]);
  if (z.hyper.empty()) std::printf("  hyperparameters   none varies (no config.* column with two values)\n");
  for (const HyperSummary& h : z.hyper) {
    std::string name = h.name.substr(7);  // without "config."
    std::printf("  %-17s", printable(name).c_str());
    if (h.categorical) {
      for (const auto& [k, v] : h.runs_per_value) std::printf(" %s %zu;", printable(k).c_str(), v);
    } else if (h.missing < z.runs.size()) {
      std::printf(" min %.4g  median %.4g  max %.4g", h.min, h.median, h.max);
    }
    if (h.missing > 0) std::printf(" (missing in %zu runs)", h.missing);
    std::printf("\n");
  }
}

int zoo_info(const Args& args) {
  args.expect_positionals(2, "ZOO_DIR");
  const ZooDataset zoo(args.positionals()[1]);
  const ZooSummary z = summarize(zoo);
  if (args.flag("--json")) {
    print_zoo_json(zoo, z);
  } else {
    print_zoo_text(zoo, z);
  }
  return 0;
}

int zoo_stats(const Args& args) {
  args.expect_positionals(2, "ZOO_DIR");
  const std::string out = args.required("-o", "OUT_DIR");
  const ZooDataset zoo(args.positionals()[1], ZooDataset::Metrics::kSkip);
  Progress progress("statistics", zoo.rows());
  const StatisticsZooRun run =
      write_statistics_zoo(zoo, out, args.threads(), [&](std::uint64_t done) { progress.update(done); });
  if (args.flag("--json")) {
    JsonWriter j;
    j.begin_object()
        .field("zoo", zoo.dir())
        .field("output", out)
        .field("rows", run.rows)
        .field("statistics_per_row", zoo.layout_segments().size() * dpa_stats_per_segment(kStoredStatsSet))
        .field("non_finite_rows", run.non_finite_rows)
        .field("bytes", run.bytes)
        .field("seconds", run.seconds)
        .end_object();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::fprintf(stderr, "wrote %s: %llu rows of statistics, %.2f MB, in %.2f s\n", out.c_str(),
                 static_cast<unsigned long long>(run.rows), static_cast<double>(run.bytes) / 1e6, run.seconds);
  }
  if (run.non_finite_rows > 0) {
    std::fprintf(stderr, "%llu rows hold NaN/Inf weights: their segments' statistics are NaN\n",
                 static_cast<unsigned long long>(run.non_finite_rows));
  }
  return 0;
}

}  // namespace

int run_zoo(int argc, char** argv, int first) {
  if (first < argc && std::string(argv[first]) == "train") return zoo_train(argc, argv, first + 1);
  const Args args(argc, argv, first, "--json -o|--output= --threads=");
  if (args.positionals().empty()) throw UsageError("missing subcommand (info, stats or train)");
  if (args.positionals()[0] == "info") return zoo_info(args);
  if (args.positionals()[0] == "stats") return zoo_stats(args);
  throw UsageError("unknown zoo subcommand '" + args.positionals()[0] + "'");
}

namespace {

const char* const kZooUsage = R"(usage: dpa zoo info ZOO_DIR [--json]
       dpa zoo stats ZOO_DIR -o OUT_DIR [--threads N] [--json]
       dpa zoo train --data IDX_DIR -o ZOO_DIR --runs N [...]   (dpa zoo train --help)

info: reads ZOO_DIR/weights.npy (or a statistics zoo's statistics.npy), metrics.csv.gz (or
metrics.csv) and layout.csv, cross-checks them and reports: rows, runs, checkpoints per run and
their steps, incomplete runs, rows with non-finite weights, the test-accuracy distribution, and
runs per activation, optimizer and initializer.

stats: converts a zoo into a statistics zoo in OUT_DIR (new or empty): per checkpoint the
runtime's statistics of every segment (the extended set, which holds the paper set) instead of
the weights, with metrics and layout copied. train, eval, early-stop, report, features and zoo
info read it and give bit for bit the results of the full zoo; --inputs raw needs the weights.
The Small CNN Zoo layout: 112 floats per checkpoint instead of 4970 (docs/zoo-format.md).
)";

}  // namespace

const Command zoo_command = {"zoo", "zoo datasets: zoo info, zoo train (grow a zoo of CNNs)", kZooUsage, run_zoo};

}  // namespace dpa::tools
