// One-row prediction with 500 trees of depth 6 on the 56 paper statistics: end to end (weights in,
// prediction out), the flat trees alone, and a plain node-by-node traversal of the same trees,
// measured in the same run. scripts/bench-predict.sh turns the JSON into ratios.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "dpa/dpa.hpp"
#include "model/model_writer.hpp"
#include "support/model_builders.hpp"
#include "zoo_like_weights.hpp"

namespace {

struct Fixture {
  dpa::tools::ModelSpec spec;
  dpa_test::AlignedBytes bytes{{}};
  dpa_model model{};
  std::vector<std::vector<float>> weights;
  std::vector<std::vector<float>> features;
  std::vector<unsigned char> scratch;

  Fixture() {
    weights = dpa_bench::bench_weights(64);
    dpa::FeatureExtractor fx;
    for (const auto& w : weights) {
      features.emplace_back(56);
      fx.compute(w.data(), w.size(), features.back().data(), 56);
    }
    // Thresholds taken from the rows' own features: splits divide the data as trained trees do.
    std::mt19937 rng(500);
    spec = dpa_test::random_gbdt_spec(rng, 500, 6, DPA_STATS_PAPER, &features);
    bytes = dpa_test::AlignedBytes(dpa::tools::write_model(spec));
    if (dpa_model_load(bytes.data(), bytes.size, &model) != DPA_OK) std::abort();
    scratch.resize(dpa_model_scratch_size(&model));
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_PredictEndToEnd_500Trees(benchmark::State& state) {
  Fixture& f = fixture();
  std::size_t i = 0;
  float p;
  for (auto _ : state) {
    const auto& w = f.weights[i++ % f.weights.size()];
    benchmark::DoNotOptimize(dpa_model_predict(&f.model, w.data(), w.size(), &p, f.scratch.data(), f.scratch.size()));
  }
}
BENCHMARK(BM_PredictEndToEnd_500Trees);

void BM_TreesFlat_500Trees(benchmark::State& state) {
  Fixture& f = fixture();
  std::size_t i = 0;
  float p;
  for (auto _ : state) {
    const auto& x = f.features[i++ % f.features.size()];
    benchmark::DoNotOptimize(dpa_model_predict_features(&f.model, x.data(), x.size(), &p, nullptr, 0));
  }
}
BENCHMARK(BM_TreesFlat_500Trees);

void BM_TreesPointerChasing_500Trees(benchmark::State& state) {
  Fixture& f = fixture();
  const auto& g = std::get<dpa::tools::GbdtModel>(f.spec.predictor);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& x = f.features[i++ % f.features.size()];
    benchmark::DoNotOptimize(dpa::tools::reference_gbdt_score(g, x.data()));
  }
}
BENCHMARK(BM_TreesPointerChasing_500Trees);

}  // namespace

BENCHMARK_MAIN();
