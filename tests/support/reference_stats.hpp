// Test-only reference: sort a copy, apply numpy's formula. Slow and obviously right.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace dpa_test {

inline double numpy_percentile(std::vector<double> v, double percent) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  const double h = static_cast<double>(n - 1) * (percent / 100.0);
  std::size_t lo, hi;
  double gamma;
  if (h >= static_cast<double>(n - 1)) {
    lo = hi = n - 1;
    gamma = h + 1.0;  // numpy marks the index as -1 there
  } else {
    lo = static_cast<std::size_t>(std::floor(h));
    hi = lo + 1;
    gamma = h - std::floor(h);
  }
  const double a = v[lo], b = v[hi], diff = b - a;
  return gamma >= 0.5 ? b - diff * (1.0 - gamma) : a + diff * gamma;
}

struct ReferenceMoments {
  double mean, std, rms;
};

inline ReferenceMoments reference_moments(const float* x, std::size_t n) {
  long double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += x[i];
  const long double mean = sum / n;
  long double sq = 0, raw = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const long double d = x[i] - mean;
    sq += d * d;
    raw += static_cast<long double>(x[i]) * x[i];
  }
  return {static_cast<double>(mean), static_cast<double>(std::sqrt(sq / n)), static_cast<double>(std::sqrt(raw / n))};
}

inline std::uint32_t bits_of(float v) {
  std::uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

inline float float_of_bits(std::uint32_t b) {
  float v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

// Bit-for-bit equal, except that +0 and -0 match: which zero numpy's partition puts at a rank is
// an artefact of its partition order, not of the data.
inline bool same_float(float a, float b) { return bits_of(a) == bits_of(b) || (a == 0.0f && b == 0.0f); }

}  // namespace dpa_test
