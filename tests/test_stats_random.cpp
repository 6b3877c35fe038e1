// Every SIMD kernel against the scalar reference kernel, and all of them against a sort-based
// numpy reference, on thousands of random segments of many shapes.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "dpa/dpa.hpp"
#include "support/kernels.hpp"
#include "support/reference_stats.hpp"

namespace {

std::vector<float> random_segment(std::mt19937_64& rng, int shape) {
  std::uniform_int_distribution<int> size_pick(0, 99);
  const int bucket = size_pick(rng);
  std::size_t n;
  if (bucket < 30) n = std::uniform_int_distribution<std::size_t>(1, 40)(rng);
  else if (bucket < 80) n = std::uniform_int_distribution<std::size_t>(41, 400)(rng);
  else n = std::uniform_int_distribution<std::size_t>(401, 3000)(rng);
  std::vector<float> x(n);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::exponential_distribution<float> expo(1.0f);
  std::cauchy_distribution<float> cauchy(0.0f, 1.0f);
  const float scale = std::pow(10.0f, std::uniform_real_distribution<float>(-4, 1)(rng));
  for (float& v : x) {
    switch (shape) {
      case 0: v = normal(rng) * scale; break;
      case 1: v = uniform(rng) * scale; break;
      case 2: v = (uniform(rng) < 0 ? -1.0f : 1.0f) * expo(rng) * scale; break;  // Laplace
      case 3: v = std::round(normal(rng) * 2.0f); break;                         // heavy ties
      case 4: v = uniform(rng) < 0.3f ? (uniform(rng) < 0 ? -0.0f : 0.0f) : normal(rng); break;
      case 5: v = std::exp(normal(rng) * 2.0f); break;                    // skewed
      case 6: v = std::max(-1e30f, std::min(1e30f, cauchy(rng))); break;  // heavy tails
      case 7: v = 50.0f + normal(rng) * 1e-3f; break;                     // offset mean
      default: v = normal(rng) * 1e-40f; break;                           // subnormals
    }
  }
  if (shape == 0 && uniform(rng) < 0.2f) std::sort(x.begin(), x.end());
  return x;
}

void check_against_reference(const std::vector<float>& x, const float* stats) {
  static const double kPercents[7] = {0, 5, 25, 50, 75, 95, 100};
  const std::vector<double> x64(x.begin(), x.end());
  for (int q = 0; q < 7; ++q) {
    const float want = static_cast<float>(dpa_test::numpy_percentile(x64, kPercents[q]));
    CAPTURE(q);
    REQUIRE(dpa_test::same_float(stats[q], want));
  }
  const auto ref = dpa_test::reference_moments(x.data(), x.size());
  REQUIRE(std::fabs(stats[7] - ref.std) <= 1e-6 * ref.rms + 1e-45);
  REQUIRE(std::fabs(stats[8] - ref.mean) <= 1e-6 * ref.rms + 1e-45);
}

}  // namespace

TEST_CASE("SIMD kernels equal the scalar kernel and numpy on 10,000 random segments") {
  std::mt19937_64 rng(12345);
  const std::vector<dpa_kernel> simd = dpa_test::simd_kernels();
  int simd_checked = 0;
  for (int trial = 0; trial < 10000; ++trial) {
    const std::vector<float> x = random_segment(rng, trial % 9);
    CAPTURE(trial);
    CAPTURE(x.size());
    const dpa_segment segment{0, static_cast<std::uint32_t>(x.size()), DPA_SEGMENT_KERNEL, 0};
    const dpa_layout layout{&segment, 1, segment.length};
    float scalar[14];
    dpa::FeatureExtractor reference(layout, DPA_STATS_EXTENDED, DPA_KERNEL_SCALAR);
    REQUIRE(reference.compute(x.data(), x.size(), scalar, 14) == DPA_OK);
    check_against_reference(x, scalar);
    for (dpa_kernel kernel : simd) {
      if (!dpa_kernel_available(kernel)) continue;
      const std::string kernel_name = dpa_kernel_name(kernel);
      CAPTURE(kernel_name);
      float out[14];
      dpa::FeatureExtractor fx(layout, DPA_STATS_EXTENDED, kernel);
      REQUIRE(fx.compute(x.data(), x.size(), out, 14) == DPA_OK);
      for (int q = 0; q < 7; ++q) REQUIRE(dpa_test::bits_of(out[q]) == dpa_test::bits_of(scalar[q]));
      // Sums in another order: std and mean within the promised 1e-6 of the RMS, the rest
      // (double sums of their own) within float rounding.
      const double rms = dpa_test::reference_moments(x.data(), x.size()).rms;
      REQUIRE(std::fabs(out[7] - scalar[7]) <= 1e-6 * rms + 1e-45);
      REQUIRE(std::fabs(out[8] - scalar[8]) <= 1e-6 * rms + 1e-45);
      for (int i = 9; i < 14; ++i) {
        CAPTURE(i);
        REQUIRE(std::fabs(out[i] - scalar[i]) <= 1e-5f * (std::fabs(scalar[i]) + 1e-30f));
      }
      ++simd_checked;
    }
  }
  CHECK(simd_checked >= 10000);
}

