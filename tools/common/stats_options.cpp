#include "stats_options.hpp"

#include "cli_args.hpp"

namespace dpa::tools {

dpa_stats_set parse_stats_set(const std::string& name) {
  if (name == "paper") return DPA_STATS_PAPER;
  if (name == "extended") return DPA_STATS_EXTENDED;
  throw UsageError("--stats must be 'paper' or 'extended', got '" + name + "'");
}

const char* stats_set_name(dpa_stats_set set) {
  switch (set) {
    case DPA_STATS_PAPER: return "paper";
    case DPA_STATS_EXTENDED: return "extended";
  }
  return "unknown";
}

dpa_kernel parse_kernel(const std::string& name) {
  for (dpa_kernel k : {DPA_KERNEL_AUTO, DPA_KERNEL_SCALAR, DPA_KERNEL_SSE2, DPA_KERNEL_AVX2,
                       DPA_KERNEL_AVX512, DPA_KERNEL_NEON}) {
    if (name == dpa_kernel_name(k)) return k;
  }
  throw UsageError("--kernel must be one of auto, scalar, sse2, avx2, avx512, neon; got '" + name + "'");
}

}  // namespace dpa::tools
