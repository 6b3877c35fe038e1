// numpy-exact percentiles of one segment by selection (no sort, no copy of the segment).
#pragma once

#include "kernels.hpp"

namespace dpa::detail {

// A percentile the driver must produce, with the standard-normal quantile z of its fraction and
// the normal density at z: the first pass guesses where the order statistic lies from mean and
// std, and later passes interpolate the counts they measured.
struct PercentileSpec {
  double percent;  // 0..100, as passed to numpy.percentile
  double normal_z;
  double normal_density;
};

inline constexpr std::uint32_t kBracketCapacity = 64;  // values selected from per bracket
inline constexpr std::uint32_t kSortWholeBelow = 64;   // smaller segments are sorted whole
static_assert(kSortWholeBelow <= kBracketCapacity, "small segments are sorted in the first buffer");

// Scratch floats the driver needs for `inner` quantiles strictly between q0 and q100: the values
// collected from all brackets of a pass (and a vector of slack: SIMD kernels store whole vectors),
// one bracket's values gathered from them (with the same slack), and their sorted copy. A short
// segment sorted whole uses the first two regions.
constexpr std::uint32_t percentile_scratch_floats(int inner) {
  return static_cast<std::uint32_t>(inner < 1 ? 1 : inner) * kBracketCapacity + kMaxLanes + kBracketCapacity +
         kMaxLanes + kBracketCapacity;
}

// numpy.percentile(x.astype(float64), percent, method="linear") rounded to float32, for each
// spec, in order. `moments` is the finite result of kernels.moments over the same x (n >= 1).
// scratch holds percentile_scratch_floats(number of specs strictly inside (0, 100)) floats.
void percentiles(const KernelTable& kernels, const float* x, std::uint32_t n, const Moments& moments,
                 const PercentileSpec* specs, int count, float* out, float* scratch);

// numpy's linear interpolation between neighbouring order statistics, exactly as numpy
// evaluates it (from the nearer end when t >= 0.5).
double numpy_lerp(double a, double b, double t);

}  // namespace dpa::detail