TEST_CASE("extended statistics match their definitions") {
  const std::vector<float> x = {-2.0f, -1.0f, 0.0f, 0.001f, 1.0f, 5.0f};
  const dpa_segment segment{0, 6, DPA_SEGMENT_KERNEL, 0};
  const dpa_layout layout{&segment, 1, 6};
  dpa::FeatureExtractor fx(layout, DPA_STATS_EXTENDED);
  float s[14];
  REQUIRE(fx.compute(x.data(), x.size(), s, 14) == DPA_OK);
  double mean = 0, m2 = 0, m3 = 0, m4 = 0, abs_sum = 0, sq = 0;
  for (float v : x) mean += v;
  mean /= 6;
  for (float v : x) {
    const double d = v - mean;
    m2 += d * d / 6;
    m3 += d * d * d / 6;
    m4 += d * d * d * d / 6;
    abs_sum += std::fabs(v);
    sq += double(v) * v;
  }
  CHECK(s[9] == doctest::Approx(abs_sum / 6));
  CHECK(s[10] == doctest::Approx(std::sqrt(sq)));
  CHECK(s[11] == doctest::Approx(m3 / std::pow(m2, 1.5)));
  CHECK(s[12] == doctest::Approx(m4 / (m2 * m2) - 3.0));
  // max |w| = 5, bound 0.05: 0 and 0.001 are near zero.
  CHECK(s[13] == doctest::Approx(2.0 / 6.0));
  CHECK(std::string(dpa_stats_name(DPA_STATS_EXTENDED, 13)) == "near_zero_share");
  CHECK(std::string(dpa_stats_name(DPA_STATS_PAPER, 5)) == "std");
  CHECK(dpa_stats_name(DPA_STATS_PAPER, 7) == nullptr);
}

TEST_CASE("zoo layout: 56 paper features, per-segment NaN on non-finite input") {
  const dpa_layout& zoo = dpa::zoo_layout();
  REQUIRE(zoo.total_length == 4970);
  REQUIRE(dpa::feature_count(zoo, DPA_STATS_PAPER) == 56);
  REQUIRE(dpa::feature_count(zoo, DPA_STATS_EXTENDED) == 112);
  std::mt19937_64 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.1f);
  std::vector<float> w(4970);
  for (float& v : w) v = normal(rng);
  dpa::FeatureExtractor fx;
  std::vector<float> clean(56), dirty(56);
  REQUIRE(fx.compute(w.data(), w.size(), clean.data(), 56) == DPA_OK);
  for (std::uint32_t s = 0; s < zoo.num_segments; ++s) {
    const dpa_segment& seg = zoo.segments[s];
    std::vector<float> part(w.begin() + seg.offset, w.begin() + seg.offset + seg.length);
    const dpa_segment one{0, seg.length, seg.kind, 0};
    const dpa_layout single{&one, 1, seg.length};
    dpa::FeatureExtractor fs(single);
    float out[7];
    REQUIRE(fs.compute(part.data(), part.size(), out, 7) == DPA_OK);
    for (int i = 0; i < 7; ++i) CHECK(dpa_test::bits_of(out[i]) == dpa_test::bits_of(clean[s * 7 + i]));
  }
  const float poison[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity()};
  for (float bad : poison) {
    std::vector<float> v = w;
    v[2500] = bad;  // inside segment 5 (conv2d_2 kernel)
    REQUIRE(fx.compute(v.data(), v.size(), dirty.data(), 56) == DPA_ERR_NON_FINITE);
    for (int i = 0; i < 56; ++i) {
      CAPTURE(i);
      if (i / 7 == 5) CHECK(std::isnan(dirty[i]));
      else CHECK(dpa_test::bits_of(dirty[i]) == dpa_test::bits_of(clean[i]));
    }
  }
}

