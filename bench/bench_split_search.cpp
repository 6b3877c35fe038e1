// The GBDT split search (train/split_search) on nodes the size of the sweep learner's: 54
// features of 256 bins, 1,600, 400 and 100 rows (a fit's root and its deeper nodes), one feature
// carrying the signal. The screened search that ships against the scan that computes every gain,
// which it matches bit for bit. scripts/bench-split-search.sh prints the ratios.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "train/split_search.hpp"

namespace {

using dpa::tools::HistBin;
using dpa::tools::NodeHistograms;

struct Node {
  std::vector<HistBin> bins;
  std::vector<std::size_t> offset, boundaries;
  std::vector<std::uint32_t> features;
  double gradient = 0, hessian = 0;
  NodeHistograms view() const {
    return {bins.data(), offset.data(), features.data(), boundaries.data(), gradient, hessian};
  }
};

// Each row falls in a random bin of every feature; its gradient is noise plus a step in the
// bin of feature 7, as a residual that one feature explains.
Node node_of(std::size_t rows) {
  constexpr std::size_t kFeatures = 54, kBins = 256;
  Node n;
  n.bins.assign(kFeatures * kBins, HistBin{0.0, 0.0});
  for (std::size_t f = 0; f < kFeatures; ++f) {
    n.offset.push_back(f * kBins);
    n.boundaries.push_back(kBins - 1);
    n.features.push_back(static_cast<std::uint32_t>(f));
  }
  std::mt19937_64 rng(rows);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<std::size_t> code(kFeatures);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t f = 0; f < kFeatures; ++f) code[f] = rng() % kBins;
    const double g = noise(rng) + (code[7] < 100 ? 0.8 : -0.5);
    for (std::size_t f = 0; f < kFeatures; ++f) {
      n.bins[f * kBins + code[f]].gradient += g;
      n.bins[f * kBins + code[f]].hessian += 1.0;
    }
    n.gradient += g;
    n.hessian += 1.0;
  }
  return n;
}

using Search = dpa::tools::Split (*)(const NodeHistograms&, const dpa::tools::GbdtParams&, std::size_t, std::size_t);

void search_node(benchmark::State& state, std::size_t rows, Search search) {
  const Node n = node_of(rows);
  const NodeHistograms view = n.view();
  const dpa::tools::GbdtParams p;
  for (auto _ : state) {
    const dpa::tools::Split s = search(view, p, 0, n.features.size());
    benchmark::DoNotOptimize(s);
  }
  if (search(view, p, 0, n.features.size()).feature != 7) state.SkipWithError("the signal's feature not chosen");
}

void BM_Rows1600_EveryGain(benchmark::State& s) { search_node(s, 1600, dpa::tools::find_best_split_every_gain); }
void BM_Rows1600_Screened(benchmark::State& s) { search_node(s, 1600, dpa::tools::find_best_split); }
void BM_Rows400_EveryGain(benchmark::State& s) { search_node(s, 400, dpa::tools::find_best_split_every_gain); }
void BM_Rows400_Screened(benchmark::State& s) { search_node(s, 400, dpa::tools::find_best_split); }
void BM_Rows100_EveryGain(benchmark::State& s) { search_node(s, 100, dpa::tools::find_best_split_every_gain); }
void BM_Rows100_Screened(benchmark::State& s) { search_node(s, 100, dpa::tools::find_best_split); }
BENCHMARK(BM_Rows1600_EveryGain);
BENCHMARK(BM_Rows1600_Screened);
BENCHMARK(BM_Rows400_EveryGain);
BENCHMARK(BM_Rows400_Screened);
BENCHMARK(BM_Rows100_EveryGain);
BENCHMARK(BM_Rows100_Screened);

}  // namespace

BENCHMARK_MAIN();
