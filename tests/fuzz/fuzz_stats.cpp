// Statistics on arbitrary floats: every kernel must agree with the scalar reference bit for bit
// on the quantiles (a differential fuzzer), and nothing may fault whatever the values.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "dpa/dpa.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  // First byte: segment split; the rest: float bits.
  const std::size_t n = (size - 1) / 4;
  std::vector<float> w(n);
  std::memcpy(w.data(), data + 1, n * 4);
  const std::uint32_t first = n > 1 ? 1 + data[0] % (n - 1) : 1;
  dpa_segment segs[2] = {{0, first, DPA_SEGMENT_BIAS, 0},
                         {first, static_cast<std::uint32_t>(n) - first, DPA_SEGMENT_KERNEL, 0}};
  const dpa_layout layout{segs, n > 1 ? 2u : 1u, static_cast<std::uint32_t>(n)};
  if (n == 1) segs[0].length = 1;
  static unsigned char scratch[DPA_STATS_SCRATCH_MAX_BYTES];
  float reference[28], other[28];
  const dpa_status s = dpa_stats_compute_with_kernel(&layout, DPA_STATS_EXTENDED, w.data(), n, reference, 28, scratch,
                                                     sizeof scratch, DPA_KERNEL_SCALAR);
  for (std::uint32_t i = 0; i < dpa_kernel_count(); ++i) {
    const dpa_kernel k = dpa_kernel_at(i);
    if (k == DPA_KERNEL_SCALAR || !dpa_kernel_available(k)) continue;
    const dpa_status t =
        dpa_stats_compute_with_kernel(&layout, DPA_STATS_EXTENDED, w.data(), n, other, 28, scratch, sizeof scratch, k);
    if (t != s) std::abort();
    for (std::uint32_t seg = 0; seg < layout.num_segments; ++seg) {
      for (int q = 0; q < 7; ++q) {
        const float a = reference[seg * 14 + q], b = other[seg * 14 + q];
        if (std::memcmp(&a, &b, 4) != 0 && !(a != a && b != b)) std::abort();  // NaN == NaN here
      }
    }
  }
  return 0;
}
