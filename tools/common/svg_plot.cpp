#include "common/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace dpa::tools {
namespace {

constexpr double kSize = 520, kMargin = 60, kPlot = kSize - 2 * kMargin;

std::string escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += c == '<'   ? std::string("&lt;")
           : c == '>' ? std::string("&gt;")
           : c == '&' ? std::string("&amp;")
           : c == '"' ? std::string("&quot;")
                      : std::string(1, c);
  }
  return out;
}

// The document's start: size, white background, the title.
std::string svg_start(const std::string& title) {
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      "<text x=\"260\" y=\"28\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"15\">%s</text>\n",
      escaped(title).c_str());
  return std::string(
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"520\" height=\"520\" viewBox=\"0 0 520 520\">\n"
             "<rect width=\"520\" height=\"520\" fill=\"white\"/>\n") +
         buf;
}

// The x label under the plot area, the y label turned along its left side.
std::string axis_labels(const std::string& x_label, const std::string& y_label) {
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      "<text x=\"260\" y=\"505\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"13\">%s</text>\n"
      "<text x=\"16\" y=\"260\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"13\" "
      "transform=\"rotate(-90 16 260)\">%s</text>\n",
      escaped(x_label).c_str(), escaped(y_label).c_str());
  return buf;
}

// A square plot area over [x_lo, x_hi] x [y_lo, y_hi]: maps values to pixels, draws the frame,
// six ticks per axis, the title and the axis labels.
struct Frame {
  double x_lo, x_hi, y_lo, y_hi;
  double px(double v) const { return kMargin + (v - x_lo) / (x_hi - x_lo) * kPlot; }
  double py(double v) const { return kSize - kMargin - (v - y_lo) / (y_hi - y_lo) * kPlot; }

  std::string open(const std::string& title, const std::string& x_label, const std::string& y_label) const {
    char buf[512];
    std::string svg = svg_start(title);
    std::snprintf(buf, sizeof buf,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#444\"/>\n",
                  kMargin, kMargin, kPlot, kPlot);
    svg += buf;
    for (int k = 0; k <= 5; ++k) {
      const double x = x_lo + (x_hi - x_lo) * k / 5.0, y = y_lo + (y_hi - y_lo) * k / 5.0;
      std::snprintf(
          buf, sizeof buf,
          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"11\">%.3g</text>\n"
          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-family=\"sans-serif\" font-size=\"11\">%.3g</text>\n",
          px(x), kSize - kMargin + 16, x, kMargin - 6, py(y) + 4, y);
      svg += buf;
    }
    return svg + axis_labels(x_label, y_label);
  }
};

}  // namespace

std::string scatter_svg(const std::vector<float>& x, const std::vector<float>& y, const std::string& title,
                        const std::string& x_label, const std::string& y_label) {
  float lo = 0, hi = 1;
  for (std::size_t i = 0; i < x.size(); ++i) {
    lo = std::min({lo, x[i], y[i]});
    hi = std::max({hi, x[i], y[i]});
  }
  const Frame f{lo, hi, lo, hi};
  std::string svg = f.open(title, x_label, y_label);
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#c33\" stroke-dasharray=\"4 3\"/>\n",
                f.px(lo), f.py(lo), f.px(hi), f.py(hi));
  svg += buf;
  svg += "<g fill=\"#1f5fa8\" fill-opacity=\"0.45\">\n";
  for (std::size_t i = 0; i < x.size(); ++i) {
    std::snprintf(buf, sizeof buf, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\"/>\n", f.px(x[i]), f.py(y[i]));
    svg += buf;
  }
  return svg + "</g>\n</svg>\n";
}

std::string scatter_svg(const std::vector<float>& actual, const std::vector<float>& predicted,
                        const std::string& title) {
  return scatter_svg(actual, predicted, title, "actual", "predicted");
}

std::string histogram_svg(const std::vector<float>& values, int bins, double lo, double hi, const std::string& title,
                          const std::string& x_label, const std::string& y_label) {
  bins = std::max(1, bins);
  std::vector<std::size_t> counts(static_cast<std::size_t>(bins), 0);
  for (const float v : values) {
    const double at = (static_cast<double>(v) - lo) / (hi - lo) * bins;
    counts[static_cast<std::size_t>(std::clamp(at, 0.0, bins - 1.0))] += 1;
  }
  const std::size_t top = std::max<std::size_t>(1, *std::max_element(counts.begin(), counts.end()));
  // A top that is a multiple of 5 keeps the six ticks on whole counts.
  const Frame f{lo, hi, 0, std::ceil(static_cast<double>(top) * 1.1 / 5.0) * 5.0};
  std::string svg = f.open(title, x_label, y_label);
  char buf[256];
  svg += "<g fill=\"#1f5fa8\" stroke=\"white\" stroke-width=\"0.5\">\n";
  for (int b = 0; b < bins; ++b) {
    const double x0 = lo + (hi - lo) * b / bins, x1 = lo + (hi - lo) * (b + 1) / bins;
    const double c = static_cast<double>(counts[static_cast<std::size_t>(b)]);
    std::snprintf(buf, sizeof buf, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", f.px(x0), f.py(c),
                  f.px(x1) - f.px(x0), f.py(0) - f.py(c));
    svg += buf;
  }
  return svg + "</g>\n</svg>\n";
}

