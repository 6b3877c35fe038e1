// dpa features: one float32 row of statistics per weights row, as an npy file.
#include <cstdio>

#include "commands.hpp"
#include "common/cli_args.hpp"
#include "common/json_writer.hpp"
#include "common/progress.hpp"
#include "common/stats_options.hpp"
#include "dpa/dpa.hpp"
#include "zoo/feature_extraction.hpp"
#include "zoo/npy_file.hpp"
#include "zoo/zoo_dataset.hpp"

namespace dpa::tools {

int run_features(int argc, char** argv, int first) {
  const Args args(argc, argv, first, "-o|--output= --stats= --threads= --json");
  args.expect_positionals(1, "ZOO_DIR");
  const std::string out = args.required("-o", "OUT.npy");
  const dpa_stats_set set = parse_stats_set(args.value_or("--stats", "paper"));
  const unsigned threads = args.threads();

  const ZooDataset zoo(args.positionals()[0], ZooDataset::Metrics::kSkip);
  const dpa_layout layout = zoo.layout();
  const std::size_t per_row = feature_count(layout, set);
  NpyWriter writer(out, zoo.rows(), per_row);
  Progress progress("features", zoo.rows());
  const FeatureRun run = extract_features(
      zoo, {DPA_INPUT_STATISTICS, set}, threads, nullptr,
      [&](std::uint64_t, std::uint64_t count, const float* block) { writer.append(block, count); },
      [&](std::uint64_t done) { progress.update(done); });
  writer.commit();
  if (run.non_finite_rows > 0) {
    std::fprintf(stderr, "%llu of %llu rows hold NaN/Inf weights: their features are NaN\n",
                 static_cast<unsigned long long>(run.non_finite_rows), static_cast<unsigned long long>(run.rows));
  }
  const double gigabytes = static_cast<double>(zoo.rows() * zoo.row_file().cols() * 4) / 1e9;
  if (args.flag("--json")) {
    JsonWriter j;
    j.begin_object()
        .field("output", out)
        .field("rows", run.rows)
        .field("features_per_row", per_row)
        .field("stats_set", stats_set_name(set))
        .field("non_finite_rows", run.non_finite_rows)
        .field("threads", threads)
        .field("seconds", run.seconds)
        .field("gb_per_second", run.seconds > 0 ? gigabytes / run.seconds : 0.0)
        .end_object();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::fprintf(stderr, "wrote %s: %llu rows x %zu features in %.2f s (%.2f GB/s of float32 rows read)\n", out.c_str(),
                 static_cast<unsigned long long>(run.rows), per_row, run.seconds,
                 run.seconds > 0 ? gigabytes / run.seconds : 0.0);
  }
  return 0;
}

namespace {

const char* const kFeaturesUsage = R"(usage: dpa features ZOO_DIR -o OUT.npy [--stats {stats}] [--threads N] [--json]

Computes the per-segment statistics of every row of ZOO_DIR/weights.npy (segments from
ZOO_DIR/layout.csv; a statistics zoo's are copied from its statistics.npy) and writes them as a float32 npy file, one row per weights row, in the
same order. Rows with NaN/Inf weights get NaN features and are counted on stderr. The output
appears only when complete. Memory stays bounded whatever the number of rows.

  -o, --output OUT.npy   where to write the features
  --stats SET            paper (7 per segment) or extended (14); default paper
  --threads N            worker threads; default: all cores
  --json                 a JSON summary on stdout
)";

}  // namespace

const Command features_command = {"features", "statistics of every row of a zoo, as an npy file", kFeaturesUsage,
                                  run_features};

}  // namespace dpa::tools
