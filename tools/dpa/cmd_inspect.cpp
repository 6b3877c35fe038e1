// dpa inspect: what a model file holds, after verification.
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "common/cli_args.hpp"
#include "common/json_writer.hpp"
#include "common/stats_options.hpp"
#include "common/text_format.hpp"
#include "dpa/model_format.h"
#include "model/tree_layout.hpp"
#include "train/context.hpp"
#include "train/pipeline.hpp"

namespace dpa::tools {

namespace {

const char* target_text(std::uint32_t t) {
  return t == DPA_TARGET_TEST_ACCURACY         ? "test_accuracy"
         : t == DPA_TARGET_FINAL_TEST_ACCURACY ? "final_test_accuracy"
                                               : "other";
}

struct ContextLine {
  std::string name, kind;
  std::vector<std::string> categories;
  const TrainedRanges::Range* trained;  // or nullptr
};

std::vector<ContextLine> context_lines(const dpa_model& m, const TrainedRanges& ranges) {
  std::vector<ContextLine> out;
  for (std::uint32_t i = 0; i < m.num_context; ++i) {
    dpa_context_info info;
    dpa_model_context_info(&m, i, &info);
    ContextLine line{info.name,
                     info.kind == DPA_CONTEXT_CATEGORICAL ? "categorical"
                     : info.transform == DPA_CONTEXT_LOG  ? "numeric, log"
                                                          : "numeric",
                     {},
                     ranges.find(info.name)};
    for (std::uint32_t k = 0; k < info.num_categories; ++k)
      line.categories.push_back(dpa_model_context_category(&m, i, k));
    out.push_back(line);
  }
  return out;
}

std::string blocks_text(const dpa_model& m) {
  std::string s;
  for (std::uint32_t b = 0; b < m.num_input_blocks; ++b)
    s += (b ? " + " : "") + std::string(dpa_input_kind_name(m.input_blocks[b]));
  return s;
}

// What the predictor section holds, in numbers and in words.
struct PredictorSummary {
  std::string name, detail;
  std::uint32_t trees = 0, depth = 0, layers = 0;
  std::uint64_t tree_bytes = 0;  // the predictor section of a tree ensemble
  const char* leaves = leaf_format_name(DPA_LEAF_FLOAT32);
};

PredictorSummary summarize_predictor(const dpa_model& m) {
  PredictorSummary p;
  p.name = dpa_predictor_name(m.predictor);
  if (m.predictor == DPA_SECTION_GBDT) {
    const auto* g = static_cast<const dpa_gbdt_section*>(m.predictor_section);
    p.trees = g->num_trees;
    p.depth = g->depth;
    p.tree_bytes = dpa_gbdt_section_bytes(p.trees, p.depth);
    p.detail = std::to_string(p.trees) + " complete trees of depth " + std::to_string(p.depth) + ", base score " +
               std::to_string(g->base_score);
  } else if (m.predictor == DPA_SECTION_SPARSE_GBDT) {
    const auto* g = static_cast<const dpa_sparse_gbdt_section*>(m.predictor_section);
    p.trees = g->num_trees;
    p.depth = g->max_depth;
    const bool half = g->leaf_format == DPA_LEAF_FLOAT16;
    p.leaves = leaf_format_name(static_cast<dpa_leaf_format>(g->leaf_format));
    p.tree_bytes = dpa_sparse_gbdt_section_bytes(g);
    p.detail = std::to_string(p.trees) + " trees up to depth " + std::to_string(p.depth) + ", " +
               std::to_string(g->num_units) + (half ? " 16-bit" : " 32-bit") + " units, " +
               std::to_string(g->num_thresholds) + " distinct thresholds, " + p.leaves + " leaves, base score " +
               std::to_string(g->base_score);
  }
  if (p.tree_bytes) {
    char per_tree[96];
    std::snprintf(per_tree, sizeof per_tree, "; %llu bytes, %.0f per tree",
                  static_cast<unsigned long long>(p.tree_bytes), static_cast<double>(p.tree_bytes) / p.trees);
    p.detail += per_tree;
  } else if (m.predictor == DPA_SECTION_LINEAR) {
    p.detail = std::to_string(m.num_features) + " weights";
  } else {
    p.layers = static_cast<const dpa_mlp_section*>(m.predictor_section)->num_layers;
    p.detail = std::to_string(p.layers) + " layers, widest " + std::to_string(m.work_floats / 2);
  }
  return p;
}

// What inspect shows of a model, gathered once for both forms of output.
struct Description {
  std::string file;
  const dpa_model& m;
  PredictorSummary predictor;
  bool statistics, weights;
  const TrainedRanges& ranges;  // the context lines point into it
  std::vector<ContextLine> context;
  const dpa_metadata_section* md;
  std::string text;  // the provenance lines
};

void print_json(const Description& d) {
  const dpa_model& m = d.m;
  const PredictorSummary& p = d.predictor;
  JsonWriter j;
  j.begin_object()
      .field("file", d.file)
      .field("bytes", m.total_bytes)
      .field("format_version", std::to_string(m.version_major) + "." + std::to_string(m.version_minor))
      .field("inputs", blocks_text(m))
      .field("features", d.weights ? dpa_input_kind_name(m.feature_kind) : "none")
      .field("stats_set", d.statistics ? stats_set_name(m.stats_set) : "none")
      .field("num_features", m.num_features)
      .field("weights_length", m.layout.total_length)
      .field("segments", m.layout.num_segments)
      .field("predictor", p.name)
      .field("output_transform", dpa_output_transform_name(m.output_transform))
      .field("target", target_text(m.target))
      .field("scratch_bytes", dpa_model_scratch_size(&m));
  if (const TrainedRanges::Range* t = d.ranges.find("target")) {
    j.field("target_trained_low", t->low).field("target_trained_high", t->high);
  }
  j.key("context").begin_array();
  for (const ContextLine& c : d.context) {
    j.begin_object().field("name", c.name).field("kind", c.kind);
    if (c.trained) j.field("trained_low", c.trained->low).field("trained_high", c.trained->high);
    if (!c.categories.empty()) {
      j.key("categories").begin_array();
      for (const std::string& k : c.categories) j.value(k);
      j.end_array();
    }
    j.end_object();
  }
  j.end_array();
  if (p.trees) {
    j.field("trees", p.trees)
        .field("depth", p.depth)
        .field("leaves", p.leaves)
        .field("tree_bytes", p.tree_bytes)
        .field("bytes_per_tree", static_cast<double>(p.tree_bytes) / p.trees);
  }
  if (p.layers) j.field("layers", p.layers);
  if (const dpa_metadata_section* md = d.md) {
    j.key("provenance")
        .begin_object()
        .field("train_rows", md->train_rows)
        .field("validation_rows", md->validation_rows)
        .field("test_rows", md->test_rows)
        .field("split_seed", md->split_seed)
        .field("validation_r2", md->validation_r2)
        .field("validation_kendall_tau", md->validation_kendall_tau)
        .field("test_r2", md->test_r2)
        .field("test_kendall_tau", md->test_kendall_tau)
        .field("test_mae", md->test_mae)
        .field("test_rmse", md->test_rmse)
        .field("text", d.text)
        .end_object();
  }
  j.end_object();
  std::printf("%s\n", j.str().c_str());
}

void print_text(const Description& d) {
  const dpa_model& m = d.m;
  // Names and provenance are bytes from the file: shown with control bytes escaped.
  std::printf("%s: dpa model v%u.%u, %u bytes, verified\n", printable(d.file).c_str(), m.version_major, m.version_minor,
              m.total_bytes);
  std::printf("  inputs     %s: %u features\n", blocks_text(m).c_str(), m.num_features);
  if (d.weights) {
    std::printf("  weights    %s%s of %u weights in %u segments\n", d.statistics ? "statistics, set " : "raw weights",
                d.statistics ? stats_set_name(m.stats_set) : "", m.layout.total_length, m.layout.num_segments);
  }
  for (const ContextLine& c : d.context) {
    std::string categories;
    for (const std::string& k : c.categories) categories += (categories.empty() ? ": " : ", ") + printable(k);
    char range[96] = "";
    if (c.trained) {
      std::snprintf(range, sizeof range, "; trained on %g .. %g", static_cast<double>(c.trained->low),
                    static_cast<double>(c.trained->high));
    }
    std::printf("  context    %s (%s%s%s)\n", printable(c.name).c_str(), c.kind.c_str(), categories.c_str(), range);
  }
  std::printf("  predictor  %s: %s\n", d.predictor.name.c_str(), d.predictor.detail.c_str());
  std::printf("  output     %s of the score; predicts %s", dpa_output_transform_name(m.output_transform),
              target_text(m.target));
  if (const TrainedRanges::Range* t = d.ranges.find("target")) {
    std::printf(" (trained on %g .. %g)", static_cast<double>(t->low), static_cast<double>(t->high));
  }
  std::printf("\n");
  std::printf("  scratch    %zu bytes per prediction\n", dpa_model_scratch_size(&m));
  if (const dpa_metadata_section* md = d.md) {
    std::printf("  trained on %u rows (%u validation, %u test), split seed %u\n", md->train_rows, md->validation_rows,
                md->test_rows, md->split_seed);
    std::printf("  held out   R2 %.4f  Kendall tau %.4f  MAE %.4f  RMSE %.4f\n", md->test_r2, md->test_kendall_tau,
                md->test_mae, md->test_rmse);
    std::printf("  provenance\n");
    std::size_t start = 0;
    while (start < d.text.size()) {
      const std::size_t end = d.text.find('\n', start);
      std::printf("    %s\n", printable(d.text.substr(start, end - start)).c_str());
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
}

}  // namespace

int run_inspect(int argc, char** argv, int first) {
  const Args args(argc, argv, first, "--json");
  args.expect_positionals(1, "MODEL.dpa");
  const ModelFile loaded(args.positionals()[0]);
  const dpa_model& m = loaded.model();
  const TrainedRanges ranges = TrainedRanges::of(m);
  const Description d{args.positionals()[0],
                      m,
                      summarize_predictor(m),
                      m.feature_kind == DPA_INPUT_STATISTICS,
                      m.layout.num_segments > 0,
                      ranges,
                      context_lines(m, ranges),
                      static_cast<const dpa_metadata_section*>(m.metadata),
                      m.metadata_text ? std::string(m.metadata_text, m.metadata_text_bytes) : ""};
  if (args.flag("--json")) {
    print_json(d);
  } else {
    print_text(d);
  }
  return 0;
}

namespace {

const char* const kInspectUsage = R"(usage: dpa inspect MODEL.dpa [--json]

Verifies a model file (every offset, size, index, value and the checksum) and describes it:
format version, inputs (weight statistics, raw weights, context values with their kinds and
categories), predictor, output transform, target and training provenance.
)";

}  // namespace

const Command inspect_command = {"inspect", "verify and describe a model file", kInspectUsage, run_inspect};

}  // namespace dpa::tools
