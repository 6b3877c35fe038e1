// Numbers and durations for tables and progress lines; untrusted text made safe to show.
#pragma once

#include <chrono>
#include <cmath>
#include <cstddef>
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

// Length of the well-formed UTF-8 sequence at p (at most `left` bytes), or 0 when the bytes there
// are not one (overlong forms, surrogates and code points past U+10FFFF are not).
inline std::size_t utf8_sequence_length(const unsigned char* p, std::size_t left) {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned low = 0x80, high = 0xbf;  // the range of the second byte
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) low = 0xa0;
    if (c == 0xed) high = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) low = 0x90;
    if (c == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (left < n || p[1] < low || p[1] > high) return 0;
  for (std::size_t i = 2; i < n; ++i) {
    if ((p[i] & 0xc0) != 0x80) return 0;
  }
  return n;
}

// Text from a file (a model's names and provenance, a path) as it may be shown on a terminal:
// control bytes (escape sequences, line ends) and bytes that are not UTF-8 become \xNN.
inline std::string printable(const std::string& text) {
  std::string out;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence_length(p + i, text.size() - i);
    if (n == 0 || p[i] < 0x20 || p[i] == 0x7f || (p[i] == 0xc2 && p[i + 1] < 0xa0)) {  // C0, DEL, C1
      char buf[8];
      const std::size_t bytes = n == 0 ? 1 : n;
      for (std::size_t k = 0; k < bytes; ++k) {
        std::snprintf(buf, sizeof buf, "\\x%02x", p[i + k]);
        out += buf;
      }
      i += bytes;
    } else {
      out.append(text, i, n);
      i += n;
    }
  }
  return out;
}

}  // namespace dpa::tools
