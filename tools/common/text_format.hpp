// Numbers and durations for tables and progress lines.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

namespace dpa::tools {

// v with `digits` decimals; "n/a" when not finite.
inline std::string fixed(double v, int digits) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace dpa::tools
