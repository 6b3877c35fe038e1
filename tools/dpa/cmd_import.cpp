// dpa import: trees trained by XGBoost or LightGBM, as a model of ours.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "common/cli_args.hpp"
#include "common/stats_options.hpp"
#include "model/importers.hpp"
#include "model/model_writer.hpp"

namespace dpa::tools {

const char* const kImportUsage =
    "usage: dpa import xgboost MODEL.json -o OUT.dpa [--stats paper|extended]\n"
    "       dpa import lightgbm MODEL.txt -o OUT.dpa [--stats paper|extended]\n"
    "\n"
    "Converts a tree ensemble trained on the runtime's statistics of zoo networks (features in the\n"
    "runtime's order: per segment of the zoo layout, the set's statistics) into a model the runtime\n"
    "runs, with each library's exact split semantics. XGBoost: JSON from save_model(\"m.json\");\n"
    "LightGBM: text from save_model(\"m.txt\"). Categorical splits, multi-class and ranking models\n"
    "are rejected. The feature count must match the statistics set (56 paper, 112 extended).\n";

int run_import(int argc, char** argv, int first) {
  const Args args(argc, argv, first, {{"-o", true, "--output"}, {"--stats", true, ""}});
  args.expect_positionals(2, "the library (xgboost or lightgbm) and MODEL");
  const std::string library = args.positionals()[0];
  if (library != "xgboost" && library != "lightgbm") {
    throw UsageError("the library must be xgboost or lightgbm, got '" + library + "'");
  }
  const auto out = args.value("-o");
  if (!out) throw UsageError("missing -o OUT.dpa");
  const FeatureSpec features = FeatureSpec::zoo(parse_stats_set(args.value_or("--stats", "paper")));
  std::ifstream in(args.positionals()[1], std::ios::binary);
  if (!in) throw ToolError(args.positionals()[1] + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  ImportResult r;
  try {
    r = library == "xgboost" ? import_xgboost_json(text.str(), features) : import_lightgbm_text(text.str(), features);
  } catch (const ToolError& e) {
    throw ToolError(args.positionals()[1] + ": " + e.what());
  }
  const std::vector<unsigned char> bytes = write_model(r.spec);
  write_file_atomically(*out, bytes.data(), bytes.size());
  std::printf("imported %s -> %s (%zu bytes)\n", r.summary.c_str(), out->c_str(), bytes.size());
  return 0;
}

}  // namespace dpa::tools
