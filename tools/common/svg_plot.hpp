// Self-contained SVG plots: predicted against actual values with the diagonal; named curves.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dpa::tools {

std::string scatter_svg(const std::vector<float>& actual, const std::vector<float>& predicted,
                        const std::string& title);

// Named curves of (x, y) points, each drawn through its points in order of x, with a legend.
struct Curve {
  std::string name;
  std::vector<std::pair<double, double>> points;
};
std::string curves_svg(const std::vector<Curve>& curves, const std::string& title, const std::string& x_label,
                       const std::string& y_label);

}  // namespace dpa::tools
