// dpa stats: the per-segment statistics of a weight vector, as a table or JSON.
#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common/cli_args.hpp"
#include "common/json_writer.hpp"
#include "common/stats_options.hpp"
#include "dpa/dpa.hpp"
#include "sample_weights.hpp"

namespace dpa::tools {

int run_stats(int argc, char** argv, int first) {
  const Args args(argc, argv, first, "--stats= --kernel= --json");
  args.expect_positionals(0, "");
  const dpa_stats_set set = parse_stats_set(args.value_or("--stats", "paper"));
  const dpa_kernel kernel = parse_kernel(args.value_or("--kernel", "auto"));
  if (!dpa_kernel_available(kernel)) {
    throw ToolError(std::string("kernel '") + dpa_kernel_name(kernel) + "' is not available on this CPU or build");
  }
  const SampleNetwork& sample = sample_network();
  dpa::FeatureExtractor fx(dpa::zoo_layout(), set, kernel);
  std::vector<float> features(fx.feature_count());
  const dpa_status status = fx.compute(sample.weights.data(), sample.weights.size(), features.data(), features.size());
  if (status != DPA_OK && status != DPA_ERR_NON_FINITE) throw ToolError(dpa_status_string(status));

  const dpa_layout& layout = fx.layout();
  const std::uint32_t per = dpa_stats_per_segment(set);
  const dpa_kernel used = kernel == DPA_KERNEL_AUTO ? dpa_kernel_best() : kernel;
  if (args.flag("--json")) {
    JsonWriter j;
    j.begin_object()
        .field("input", "embedded sample " + sample.run)
        .field("stats_set", stats_set_name(set))
        .field("kernel", dpa_kernel_name(used))
        .field("feature_count", features.size());
    j.key("segments").begin_array();
    for (std::uint32_t s = 0; s < layout.num_segments; ++s) {
      j.begin_object()
          .field("name", dpa_zoo_segment_name(s))
          .field("offset", layout.segments[s].offset)
          .field("length", layout.segments[s].length);
      j.key("stats").begin_object();
      for (std::uint32_t i = 0; i < per; ++i) j.field(dpa_stats_name(set, i), features[s * per + i]);
      j.end_object().end_object();
    }
    j.end_array().end_object();
    std::printf("%s\n", j.str().c_str());
    return 0;
  }
  std::printf("statistics of the embedded sample network %s (test accuracy %.4f)\n", sample.run.c_str(),
              sample.test_accuracy);
  std::printf("set %s, kernel %s, %zu features\n\n", stats_set_name(set), dpa_kernel_name(used), features.size());
  std::printf("%-30s", "segment");
  for (std::uint32_t i = 0; i < per; ++i) std::printf(" %10s", dpa_stats_name(set, i));
  std::printf("\n");
  for (std::uint32_t s = 0; s < layout.num_segments; ++s) {
    std::printf("%-30s", dpa_zoo_segment_name(s));
    for (std::uint32_t i = 0; i < per; ++i) std::printf(" %10.5g", features[s * per + i]);
    std::printf("\n");
  }
  return 0;
}

namespace {

const char* const kStatsUsage = R"(usage: dpa stats [--stats {stats}] [--kernel {kernels}] [--json]

Computes the per-segment weight statistics (the predictors' input features) of the
embedded sample network (a trained Small CNN Zoo network) and prints them per segment.

  --stats SET    paper (7 per segment, 56 in all) or extended (14 per segment); default paper
  --kernel K     instruction set to use; default auto (the best this CPU supports)
  --json         one JSON object on stdout instead of the table
)";

}  // namespace

const Command stats_command = {"stats", "per-segment weight statistics of a network", kStatsUsage, run_stats};

}  // namespace dpa::tools
