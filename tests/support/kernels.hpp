// The runtime's kernels as its own table lists them (dpa_kernel_count / dpa_kernel_at), so that a
// kernel added there is tested everywhere without editing a test.
#pragma once

#include <cstdint>
#include <vector>

#include "dpa/dpa.h"

namespace dpa_test {

inline std::vector<dpa_kernel> all_kernels() {
  std::vector<dpa_kernel> out;
  for (std::uint32_t i = 0; i < dpa_kernel_count(); ++i) out.push_back(dpa_kernel_at(i));
  return out;
}

// Every kernel but the scalar reference they are compared with.
inline std::vector<dpa_kernel> simd_kernels() {
  std::vector<dpa_kernel> out;
  for (const dpa_kernel k : all_kernels()) {
    if (k != DPA_KERNEL_SCALAR) out.push_back(k);
  }
  return out;
}

}  // namespace dpa_test
