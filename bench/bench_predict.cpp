// One-row prediction with 500 trees of depth 6 on the 56 paper statistics: end to end (weights in,
// prediction out), the same trees in each flat layout (complete, sparse), and a plain
// node-by-node traversal of them, measured in the same run. Two ensembles: random trees nearly
// complete to depth 6 (the complete layout's best case), and 500 trees our trainer grows on the
// mini zoo (what a trained model looks like). scripts/bench-predict.sh turns the JSON into ratios.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "dpa/dpa.hpp"
#include "loaded_model.hpp"
#include "model/model_writer.hpp"
#include "support/model_builders.hpp"
#include "train/gbdt_trainer.hpp"
#include "zoo/zoo_dataset.hpp"
#include "zoo_like_weights.hpp"

namespace {

using dpa_bench::Loaded;

// 500 trees of depth 6 trained (learning rate 0.05, no early stopping) on the mini zoo's 400 rows,
// in both layouts, and those rows' statistics.
struct Trained {
  std::vector<std::vector<float>> features;
  std::unique_ptr<Loaded> complete, sparse;

  Trained() {
    const dpa::tools::ZooDataset zoo(DPA_SOURCE_DIR "/tools/data/mini-zoo");
    dpa::FeatureExtractor fx;
    std::vector<float> x, row(zoo.weights().cols());
    for (std::uint64_t r = 0; r < zoo.rows(); ++r) {
      features.emplace_back(56);
      fx.compute(zoo.weights().row(r, row.data()), row.size(), features.back().data(), 56);
      x.insert(x.end(), features.back().begin(), features.back().end());
    }
    dpa::tools::GbdtParams p;
    p.num_trees = 500;
    p.max_depth = 6;
    p.learning_rate = 0.05;
    p.early_stopping_rounds = 0;
    dpa::tools::ModelSpec spec;
    spec.features = dpa::tools::FeatureSpec::zoo(DPA_STATS_PAPER);
    spec.predictor =
        dpa::tools::train_gbdt({x.data(), zoo.rows(), 56}, zoo.metrics().test_accuracy, nullptr, nullptr, p).model;
    complete = std::make_unique<Loaded>(dpa_test::with_tree_layout(spec, dpa::tools::TreeLayout::complete));
    sparse = std::make_unique<Loaded>(dpa_test::with_tree_layout(spec, dpa::tools::TreeLayout::sparse));
  }
};

Trained& trained() {
  static Trained t;
  return t;
}

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

void trees_alone(benchmark::State& state, Loaded& m, const std::vector<std::vector<float>>& rows) {
  std::size_t i = 0;
  float p;
  for (auto _ : state) {
    const auto& x = rows[i++ % rows.size()];
    if (dpa_model_predict_features(&m.model, x.data(), x.size(), &p, m.scratch.data(), m.scratch.size()) != DPA_OK)
      std::abort();
    benchmark::DoNotOptimize(p);
  }
  state.counters["model_bytes"] = static_cast<double>(m.bytes.size);
}

void BM_TreesComplete_500Trees(benchmark::State& state) { trees_alone(state, *fixture().complete, fixture().features); }
BENCHMARK(BM_TreesComplete_500Trees);

void BM_TreesSparse_500Trees(benchmark::State& state) { trees_alone(state, *fixture().sparse, fixture().features); }
BENCHMARK(BM_TreesSparse_500Trees);

void BM_TrainedComplete_500Trees(benchmark::State& state) {
  trees_alone(state, *trained().complete, trained().features);
}
BENCHMARK(BM_TrainedComplete_500Trees);

void BM_TrainedSparse_500Trees(benchmark::State& state) { trees_alone(state, *trained().sparse, trained().features); }
BENCHMARK(BM_TrainedSparse_500Trees);

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
