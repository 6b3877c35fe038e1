// The natural log of a positive float, in double, from IEEE arithmetic alone: libm-free (1.2 KB
// less flash on a Cortex-M4F than newlib's log) and the same bits on every platform, so host and
// device compute the same log-scaled context features.
#pragma once

#include <cstdint>
#include <cstring>

namespace dpa::detail {

// v > 0 and finite (every positive float is a normal double). Within 5e-16 relative of log(v);
// rounded to float, equal to libm's on 2 million random floats (tests/test_model_inputs.cpp).
inline double natural_log(float v) {
  const double x = v;
  std::uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  int exponent = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;  // mantissa m in [1, 2)
  double m;
  std::memcpy(&m, &bits, sizeof m);
  if (m > 1.4142135623730951) {  // m in [sqrt(1/2), sqrt(2)): |s| <= 0.1716 below
    m *= 0.5;
    ++exponent;
  }
  // log(m) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), s = (m - 1) / (m + 1); s^24 < 2e-18.
  const double s = (m - 1.0) / (m + 1.0);
  const double z = s * s;
  double series = 1.0 / 23.0;
  for (int k = 21; k >= 1; k -= 2) series = 1.0 / k + z * series;
  const double log_m = 2.0 * s * series;
  // exponent * ln 2 with ln 2 split so that exponent * kLn2High is exact.
  constexpr double kLn2High = 6.93147180369123816490e-01, kLn2Low = 1.90821492927058770002e-10;
  return exponent * kLn2High + (exponent * kLn2Low + log_m);
}

}  // namespace dpa::detail
