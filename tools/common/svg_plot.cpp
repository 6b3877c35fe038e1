#include "common/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace dpa::tools {

std::string scatter_svg(const std::vector<float>& actual, const std::vector<float>& predicted,
                        const std::string& title) {
  const double size = 520, margin = 60, plot = size - 2 * margin;
  float lo = 0, hi = 1;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    lo = std::min({lo, actual[i], predicted[i]});
    hi = std::max({hi, actual[i], predicted[i]});
  }
  auto px = [&](double v) { return margin + (v - lo) / (hi - lo) * plot; };
  auto py = [&](double v) { return size - margin - (v - lo) / (hi - lo) * plot; };
  std::string escaped;
  for (char c : title) escaped += c == '<' ? std::string("&lt;") : c == '&' ? std::string("&amp;") : std::string(1, c);
  char buf[256];
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"520\" height=\"520\" viewBox=\"0 0 520 520\">\n"
                    "<rect width=\"520\" height=\"520\" fill=\"white\"/>\n";
  std::snprintf(buf, sizeof buf, "<text x=\"260\" y=\"28\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"15\">%s</text>\n", escaped.c_str());
  svg += buf;
  std::snprintf(buf, sizeof buf, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#444\"/>\n", margin, margin, plot, plot);
  svg += buf;
  for (int k = 0; k <= 5; ++k) {
    const double v = lo + (hi - lo) * k / 5.0;
    std::snprintf(buf, sizeof buf,
                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"11\">%.2f</text>\n"
                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-family=\"sans-serif\" font-size=\"11\">%.2f</text>\n",
                  px(v), size - margin + 16, v, margin - 6, py(v) + 4, v);
    svg += buf;
  }
  std::snprintf(buf, sizeof buf, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#c33\" stroke-dasharray=\"4 3\"/>\n", px(lo), py(lo), px(hi), py(hi));
  svg += buf;
  svg += "<text x=\"260\" y=\"505\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"13\">actual</text>\n"
         "<text x=\"16\" y=\"260\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"13\" transform=\"rotate(-90 16 260)\">predicted</text>\n"
         "<g fill=\"#1f5fa8\" fill-opacity=\"0.45\">\n";
  for (std::size_t i = 0; i < actual.size(); ++i) {
    std::snprintf(buf, sizeof buf, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\"/>\n", px(actual[i]), py(predicted[i]));
    svg += buf;
  }
  return svg + "</g>\n</svg>\n";
}

}  // namespace dpa::tools