std::string heatmap_svg(const std::vector<std::string>& rows, const std::vector<std::string>& columns,
                        const std::vector<std::vector<double>>& values, double scale_lo, double scale_hi,
                        const std::string& title, const std::string& row_label, const std::string& column_label) {
  const double cell_w = kPlot / static_cast<double>(std::max<std::size_t>(1, columns.size()));
  const double cell_h = kPlot / static_cast<double>(std::max<std::size_t>(1, rows.size()));
  char buf[512];
  std::string svg = svg_start(title);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const double v = r < values.size() && c < values[r].size() ? values[r][c] : NAN;
      const double x = kMargin + cell_w * static_cast<double>(c), y = kMargin + cell_h * static_cast<double>(r);
      // Light to dark blue; text white on dark cells.
      const double t = std::isnan(v) ? 0.0 : std::clamp((v - scale_lo) / (scale_hi - scale_lo), 0.0, 1.0);
      const int red = static_cast<int>(235 - 204 * t), green = static_cast<int>(242 - 147 * t),
                blue = static_cast<int>(250 - 82 * t);
      std::snprintf(buf, sizeof buf,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" stroke=\"white\"/>\n", x, y,
                    cell_w, cell_h,
                    std::isnan(v) ? "#eeeeee"
                                  : ("rgb(" + std::to_string(red) + "," + std::to_string(green) + "," +
                                     std::to_string(blue) + ")")
                                        .c_str());
      svg += buf;
      char label[32] = "n/a";
      if (!std::isnan(v)) std::snprintf(label, sizeof label, "%.3f", v);
      std::snprintf(buf, sizeof buf,
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"14\" "
                    "fill=\"%s\">%s</text>\n",
                    x + cell_w / 2, y + cell_h / 2 + 5, t > 0.55 ? "white" : "black", label);
      svg += buf;
    }
  }
  for (std::size_t c = 0; c < columns.size(); ++c) {
    std::snprintf(
        buf, sizeof buf,
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"12\">%s</text>\n",
        kMargin + cell_w * (static_cast<double>(c) + 0.5), kSize - kMargin + 18, escaped(columns[c]).c_str());
    svg += buf;
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const double y = kMargin + cell_h * (static_cast<double>(r) + 0.5);
    std::snprintf(buf, sizeof buf,
                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"12\" "
                  "transform=\"rotate(-90 %.1f %.1f)\">%s</text>\n",
                  kMargin - 10, y, kMargin - 10, y, escaped(rows[r]).c_str());
    svg += buf;
  }
  return svg + axis_labels(column_label, row_label) + "</svg>\n";
}

std::string curves_svg(const std::vector<Curve>& curves, const std::string& title, const std::string& x_label,
                       const std::string& y_label) {
  double x_hi = 1e-9, y_hi = 1e-9;
  for (const Curve& c : curves) {
    for (const auto& [x, y] : c.points) {
      x_hi = std::max(x_hi, x);
      y_hi = std::max(y_hi, y);
    }
  }
  const Frame f{0, x_hi * 1.05, 0, y_hi * 1.1};
  std::string svg = f.open(title, x_label, y_label);
  static const char* const kColours[] = {"#1f5fa8", "#c33", "#2a8a3a", "#b07a00", "#7a3fb0", "#444"};
  char buf[256];
  for (std::size_t k = 0; k < curves.size(); ++k) {
    const char* colour = kColours[k % (sizeof kColours / sizeof kColours[0])];
    std::vector<std::pair<double, double>> points = curves[k].points;
    std::sort(points.begin(), points.end());
    std::string path;
    for (const auto& [x, y] : points) {
      std::snprintf(buf, sizeof buf, "%s%.1f,%.1f", path.empty() ? "" : " ", f.px(x), f.py(y));
      path += buf;
      std::snprintf(buf, sizeof buf, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", f.px(x), f.py(y),
                    colour);
      svg += buf;
    }
    svg += "<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"" + std::string(colour) + "\" points=\"" + path +
           "\"/>\n";
    std::snprintf(buf, sizeof buf,
                  "<text x=\"%.1f\" y=\"%.1f\" font-family=\"sans-serif\" font-size=\"12\" fill=\"%s\">%s</text>\n",
                  kMargin + 10, kMargin + 18 + 16.0 * static_cast<double>(k), colour, escaped(curves[k].name).c_str());
    svg += buf;
  }
  return svg + "</svg>\n";
}

}  // namespace dpa::tools
