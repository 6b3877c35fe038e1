// Bounds-checked views of a model's bytes, shared by the verifier's parts: every read of
// untrusted bytes goes through `fits` first.
#pragma once

#include <cmath>
#include <cstdint>

namespace dpa::detail {

struct Region {
  const unsigned char* data;
  std::uint32_t size;

  // Does [offset, offset + count * item) lie inside? Computed in 64 bits: no overflow.
  bool fits(std::uint64_t offset, std::uint64_t count, std::uint64_t item) const {
    return offset <= size && count <= (1ull << 32) && count * item <= size - offset;
  }
  template <class T>
  const T* at(std::uint64_t offset) const {
    return reinterpret_cast<const T*>(data + offset);
  }
};

inline bool all_finite(const float* values, std::uint64_t count) {
  for (std::uint64_t i = 0; i < count; ++i) {
    if (!std::isfinite(values[i])) return false;
  }
  return true;
}

}  // namespace dpa::detail
