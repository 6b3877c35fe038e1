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

}  // namespace

const KernelTable* kernels_for(dpa_kernel kernel) {
  switch (kernel) {
    case DPA_KERNEL_SCALAR: return scalar_kernels();
    case DPA_KERNEL_SSE2: return sse2_kernels();
    case DPA_KERNEL_AVX2: return cpu_has_avx2() ? avx2_kernels() : nullptr;
    case DPA_KERNEL_NEON: return neon_kernels();
    case DPA_KERNEL_AVX512: return cpu_has_avx512() ? avx512_kernels() : nullptr;
    case DPA_KERNEL_AUTO: {
      if (const KernelTable* k = kernels_for(DPA_KERNEL_AVX512)) return k;
      if (const KernelTable* k = kernels_for(DPA_KERNEL_AVX2)) return k;
      if (const KernelTable* k = sse2_kernels()) return k;
      if (const KernelTable* k = neon_kernels()) return k;
      return scalar_kernels();
    }
  }
  return nullptr;
}

}  // namespace dpa::detail

extern "C" {

int dpa_kernel_available(dpa_kernel kernel) {
  return dpa::detail::kernels_for(kernel) != nullptr;
}

dpa_kernel dpa_kernel_best(void) { return dpa::detail::kernels_for(DPA_KERNEL_AUTO)->id; }

const char* dpa_kernel_name(dpa_kernel kernel) {
  switch (kernel) {
    case DPA_KERNEL_AUTO: return "auto";
    case DPA_KERNEL_SCALAR: return "scalar";
    case DPA_KERNEL_SSE2: return "sse2";
    case DPA_KERNEL_AVX2: return "avx2";
    case DPA_KERNEL_NEON: return "neon";
    case DPA_KERNEL_AVX512: return "avx512";
  }
  return "unknown";
}

}  // extern "C"
