// Order statistics by bracketing: each pass over the segment counts, for a few candidate brackets
// [lo, hi), how many values lie below each end, and collects the values inside. Once a bracket
// holds the wanted ranks and few enough values, the ranks are selected from the collected values.
// The first pass places brackets from a normal approximation (mean, std); later passes
// interpolate the measured counts; if that stalls, brackets split the remaining range of float
// bit patterns in thirds, which always terminates. Passes stream the segment with SIMD compares,
// so a 2304-float kernel costs a few microseconds: usually two or three passes, up to about 17 for
// kernels that L2 regularisation has pulled into a spike around zero.
#include "percentiles.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace dpa::detail {
namespace {

constexpr int kInterpolatingPasses = 6;  // then split by bit patterns
constexpr int kMaxPasses = 80;           // thirds of 2^32 patterns need fewer than 25
constexpr std::uint32_t kMinMarginRanks = 8;
constexpr std::uint32_t kMaxMarginRanks = kBracketCapacity / 2 - 8;  // both sides fit one bracket

// Where to place brackets is a guess: any placement gives exact results, only the number of
// passes changes. On FPUs without double precision (Cortex-M4F) the guess is made in float,
// which saves the software-double calls in code size and time; elsewhere in double.
#if defined(__ARM_FP) && !(__ARM_FP & 8)
using Estimate = float;
#else
using Estimate = double;
#endif
Estimate estimate(std::uint32_t count) { return static_cast<Estimate>(count); }

struct Ranks {
  std::uint32_t lo;
  std::uint32_t hi;  // lo or lo + 1
  double gamma;
};

// numpy's virtual index for method "linear": h = (n - 1) * q. At or past the last index numpy
// takes the last value for both neighbours and its gamma becomes h - (-1).
Ranks numpy_ranks(std::uint32_t n, double percent) {
  const double fraction = percent / 100.0;
  const double h = static_cast<double>(n - 1) * fraction;
  if (h >= static_cast<double>(n - 1)) return {n - 1, n - 1, h + 1.0};
  const double below = std::floor(h);
  const auto lo = static_cast<std::uint32_t>(below);
  const double gamma = h - below;
  // With gamma == 0 numpy's a + (b - a) * 0 does not depend on b: no need to select it.
  return {lo, gamma == 0.0 ? lo : lo + 1, gamma};
}

// Monotone map of floats to unsigned keys (-0 just below +0); NaN never reaches here.
std::uint32_t key_of(float v) {
  std::uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return (bits & 0x80000000u) ? ~bits : bits | 0x80000000u;
}

float float_of(std::uint32_t key) {
  const std::uint32_t bits = (key & 0x80000000u) ? key & 0x7fffffffu : ~key;
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// A wanted rank (and possibly its successor) and the tightest bracket [a, b) known to hold it:
// count(x < a) = below_a <= rank < below_b = count(x < b).
struct Target {
  std::uint32_t rank;
  bool want_next;       // numpy interpolates towards the value at rank + 1 as well
  bool searching_next;  // value is known; this search is for the successor
  int out_index;
  float a, b;
  std::uint32_t below_a, below_b;
  Estimate normal_z, normal_density;
  float value, next_value;
  bool done;
};

// A threshold and how many values lie below it: one measured point of the distribution.
struct Measured {
  float threshold;
  std::uint32_t below;
};
constexpr int kMaxMeasured = 64;

// The secant through the two measured points nearest the wanted rank: near a target the
// distribution's local slope predicts it far better than a line across a wide bracket.
bool local_secant(const Measured* points, int count, Estimate wanted, Estimate* center, Estimate* ranks_per_unit,
                  Estimate* distance) {
  int first = -1, second = -1;
  Estimate d1 = 0, d2 = 0;
  for (int i = 0; i < count; ++i) {
    if (!std::isfinite(points[i].threshold)) continue;
    const Estimate d = std::fabs(estimate(points[i].below) - wanted);
    if (first < 0 || d < d1) {
      second = first;
      d2 = d1;
      first = i;
      d1 = d;
    } else if ((second < 0 || d < d2) && points[i].below != points[first].below &&
               points[i].threshold != points[first].threshold) {
      second = i;
      d2 = d;
    }
  }
  if (first < 0 || second < 0 || points[first].below == points[second].below ||
      points[first].threshold == points[second].threshold) {
    return false;
  }
  const Measured& p = points[first];
  const Measured& q = points[second];
  *ranks_per_unit = (estimate(q.below) - estimate(p.below)) / (static_cast<Estimate>(q.threshold) - p.threshold);
  if (!(*ranks_per_unit > 0) || !std::isfinite(*ranks_per_unit)) return false;
  *center = p.threshold + (wanted - estimate(p.below)) / *ranks_per_unit;
  *distance = d1;
  return std::isfinite(*center);
}

void propose(const Target& t, int pass, const Moments& m, std::uint32_t n, const Measured* points, int num_points,
             float* lo, float* hi) {
  const std::uint32_t width = t.below_b - t.below_a;
  if (width <= kBracketCapacity) {  // the known bracket is small enough: collect it
    *lo = t.a;
    *hi = t.b;
    return;
  }
  const std::uint32_t key_a = key_of(t.a), key_b = key_of(t.b);
  if (pass < kInterpolatingPasses) {
    Estimate center, half;
    if (pass == 0) {
      const auto mean = static_cast<Estimate>(m.mean(n));
      const Estimate std = std::sqrt(static_cast<Estimate>(m.variance(n)));
      const std::uint32_t margin = std::min(kMaxMarginRanks, std::max(kMinMarginRanks, n / 64));
      center = mean + t.normal_z * std;
      half = estimate(margin) * std / (estimate(n) * t.normal_density);
    } else {
      const Estimate wanted = estimate(t.rank) + (t.want_next ? Estimate(1) : Estimate(0.5));
      Estimate slope, distance;
      if (local_secant(points, num_points, wanted, &center, &slope, &distance)) {
        // Margin grows with how far the secant extrapolates, within what one bracket holds.
        const Estimate margin =
            std::min<Estimate>(kMaxMarginRanks, std::max<Estimate>(kMinMarginRanks, distance / 4 + kMinMarginRanks));
        half = margin / slope;
      } else {
        // b may be +inf (above the maximum): interpolate up to the maximum instead.
        const Estimate a = t.a, b = std::min<Estimate>(t.b, m.max);
        const std::uint32_t margin = std::min(kMaxMarginRanks, std::max(kMinMarginRanks, width / 16));
        center = a + (b - a) * ((wanted - estimate(t.below_a)) / estimate(width));
        half = (b - a) * estimate(margin) / estimate(width);
      }
    }
    const Estimate low = std::max<Estimate>(center - half, t.a);
    const Estimate high = std::min<Estimate>(center + half, t.b);
    *lo = static_cast<float>(low);
    *hi = static_cast<float>(high);
    if (*lo > *hi) *lo = *hi;
    // Only useful when at least one end falls strictly inside the bracket.
    const std::uint32_t key_lo = key_of(*lo), key_hi = key_of(*hi);
    if ((key_lo > key_a && key_lo < key_b) || (key_hi > key_a && key_hi < key_b)) return;
  }
  const std::uint32_t span = key_b - key_a;  // >= 2 here: a span of 1 is finished
  const std::uint32_t first = key_a + std::max<std::uint32_t>(1, span / 3);
  const std::uint32_t second = std::max(first, key_a + span / 3 * 2);
  *lo = float_of(first);
  *hi = float_of(std::min(second, key_b - 1));
}

void tighten(Target& t, float threshold, std::uint32_t below) {
  const std::uint32_t key = key_of(threshold);
  if (below <= t.rank && key > key_of(t.a)) {
    t.a = threshold;
    t.below_a = below;
  }
  if (below > t.rank && key < key_of(t.b)) {
    t.b = threshold;
    t.below_b = below;
  }
}

// The value at t.rank is known (next_value is the successor when below_hi > rank + 1), and
// `hi` is a threshold with count(x < hi) = below_hi > t.rank. If the successor is wanted but
// lies at or above hi, the search goes on for it from there.
void found(Target& t, float value, float next_value, float hi, std::uint32_t below_hi, std::uint32_t n) {
  if (t.searching_next) {
    t.next_value = value;
    t.done = true;
  } else if (!t.want_next || below_hi > t.rank + 1) {
    t.value = value;
    t.next_value = next_value;
    t.done = true;
  } else {
    // Exactly rank + 1 values lie below hi: the successor is the smallest value >= hi.
    t.value = value;
    t.searching_next = true;
    t.rank += 1;
    t.a = hi;
    t.below_a = below_hi;
    t.b = HUGE_VALF;
    t.below_b = n;
  }
}

}  // namespace

double numpy_lerp(double a, double b, double t) {
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

void percentiles(const KernelTable& kernels, const float* x, std::uint32_t n, const Moments& measured,
                 const PercentileSpec* specs, int count, float* out, float* scratch) {
  // Which zero a SIMD min/max reduction keeps when -0 and +0 tie depends on the instruction set;
  // x + 0.0f turns -0 into +0, so every kernel starts from the same extremes (found by
  // fuzz_stats: a constant segment of zeros with one -0 gave kernel-dependent signs).
  Moments moments = measured;
  moments.min += 0.0f;
  moments.max += 0.0f;
  float* sorted = nullptr;
  if (n <= kSortWholeBelow) {
    // A copy first: SIMD sorting loads whole vectors, past the end of a short segment.
    float* const padded = scratch + kBracketCapacity;
    for (std::uint32_t i = 0; i < n; ++i) padded[i] = x[i];
    for (std::uint32_t i = n; i < n + kMaxLanes; ++i) padded[i] = 0.0f;
    kernels.rank_sort(padded, n, scratch);
    sorted = scratch;
  }
  Target targets[kMaxInnerQuantiles];
  double gammas[kMaxInnerQuantiles];
  int num_targets = 0;
  for (int i = 0; i < count; ++i) {
    const Ranks r = numpy_ranks(n, specs[i].percent);
    float value_lo, value_hi;
    const bool extreme_lo = r.lo == 0 || r.lo == n - 1, extreme_hi = r.hi == 0 || r.hi == n - 1;
    if (sorted) {
      value_lo = sorted[r.lo];
      value_hi = sorted[r.hi];
    } else if (moments.min == moments.max || (extreme_lo && extreme_hi)) {
      value_lo = r.lo == 0 ? moments.min : moments.max;
      value_hi = r.hi == 0 ? moments.min : moments.max;
    } else {
      if (num_targets == kMaxInnerQuantiles) continue;  // specs never ask for more
      gammas[num_targets] = r.gamma;
      targets[num_targets++] = Target{r.lo,
                                      r.hi != r.lo,
                                      false,
                                      i,
                                      moments.min,
                                      HUGE_VALF,
                                      0,
                                      n,
                                      static_cast<Estimate>(specs[i].normal_z),
                                      static_cast<Estimate>(specs[i].normal_density),
                                      0.0f,
                                      0.0f,
                                      false};
      continue;
    }
    out[i] = static_cast<float>(numpy_lerp(value_lo, value_hi, r.gamma));
  }

  Measured points[kMaxMeasured];
  int num_points = 0;
  points[num_points++] = {moments.min, 0};
  BracketPass pass{};
  pass.collected = scratch;
  pass.capacity = static_cast<std::uint32_t>(num_targets) * kBracketCapacity;
  float* const selection = scratch + pass.capacity + kMaxLanes;
  int active[kMaxInnerQuantiles];
  for (int round = 0; round < kMaxPasses; ++round) {
    pass.count = 0;
    for (int j = 0; j < num_targets; ++j) {
      Target& t = targets[j];
      if (t.done) continue;
      if (key_of(t.b) - key_of(t.a) <= 1) {  // one bit pattern: every value inside equals a
        found(t, t.a, t.a, t.b, t.below_b, n);
        if (t.done) continue;
      }
      const int slot = pass.count++;
      active[slot] = j;
      propose(t, round, moments, n, points, num_points, &pass.lo[slot], &pass.hi[slot]);
    }
    if (pass.count == 0) break;
    kernels.bracket(x, n, &pass);
    for (int slot = 0; slot < pass.count; ++slot) {
      Target& t = targets[active[slot]];
      const std::uint32_t below_lo = pass.below_lo[slot], below_hi = pass.below_hi[slot];
      const std::uint32_t inside = below_hi - below_lo;
      if (below_lo <= t.rank && below_hi > t.rank && inside <= kBracketCapacity &&
          pass.collected_count <= pass.capacity) {
        // This bracket's values, out of those collected for all brackets, in order; the vector
        // after them is zeroed because sorting loads whole vectors.
        const std::uint32_t m =
            kernels.gather(pass.collected, pass.collected_count, pass.lo[slot], pass.hi[slot], selection);
        for (std::uint32_t i = m; i < m + kMaxLanes; ++i) selection[i] = 0.0f;
        float* const sorted_bracket = selection + kBracketCapacity + kMaxLanes;
        kernels.rank_sort(selection, inside, sorted_bracket);
        const std::uint32_t next = below_hi > t.rank + 1 ? t.rank + 1 : t.rank;
        const float value = sorted_bracket[t.rank - below_lo];
        const float next_value = sorted_bracket[next - below_lo];
        found(t, value, next_value, pass.hi[slot], below_hi, n);
      }
    }
    // Every threshold of this pass is a measured point of the distribution: use all of them.
    for (int slot = 0; slot < pass.count && num_points + 2 <= kMaxMeasured; ++slot) {
      points[num_points++] = {pass.lo[slot], pass.below_lo[slot]};
      points[num_points++] = {pass.hi[slot], pass.below_hi[slot]};
    }
    for (int j = 0; j < num_targets; ++j) {
      if (targets[j].done) continue;
      for (int slot = 0; slot < pass.count; ++slot) {
        tighten(targets[j], pass.lo[slot], pass.below_lo[slot]);
        tighten(targets[j], pass.hi[slot], pass.below_hi[slot]);
      }
    }
  }
  for (int j = 0; j < num_targets; ++j) {
    const Target& t = targets[j];
    out[t.out_index] = static_cast<float>(numpy_lerp(t.value, t.next_value, gammas[j]));
  }
}

}  // namespace dpa::detail
