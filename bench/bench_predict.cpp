// One-row prediction with 500 trees of depth 6 on the 56 paper statistics: end to end (weights in,
// prediction out), the same trees in each flat layout (complete, sparse), and a plain
// node-by-node traversal of them, measured in the same run. scripts/bench-predict.sh turns the
// JSON into ratios.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "dpa/dpa.hpp"
#include "model/model_writer.hpp"
#include "support/model_builders.hpp"
#include "zoo_like_weights.hpp"

namespace {

// One model file of the fixture's trees, loaded.
struct Loaded {
  dpa_test::AlignedBytes bytes{{}};
  dpa_model model{};
  std::vector<unsigned char> scratch;

  explicit Loaded(const dpa::tools::ModelSpec& spec) : bytes(dpa::tools::write_model(spec)) {
    if (dpa_model_load(bytes.data(), bytes.size, &model) != DPA_OK) std::abort();
    scratch.resize(dpa_model_scratch_size(&model));
  }
};

struct Fixture {
  dpa::tools::ModelSpec spec;
  std::vector<std::vector<float>> weights;
  std::vector<std::vector<float>> features;
  std::unique_ptr<Loaded> complete, sparse;

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
    complete = std::make_unique<Loaded>(dpa_test::with_tree_layout(spec, dpa::tools::TreeLayout::complete));
    sparse = std::make_unique<Loaded>(dpa_test::with_tree_layout(spec, dpa::tools::TreeLayout::sparse));
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// Weights in, prediction out: the statistics, then the trees in one layout.
void end_to_end(benchmark::State& state, Loaded& m) {
  Fixture& f = fixture();
  std::size_t i = 0;
  float p;
  for (auto _ : state) {
    const auto& w = f.weights[i++ % f.weights.size()];
    if (dpa_model_predict(&m.model, w.data(), w.size(), &p, m.scratch.data(), m.scratch.size()) != DPA_OK) std::abort();
    benchmark::DoNotOptimize(p);
  }
}

void BM_PredictEndToEndComplete_500Trees(benchmark::State& state) { end_to_end(state, *fixture().complete); }
BENCHMARK(BM_PredictEndToEndComplete_500Trees);

void BM_PredictEndToEndSparse_500Trees(benchmark::State& state) { end_to_end(state, *fixture().sparse); }
BENCHMARK(BM_PredictEndToEndSparse_500Trees);

void trees_alone(benchmark::State& state, Loaded& m) {
  Fixture& f = fixture();
  std::size_t i = 0;
  float p;
  for (auto _ : state) {
    const auto& x = f.features[i++ % f.features.size()];
    if (dpa_model_predict_features(&m.model, x.data(), x.size(), &p, m.scratch.data(), m.scratch.size()) != DPA_OK) std::abort();
    benchmark::DoNotOptimize(p);
  }
  state.counters["model_bytes"] = static_cast<double>(m.bytes.size);
}

void BM_TreesComplete_500Trees(benchmark::State& state) { trees_alone(state, *fixture().complete); }
BENCHMARK(BM_TreesComplete_500Trees);

void BM_TreesSparse_500Trees(benchmark::State& state) { trees_alone(state, *fixture().sparse); }
BENCHMARK(BM_TreesSparse_500Trees);

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
