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

const char* tree_layout_name(TreeLayout layout);
// "auto", "complete" or "sparse"; throws UsageError otherwise.
TreeLayout parse_tree_layout(const std::string& name);

}  // namespace dpa::tools
