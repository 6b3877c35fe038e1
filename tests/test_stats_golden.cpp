// numpy's own numbers (scripts/gen_golden.py) against the runtime, for every kernel.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "dpa/dpa.hpp"
#include "support/kernels.hpp"
#include "support/reference_stats.hpp"

namespace {

struct GoldenCase {
  const char* name;
  std::vector<std::uint32_t> bits;
  std::array<std::uint32_t, 7> percentiles;  // 0, 5, 25, 50, 75, 95, 100
  double mean;
  double std;
};

const std::vector<GoldenCase>& golden_cases() {
  static const std::vector<GoldenCase> cases = {
#include "golden/stats_golden.inc"
  };
  return cases;
}

}  // namespace

TEST_CASE("golden values from numpy: every case, every available kernel") {
  REQUIRE(golden_cases().size() >= 30);
  int kernels_run = 0;
  for (dpa_kernel kernel : dpa_test::all_kernels()) {
    if (!dpa_kernel_available(kernel)) continue;
    ++kernels_run;
    for (const GoldenCase& c : golden_cases()) {
      const std::string name = c.name, kernel_name = dpa_kernel_name(kernel);
      CAPTURE(name);
      CAPTURE(kernel_name);
      std::vector<float> x(c.bits.size());
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = dpa_test::float_of_bits(c.bits[i]);
      const dpa_segment segment{0, static_cast<std::uint32_t>(x.size()), DPA_SEGMENT_KERNEL, 0};
      const dpa_layout layout{&segment, 1, segment.length};

      dpa::FeatureExtractor extended(layout, DPA_STATS_EXTENDED, kernel);
      float ext[14];
      REQUIRE(extended.compute(x.data(), x.size(), ext, 14) == DPA_OK);
      for (int q = 0; q < 7; ++q) {
        CAPTURE(q);
        const float want = dpa_test::float_of_bits(c.percentiles[q]);
        CHECK(dpa_test::same_float(ext[q], want));
      }
      const double rms = dpa_test::reference_moments(x.data(), x.size()).rms;
      CHECK(std::fabs(ext[7] - c.std) <= 1e-6 * rms);
      CHECK(std::fabs(ext[8] - c.mean) <= 1e-6 * rms);

      dpa::FeatureExtractor paper(layout, DPA_STATS_PAPER, kernel);
      float p[7];
      REQUIRE(paper.compute(x.data(), x.size(), p, 7) == DPA_OK);
      const int paper_from_extended[7] = {0, 2, 3, 4, 6, 7, 8};
      for (int i = 0; i < 7; ++i) { CHECK(dpa_test::bits_of(p[i]) == dpa_test::bits_of(ext[paper_from_extended[i]])); }
    }
  }
  CHECK(kernels_run >= 2);  // scalar plus at least one SIMD kernel on x86-64 and AArch64
}
