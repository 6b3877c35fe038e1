// A self-contained SVG scatter plot of predicted against actual values, with the diagonal.
#pragma once

#include <string>
#include <vector>

namespace dpa::tools {

std::string scatter_svg(const std::vector<float>& actual, const std::vector<float>& predicted,
                        const std::string& title);

}  // namespace dpa::tools
