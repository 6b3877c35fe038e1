// Self-contained SVG plots (white background, titled, labelled axes with ticks): scatter plots,
// named curves, histograms and heat maps.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dpa::tools {

// Predicted against actual values, with the diagonal.
std::string scatter_svg(const std::vector<float>& actual, const std::vector<float>& predicted,
                        const std::string& title);
// y against x, both axes over one range that holds [0, 1] and every point, with the diagonal.
std::string scatter_svg(const std::vector<float>& x, const std::vector<float>& y, const std::string& title,
                        const std::string& x_label, const std::string& y_label);

// Named curves of (x, y) points, each drawn through its points in order of x, with a legend.
struct Curve {
  std::string name;
  std::vector<std::pair<double, double>> points;
};
std::string curves_svg(const std::vector<Curve>& curves, const std::string& title, const std::string& x_label,
                       const std::string& y_label);

// Counts of values in `bins` equal-width bins over [lo, hi] (values outside are clamped in).
std::string histogram_svg(const std::vector<float>& values, int bins, double lo, double hi, const std::string& title,
                          const std::string& x_label, const std::string& y_label);

// A matrix of values (NaN: an empty cell) as coloured cells, each with its value printed.
// rows/columns name the cells' rows and columns; scale_lo/hi map to the lightest/darkest colour.
std::string heatmap_svg(const std::vector<std::string>& rows, const std::vector<std::string>& columns,
                        const std::vector<std::vector<double>>& values, double scale_lo, double scale_hi,
                        const std::string& title, const std::string& row_label, const std::string& column_label);

}  // namespace dpa::tools
