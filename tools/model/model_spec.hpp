// Host-side description of a model, before it becomes flat bytes: what trainers and importers
// produce and the format's only writer consumes.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "dpa/dpa.h"
#include "dpa/model_format.h"

namespace dpa::tools {

// A regression tree as trainers build it: nodes[0] is the root, children come after their parent;
// an internal node sends x to `left` when x[feature] < threshold, else to `right`. With a zero
// mode, |x| <= 1e-35f goes left (DPA_ZERO_LEFT) or right whatever the threshold (LightGBM's
// zero-as-missing; only the sparse tree layout stores it).
struct TreeNode {
  bool is_leaf = true;
  std::uint32_t feature = 0;
  float threshold = 0.0f;  // not NaN; +-inf only in the sparse layout
  dpa_zero_mode zero_mode = DPA_ZERO_AS_IS;
  std::int32_t left = -1;
  std::int32_t right = -1;
  float value = 0.0f;  // leaves
};

struct Tree {
  std::vector<TreeNode> nodes;
};

// How the writer lays trees out (model_format.h): complete trees padded to one depth (GBDT), or
// each tree unpadded (SPARSE_GBDT). Automatic takes the smaller of the two that can hold the trees.
enum class TreeLayout { automatic, complete, sparse };

struct GbdtModel {
  float base_score = 0.0f;
  std::vector<Tree> trees;
  TreeLayout layout = TreeLayout::automatic;
  // DPA_LEAF_FLOAT16 (sparse layout only): every leaf must already be a float16 value
  // (round_leaves_to_half), so that the model predicts what its host description does.
  dpa_leaf_format leaves = DPA_LEAF_FLOAT32;
};

struct LinearModel {
  float intercept = 0.0f;
  std::vector<float> mean, inv_scale, weight;
};

struct MlpLayer {
  std::uint32_t inputs = 0, outputs = 0;
  dpa_activation activation = DPA_ACTIVATION_NONE;
  std::vector<float> weight;  // [outputs][inputs]
  std::vector<float> bias;    // [outputs]
};

struct MlpModel {
  std::vector<float> mean, inv_scale;
  std::vector<MlpLayer> layers;
};

// A value the caller passes with the weights: a metrics column of the zoo ("step", "train_loss",
// "config.optimizer", ...).
struct ContextInput {
  std::string name;
  dpa_context_kind kind = DPA_CONTEXT_NUMERIC;
  dpa_context_transform transform = DPA_CONTEXT_AS_IS;
  std::vector<std::string> categories;  // categorical: code i names categories[i]
};

// What the model reads, in feature order: the weights block (statistics or raw weights, unless
// `weights` is false), then the context values.
struct FeatureSpec {
  bool weights = true;
  dpa_feature_kind kind = DPA_FEATURES_STATISTICS;
  dpa_stats_set stats_set = DPA_STATS_PAPER;
  std::vector<dpa_segment> segments;
  std::uint32_t total_length = 0;
  std::vector<ContextInput> context;

  static FeatureSpec zoo(dpa_stats_set set);
  std::uint32_t weight_features() const;  // 0 without the weights block
  std::uint32_t num_features() const { return weight_features() + static_cast<std::uint32_t>(context.size()); }
  dpa_layout layout() const { return {segments.data(), static_cast<std::uint32_t>(segments.size()), total_length}; }
  // "the paper statistics and 3 context values", for messages.
  std::string describe() const;
};

struct Provenance {
  static constexpr float kUnknown = std::numeric_limits<float>::quiet_NaN();
  std::uint32_t train_rows = 0, validation_rows = 0, test_rows = 0, split_seed = 0;
  float validation_r2 = kUnknown, validation_kendall_tau = kUnknown;
  float test_r2 = kUnknown, test_kendall_tau = kUnknown, test_mae = kUnknown, test_rmse = kUnknown;
  std::string text;  // "key=value\n" lines: zoo, row selection, trainer options, ...
};

struct ModelSpec {
  FeatureSpec features;
  dpa_output_transform transform = DPA_OUTPUT_IDENTITY;
  dpa_target target = DPA_TARGET_TEST_ACCURACY;
  std::variant<GbdtModel, LinearModel, MlpModel> predictor;
  std::optional<Provenance> provenance;
};

// Why a context name or category cannot be stored in a model: "is empty", "is N bytes, more than
// the format's 128", "holds a NUL"; "" when it can. The writer and the trainers' early checks share it.
std::string model_name_problem(const std::string& name);

// Depth of a node-based tree (a lone leaf has depth 0); children must follow their parent.
std::uint32_t tree_depth(const Tree& tree);

// Does x go to the node's left child?
bool goes_left(const TreeNode& node, float x);
// Plain node-by-node traversal: the reference the flat layouts are tested and benchmarked against.
float reference_tree_value(const Tree& tree, const float* features);
// base + sum of trees in double, tree order, rounded once: the format's definition.
float reference_gbdt_score(const GbdtModel& model, const float* features);

}  // namespace dpa::tools
