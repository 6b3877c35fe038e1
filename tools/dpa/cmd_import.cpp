// dpa import: trees trained by XGBoost or LightGBM, as a model of ours.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "common/cli_args.hpp"
#include "common/files.hpp"
#include "common/stats_options.hpp"
#include "common/text_format.hpp"
#include "model/importers.hpp"
#include "model/model_writer.hpp"
#include "model/tree_layout.hpp"
#include "zoo/row_selection.hpp"

namespace dpa::tools {

namespace {

// "step,config.optimizer=adam|rmsprop|sgd" -> context inputs in that order.
std::vector<ContextInput> parse_import_context(const std::string& list) {
  std::vector<ContextInput> out;
  if (list.empty() || list == "none") return out;
  for (const std::string& item : split(list, ',')) {
    ContextInput c;
    const std::size_t eq = item.find('=');
    c.name = item.substr(0, eq);
    if (c.name.empty()) throw UsageError("--context: an item without a name in '" + list + "'");
    if (const std::string problem = model_name_problem(c.name); !problem.empty()) {
      throw UsageError("--context: the name '" + printable(c.name) + "' " + problem);
    }
    if (eq != std::string::npos) {
      c.kind = DPA_CONTEXT_CATEGORICAL;
      c.categories = split(item.substr(eq + 1), '|');
      // Every category is named, in the model's order: "config.optimizer=adam|sgd".
      for (const std::string& category : c.categories) {
        const std::string problem = model_name_problem(category);
        if (problem.empty()) continue;
        throw UsageError("--context: a category of '" + printable(c.name) + "' " + problem + " in '" + printable(item) +
                         "': list its categories after '=' as a|b|c, or leave out '=' for a number");
      }
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

int run_import(int argc, char** argv, int first) {
  const Args args(argc, argv, first, "-o|--output= --stats= --context= --target= --tree-layout= --leaves=");
  args.expect_positionals(2, "the library (xgboost or lightgbm) and MODEL");
  const std::string library = args.positionals()[0];
  if (library != "xgboost" && library != "lightgbm") {
    throw UsageError("the library must be xgboost or lightgbm, got '" + library + "'");
  }
  const std::string out = args.required("-o", "OUT.dpa");
  FeatureSpec features = FeatureSpec::zoo(parse_stats_set(args.value_or("--stats", "paper")));
  features.context = parse_import_context(args.value_or("--context", ""));
  const Target target = parse_target(args.value_or("--target", "test_accuracy"));
  const TreeLayout layout = parse_tree_layout(args.value_or("--tree-layout", "auto"));
  const dpa_leaf_format leaves = parse_leaf_format(args.value_or("--leaves", "f32"));
  check_tree_options(layout, leaves);
  check_input_file(args.positionals()[1]);
  std::ifstream in(args.positionals()[1], std::ios::binary);
  if (!in) throw ToolError(args.positionals()[1] + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  ImportResult r;
  try {
    r = library == "xgboost" ? import_xgboost(text.str(), features) : import_lightgbm_text(text.str(), features);
  } catch (const ToolError& e) { throw ToolError(args.positionals()[1] + ": " + e.what()); }
  r.spec.target = target == Target::kTestAccuracy ? DPA_TARGET_TEST_ACCURACY : DPA_TARGET_FINAL_TEST_ACCURACY;
  GbdtModel& trees = std::get<GbdtModel>(r.spec.predictor);
  trees.layout = layout;
  std::vector<unsigned char> bytes;
  try {
    if (leaves == DPA_LEAF_FLOAT16) {
      round_leaves_to_half(trees);
      r.spec.provenance->text += std::string("leaves=") + leaf_format_name(leaves) + "\n";
    }
    bytes = write_model(r.spec);
  } catch (const ToolError& e) { throw ToolError(args.positionals()[1] + ": " + e.what()); }
  write_file_atomically(out, bytes.data(), bytes.size());
  dpa_model written;
  const char* kind =
      dpa_model_load(bytes.data(), bytes.size(), &written) == DPA_OK ? dpa_predictor_name(written.predictor) : "?";
  std::printf("imported %s -> %s (%s, %zu bytes)\n", r.summary.c_str(), out.c_str(), kind, bytes.size());
  return 0;
}

namespace {

const char* const kImportUsage = R"(usage: dpa import xgboost MODEL.json|MODEL.ubj -o OUT.dpa [--stats {stats}]
                  [--context LIST] [--target T] [--tree-layout auto|complete|sparse] [--leaves f32|f16]
       dpa import lightgbm MODEL.txt -o OUT.dpa [--stats {stats}] [--context LIST]
                  [--target T] [--tree-layout auto|complete|sparse] [--leaves f32|f16]

Converts a tree ensemble trained on the runtime's statistics of zoo networks (features in the
runtime's order: per segment of the zoo layout, the set's statistics) into a model the runtime
runs, with each library's exact split semantics and output transform.
  XGBoost 1.7-3.x: JSON or UBJSON from save_model("m.json" / "m.ubj"); gbtree and DART;
    reg:squarederror, reg:absoluteerror, reg:pseudohubererror, reg:squaredlogerror,
    reg:quantileerror, reg:logistic, binary:logistic, count:poisson, reg:gamma, reg:tweedie.
  LightGBM 2.x-4.x: text from save_model("m.txt"), trees of any depth, zero_as_missing,
    gbdt and rf; regression (also reg_sqrt), regression_l1, huber, fair, quantile, mape,
    binary, cross_entropy, cross_entropy_lambda, poisson, gamma, tweedie.
Categorical splits, linear trees, multi-class, multi-target and ranking models are rejected.
The feature count must match the statistics set (56 paper, 112 extended) plus the context
values.

  --context LIST  context columns the trees read after the statistics, in order: NAME for a
                  number, NAME=A|B|C for a category coded 0, 1, 2 (any other name: 3)
  --target T      what the model predicts (default test_accuracy); early stopping needs
                  final_test_accuracy
  --tree-layout L complete trees padded to one depth, sparse (unpadded, any depth), or auto
                  (default): the smaller of the two that holds the trees
  --leaves f32|f16  leaf values as float32 (default, exact) or rounded to float16: 2 bytes
                  less per leaf, sparse layout only
)";

}  // namespace

const Command import_command = {"import", "convert an XGBoost or LightGBM tree model", kImportUsage, run_import};

}  // namespace dpa::tools
