// What a model's inputs cost: (1) end-to-end prediction of 500 trees with 10 context values
// besides the 56 statistics, against the same trees on the statistics alone; (2) a 1024-segment
// layout predicted through a verified model (layout checked once, at load), against the same
// statistics with the layout checked on every call, as prediction did before format 2 (the check
// is quadratic for segments out of order, as here). scripts/bench-inputs.sh prints the ratios.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "dpa/dpa.hpp"
#include "loaded_model.hpp"
#include "model/model_writer.hpp"
#include "support/model_builders.hpp"
#include "zoo_like_weights.hpp"

namespace {

using dpa_bench::Loaded;

// 500 trees of depth 6 on the statistics; the context model reads 10 more values the trees
// never split on, so both walk the same trees and differ only in what handling inputs costs.
struct ContextFixture {
  std::vector<std::vector<float>> weights = dpa_bench::bench_weights(64);
  std::vector<float> context = {3, 0.01f, 1, 0.5f, 0.2f, 1e-4f, 0.3f, 2, 0.8f, 0.7f};
  Loaded weights_only, with_context;
  static dpa::tools::ModelSpec spec(bool context, const std::vector<std::vector<float>>& weights) {
    std::vector<std::vector<float>> features;
    dpa::FeatureExtractor fx;
    for (const auto& w : weights) {
      features.emplace_back(56);
      fx.compute(w.data(), w.size(), features.back().data(), 56);
    }
    std::mt19937 rng(500);  // the same trees for both models
    dpa::tools::ModelSpec s = dpa_test::random_gbdt_spec(rng, 500, 6, DPA_STATS_PAPER, &features);
    for (int i = 0; context && i < 10; ++i) {
      s.features.context.push_back({"context" + std::to_string(i),
                                    i == 2 ? DPA_CONTEXT_CATEGORICAL : DPA_CONTEXT_NUMERIC, DPA_CONTEXT_AS_IS,
                                    i == 2 ? std::vector<std::string>{"a", "b", "c"} : std::vector<std::string>{}});
    }
    return s;
  }
  ContextFixture() : weights_only(spec(false, weights)), with_context(spec(true, weights)) {}
};

ContextFixture& context_fixture() {
  static ContextFixture f;
  return f;
}

void predict_rows(benchmark::State& state, Loaded& l, const ContextFixture& f) {
  std::size_t i = 0;
  float p;
  for (auto _ : state) {
    const auto& w = f.weights[i++ % f.weights.size()];
    const dpa_inputs in{w.data(), w.size(), f.context.data(), l.model.num_context};
    benchmark::DoNotOptimize(dpa_model_predict_inputs(&l.model, &in, &p, l.scratch.data(), l.scratch.size()));
  }
}

void BM_Context_WeightsOnly_500Trees(benchmark::State& state) {
  predict_rows(state, context_fixture().weights_only, context_fixture());
}
BENCHMARK(BM_Context_WeightsOnly_500Trees);

void BM_Context_10Values_500Trees(benchmark::State& state) {
  predict_rows(state, context_fixture().with_context, context_fixture());
}
BENCHMARK(BM_Context_10Values_500Trees);

// 1024 segments of 16 floats, listed in descending order of offset; 50 trees of depth 6.
struct LayoutFixture {
  std::vector<dpa_segment> segments;
  std::vector<float> weights;
  dpa::tools::ModelSpec spec;
  std::unique_ptr<Loaded> loaded;
  LayoutFixture() {
    for (std::uint32_t s = 0; s < DPA_MAX_SEGMENTS; ++s) {
      segments.push_back({(DPA_MAX_SEGMENTS - 1 - s) * 16, 16, s % 2 ? DPA_SEGMENT_KERNEL : DPA_SEGMENT_BIAS, 0});
    }
    std::mt19937 rng(1024);
    weights = dpa_test::random_vector(rng, 16 * DPA_MAX_SEGMENTS, 0.1f);
    dpa::tools::FeatureSpec f;
    f.segments = segments;
    f.total_length = 16 * DPA_MAX_SEGMENTS;
    spec = dpa_test::random_gbdt_spec(rng, 50, 6, DPA_STATS_PAPER, nullptr, &f);
    loaded = std::make_unique<Loaded>(spec);
  }
};

LayoutFixture& layout_fixture() {
  static LayoutFixture f;
  return f;
}

void BM_Layout1024_CheckedEachCall(benchmark::State& state) {
  LayoutFixture& f = layout_fixture();
  const dpa_model& m = f.loaded->model;
  std::vector<float> features(m.num_features);
  unsigned char scratch[DPA_STATS_SCRATCH_MAX_BYTES];
  float p;
  for (auto _ : state) {
    dpa_stats_compute(&m.layout, DPA_STATS_PAPER, f.weights.data(), f.weights.size(), features.data(), features.size(),
                      scratch, sizeof scratch);
    benchmark::DoNotOptimize(dpa_model_predict_features(&m, features.data(), features.size(), &p, nullptr, 0));
  }
}
BENCHMARK(BM_Layout1024_CheckedEachCall);

void BM_Layout1024_Verified(benchmark::State& state) {
  LayoutFixture& f = layout_fixture();
  float p;
  for (auto _ : state) {
    benchmark::DoNotOptimize(dpa_model_predict(&f.loaded->model, f.weights.data(), f.weights.size(), &p,
                                               f.loaded->scratch.data(), f.loaded->scratch.size()));
  }
}
BENCHMARK(BM_Layout1024_Verified);

}  // namespace

BENCHMARK_MAIN();
