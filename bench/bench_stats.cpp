// The 56 paper statistics of one zoo weight vector: the runtime's kernels against a
// straightforward std::nth_element-over-a-copy implementation, measured in the same run.
// scripts/bench-stats.sh turns the JSON into ratios.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "dpa/dpa.hpp"
#include "stats/kernels.hpp"
#include "zoo_like_weights.hpp"

namespace {

const std::vector<std::vector<float>>& pool() {
  static const auto p = dpa_bench::bench_weights(64);
  return p;
}

// What one would write without thinking about speed: copy each segment, nth_element per rank.
void baseline_paper_stats(const float* w, float* out, std::vector<float>& copy) {
  const dpa_layout* zoo = dpa_zoo_layout();
  static const double kPercents[5] = {0, 25, 50, 75, 100};
  for (std::uint32_t s = 0; s < zoo->num_segments; ++s) {
    const dpa_segment& seg = zoo->segments[s];
    const std::size_t n = seg.length;
    copy.assign(w + seg.offset, w + seg.offset + n);
    for (int q = 0; q < 5; ++q) {
      const double h = (n - 1) * (kPercents[q] / 100.0);
      const std::size_t lo = static_cast<std::size_t>(h);
      const double g = h - lo;
      std::nth_element(copy.begin(), copy.begin() + lo, copy.end());
      const double a = copy[lo];
      const double b = lo + 1 < n ? *std::min_element(copy.begin() + lo + 1, copy.end()) : a;
      out[s * 7 + q] = static_cast<float>(a + (b - a) * g);
    }
    double sum = 0, sq = 0;
    for (std::size_t i = 0; i < n; ++i) sum += w[seg.offset + i];
    const double mean = sum / n;
    for (std::size_t i = 0; i < n; ++i) sq += (w[seg.offset + i] - mean) * (w[seg.offset + i] - mean);
    out[s * 7 + 5] = static_cast<float>(std::sqrt(sq / n));
    out[s * 7 + 6] = static_cast<float>(mean);
  }
}

void BM_StatsBaselineNthElement(benchmark::State& state) {
  std::vector<float> out(56), copy;
  std::size_t i = 0;
  for (auto _ : state) {
    baseline_paper_stats(pool()[i++ % pool().size()].data(), out.data(), copy);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_StatsBaselineNthElement);

void stats_with(benchmark::State& state, dpa_kernel kernel, dpa_stats_set set) {
  if (!dpa_kernel_available(kernel)) {
    state.SkipWithError("kernel not available on this CPU");
    return;
  }
  dpa::FeatureExtractor fx(dpa::zoo_layout(), set, kernel);
  std::vector<float> out(fx.feature_count());
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& w = pool()[i++ % pool().size()];
    benchmark::DoNotOptimize(fx.compute(w.data(), w.size(), out.data(), out.size()));
  }
}

// A floor for exact selection by counting, with the best kernel: per segment the moments pass and
// one pass counting below the two ends of three brackets (q25, q50, q75) and collecting between
// them, as if the first guess always held every quartile; no sorting and no selection logic.
// The statistics cannot cost less this way; the ratio of BM_Stats/auto/paper to this is what a
// better guess, or less overhead, could still gain.
void BM_StatsFloorOnePass(benchmark::State& state) {
  const dpa_layout* zoo = dpa_zoo_layout();
  const dpa::detail::KernelTable* k = dpa::detail::kernels_for(DPA_KERNEL_AUTO);
  // Slack past the capacity for the kernels' whole-vector stores (kMaxLanes depends on the
  // runtime's build flags, which this file does not share).
  std::vector<float> collected(3 * 64 + 64);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& w = pool()[i++ % pool().size()];
    for (std::uint32_t s = 0; s < zoo->num_segments; ++s) {
      const dpa_segment& seg = zoo->segments[s];
      dpa::detail::Moments m;
      k->moments(w.data() + seg.offset, seg.length, &m);
      if (seg.length <= 64) continue;  // sorted whole instead
      const double mean = m.mean(seg.length), spread = std::sqrt(m.variance(seg.length));
      dpa::detail::BracketPass pass{};
      pass.count = 3;
      const double z[3] = {-0.6745, 0.0, 0.6745};
      for (int j = 0; j < 3; ++j) {
        pass.lo[j] = static_cast<float>(mean + (z[j] - 0.02) * spread);
        pass.hi[j] = static_cast<float>(mean + (z[j] + 0.02) * spread);
      }
      pass.collected = collected.data();
      pass.capacity = 3 * 64;
      k->bracket(w.data() + seg.offset, seg.length, &pass);
      benchmark::DoNotOptimize(pass.collected_count);
    }
  }
}
BENCHMARK(BM_StatsFloorOnePass);

// Every kernel the runtime lists, with the paper set; the best one with every set.
const bool registered = [] {
  for (std::uint32_t i = 0; i < dpa_kernel_count(); ++i) {
    const dpa_kernel k = dpa_kernel_at(i);
    benchmark::RegisterBenchmark((std::string("BM_StatsPaper/") + dpa_kernel_name(k)).c_str(),
                                 [k](benchmark::State& s) { stats_with(s, k, DPA_STATS_PAPER); });
  }
  for (std::uint32_t i = 0; i < dpa_stats_set_count(); ++i) {
    const auto set = static_cast<dpa_stats_set>(dpa_stats_set_at(i));
    benchmark::RegisterBenchmark((std::string("BM_Stats/auto/") + dpa_stats_set_name(set)).c_str(),
                                 [set](benchmark::State& s) { stats_with(s, DPA_KERNEL_AUTO, set); });
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