TEST_CASE("every kernel gives the same bits when -0 and +0 tie (found by fuzz_stats)") {
  for (std::size_t n : {2u, 17u, 69u, 200u, 2304u}) {
    for (std::size_t at = 0; at < n; at += n / 5 + 1) {
      std::vector<float> x(n, 0.0f);
      x[at] = -0.0f;
      if (n > 100) x[n / 2] = 1.0f;  // not constant: the selection path as well
      const dpa_segment segment{0, static_cast<std::uint32_t>(n), DPA_SEGMENT_KERNEL, 0};
      const dpa_layout layout{&segment, 1, segment.length};
      float reference[14];
      dpa::FeatureExtractor scalar(layout, DPA_STATS_EXTENDED, DPA_KERNEL_SCALAR);
      REQUIRE(scalar.compute(x.data(), n, reference, 14) == DPA_OK);
      for (dpa_kernel kernel : dpa_test::simd_kernels()) {
        if (!dpa_kernel_available(kernel)) continue;
        float out[14];
        dpa::FeatureExtractor fx(layout, DPA_STATS_EXTENDED, kernel);
        REQUIRE(fx.compute(x.data(), n, out, 14) == DPA_OK);
        CAPTURE(n);
        CAPTURE(at);
        for (int q = 0; q < 7; ++q) CHECK(dpa_test::bits_of(out[q]) == dpa_test::bits_of(reference[q]));
      }
    }
  }
}

// The SIMD kernels find NaN and Inf through the sums they take anyway (no per-value check): a bad
// value anywhere, the first one too (every sum is taken relative to it), must still be reported,
// and the largest finite floats must not be.
TEST_CASE("every kernel reports NaN and Inf wherever they lie, and not the largest finite floats") {
  const float inf = std::numeric_limits<float>::infinity();
  const float largest = std::numeric_limits<float>::max();
  for (std::size_t n : {1u, 7u, 16u, 17u, 31u, 32u, 33u, 48u, 100u, 2304u}) {
    const dpa_segment segment{0, static_cast<std::uint32_t>(n), DPA_SEGMENT_KERNEL, 0};
    const dpa_layout layout{&segment, 1, segment.length};
    for (dpa_kernel kernel : dpa_test::all_kernels()) {
      if (!dpa_kernel_available(kernel)) continue;
      const std::string kernel_name = dpa_kernel_name(kernel);
      CAPTURE(kernel_name);
      CAPTURE(n);
      dpa::FeatureExtractor fx(layout, DPA_STATS_PAPER, kernel);
      float out[7];
      for (std::size_t at : {std::size_t{0}, std::size_t{1}, n / 2, n - 1}) {
        if (at >= n) continue;
        for (float bad : {std::numeric_limits<float>::quiet_NaN(), inf, -inf}) {
          std::vector<float> x(n);
          for (std::size_t i = 0; i < n; ++i) x[i] = 0.01f * static_cast<float>(i % 13);
          x[at] = bad;
          CAPTURE(at);
          CAPTURE(bad);
          REQUIRE(fx.compute(x.data(), n, out, 7) == DPA_ERR_NON_FINITE);
          for (float v : out) CHECK(std::isnan(v));
        }
      }
      // +Inf and -Inf together (their sum alone is NaN) and the extremes of the finite floats.
      std::vector<float> x(n, 1.0f);
      x[0] = inf;
      x[n - 1] = -inf;
      if (n > 1) REQUIRE(fx.compute(x.data(), n, out, 7) == DPA_ERR_NON_FINITE);
      for (std::size_t i = 0; i < n; ++i) x[i] = i % 2 ? largest : -largest;
      REQUIRE(fx.compute(x.data(), n, out, 7) == DPA_OK);
      for (float v : out) CHECK(std::isfinite(v));
      CHECK(out[0] == -largest);
      if (n > 1) CHECK(out[4] == largest);
    }
  }
}
