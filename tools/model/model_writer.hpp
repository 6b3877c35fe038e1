// The format's only writer: ModelSpec -> flat bytes (docs/model-format.md).
#pragma once

#include <string>
#include <vector>

#include "model/model_spec.hpp"

namespace dpa::tools {

// Throws ToolError when the spec cannot make a valid model (shapes, indices, non-finite values).
std::vector<unsigned char> write_model(const ModelSpec& spec);

}  // namespace dpa::tools
