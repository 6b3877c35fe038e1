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
// "f32" or "f16"; throws UsageError otherwise.
dpa_leaf_format parse_leaf_format(const std::string& name);

const char* tree_layout_name(TreeLayout layout);
// "auto", "complete" or "sparse"; throws UsageError otherwise.
TreeLayout parse_tree_layout(const std::string& name);

}  // namespace dpa::tools
