// The two flat layouts of a tree ensemble (model_format.h): complete trees of one depth (GBDT) and
// unpadded preorder trees with a shared threshold table (SPARSE_GBDT). Encodes either, says why one
// cannot hold a model, and picks one for the writer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/model_spec.hpp"

namespace dpa::tools {

// A section's bytes, or why the layout cannot hold the trees.
struct EncodedTrees {
  dpa_section_type type = DPA_SECTION_GBDT;
  std::vector<unsigned char> bytes;  // empty when `why_not` says why
  std::string why_not;
  bool ok() const { return why_not.empty(); }
};

// The depth complete trees of the model take and their section's bytes, or why they cannot hold it.
struct CompleteShape {
  std::uint32_t depth = 0;
  std::uint64_t bytes = 0;
  std::string why_not;
  bool ok() const { return why_not.empty(); }
};
CompleteShape complete_shape(const GbdtModel& model);

EncodedTrees encode_complete(const GbdtModel& model, std::uint32_t num_features);
EncodedTrees encode_sparse(const GbdtModel& model, std::uint32_t num_features);

// The model's layout (or, when automatic, the smaller one that can hold it); throws ToolError
// naming what neither layout can hold.
EncodedTrees encode_trees(const GbdtModel& model, std::uint32_t num_features);

// The trees as the checks of both layouts want them: children after parents, finite leaves.
void check_trees(const GbdtModel& model, std::uint32_t num_features);

// IEEE binary16 nearest to v (ties to even; beyond the largest half: infinity).
std::uint16_t float_to_half(float v);
// Rounds every leaf to its nearest float16 and marks the model's leaves float16 (2 bytes less per
// leaf in the sparse layout). Throws ToolError naming a leaf beyond float16's range.
void round_leaves_to_half(GbdtModel& model);
// "f32" or "f16".
const char* leaf_format_name(dpa_leaf_format leaves);
// The inverse; throws UsageError for any other name.
dpa_leaf_format parse_leaf_format(const std::string& name);

// "auto", "complete" or "sparse".
const char* tree_layout_name(TreeLayout layout);
// The inverse; throws UsageError for any other name.
TreeLayout parse_tree_layout(const std::string& name);

// Throws UsageError for a combination no layout writes (float16 leaves in complete trees).
void check_tree_options(TreeLayout layout, dpa_leaf_format leaves);

}  // namespace dpa::tools
