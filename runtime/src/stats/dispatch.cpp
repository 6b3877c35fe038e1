// Picks an instruction-set kernel: the best one the CPU supports, or the one a caller asks for.
#include "kernels.hpp"

namespace dpa::detail {
namespace {

bool cpu_has_avx2() {
#if defined(DPA_HAVE_AVX2) && (defined(__GNUC__) || defined(__clang__))
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

bool cpu_has_avx512() {
#if defined(DPA_HAVE_AVX512) && (defined(__GNUC__) || defined(__clang__))
  return __builtin_cpu_supports("avx512f");  // libgcc also checks that the OS saves zmm state
#else
  return false;
#endif
}

bool always() { return true; }

// Every kernel the runtime knows, in the order AUTO prefers them (best first); tests, fuzzers,
// benchmarks and the tools' --kernel iterate this through dpa_kernel_count / dpa_kernel_at.
// Adding a kernel: its id in dpa.h, its source file, and one row here.
struct KernelEntry {
  dpa_kernel id;
  const char* name;
  const KernelTable* (*table)();  // nullptr when not compiled in
  bool (*cpu_supports)();
};
constexpr KernelEntry kKernels[] = {
    {DPA_KERNEL_AVX512, "avx512", avx512_kernels, cpu_has_avx512},
    {DPA_KERNEL_AVX2, "avx2", avx2_kernels, cpu_has_avx2},
    {DPA_KERNEL_SSE2, "sse2", sse2_kernels, always},
    {DPA_KERNEL_NEON, "neon", neon_kernels, always},
    {DPA_KERNEL_SCALAR, "scalar", scalar_kernels, always},
};
constexpr std::uint32_t kKernelCount = sizeof kKernels / sizeof kKernels[0];

const KernelTable* usable(const KernelEntry& k) { return k.cpu_supports() ? k.table() : nullptr; }

}  // namespace

const KernelTable* kernels_for(dpa_kernel kernel) {
  for (const KernelEntry& k : kKernels) {
    if (kernel == DPA_KERNEL_AUTO) {
      if (const KernelTable* t = usable(k)) return t;
    } else if (k.id == kernel) {
      return usable(k);
    }
  }
  return nullptr;  // an id no kernel has
}

}  // namespace dpa::detail

extern "C" {

int dpa_kernel_available(dpa_kernel kernel) { return dpa::detail::kernels_for(kernel) != nullptr; }

dpa_kernel dpa_kernel_best(void) { return dpa::detail::kernels_for(DPA_KERNEL_AUTO)->id; }

uint32_t dpa_kernel_count(void) { return dpa::detail::kKernelCount; }

dpa_kernel dpa_kernel_at(uint32_t index) {
  return index < dpa::detail::kKernelCount ? dpa::detail::kKernels[index].id : DPA_KERNEL_AUTO;
}

const char* dpa_kernel_name(dpa_kernel kernel) {
  if (kernel == DPA_KERNEL_AUTO) return "auto";
  for (const dpa::detail::KernelEntry& k : dpa::detail::kKernels) {
    if (k.id == kernel) return k.name;
  }
  return "unknown";
}

}  // extern "C"
