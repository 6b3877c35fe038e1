// The same 500 trees of depth 6 on 56 features, one row at a time: XGBoost's own C API
// (XGBoosterPredictFromDense, Debian libxgboost-dev) against the runtime running the imported
// model, measured in the same run. scripts/bench-xgboost.sh turns the JSON into a ratio.
#include <benchmark/benchmark.h>
#include <xgboost/c_api.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "dpa/dpa.hpp"
#include "model/importers.hpp"
#include "model/model_writer.hpp"
#include "support/model_builders.hpp"
#include "zoo_like_weights.hpp"

namespace {

void check(int rc) {
  if (rc != 0) {
    std::fprintf(stderr, "xgboost: %s\n", XGBGetLastError());
    std::abort();
  }
}

// The imported trees in one layout, loaded.
struct Imported {
  dpa_test::AlignedBytes bytes{{}};
  dpa_model model{};
  std::vector<unsigned char> scratch;

  Imported(dpa::tools::ModelSpec spec, dpa::tools::TreeLayout layout) {
    std::get<dpa::tools::GbdtModel>(spec.predictor).layout = layout;
    bytes = dpa_test::AlignedBytes(dpa::tools::write_model(spec));
    if (dpa_model_load(bytes.data(), bytes.size, &model) != DPA_OK) std::abort();
    scratch.resize(dpa_model_scratch_size(&model));
  }
  float predict(const std::vector<float>& row) {
    float p = NAN;
    if (dpa_model_predict_features(&model, row.data(), row.size(), &p, scratch.data(), scratch.size()) != DPA_OK) {
      std::abort();
    }
    return p;
  }
};

struct Fixture {
  BoosterHandle booster = nullptr;
  std::vector<std::vector<float>> rows;
  std::unique_ptr<Imported> complete, sparse;
  std::vector<std::string> interfaces;  // one __array_interface__ per row, built once

  Fixture() {
    // Training rows: the paper statistics of zoo-shaped weight vectors, a smooth target.
    const auto weights = dpa_bench::zoo_like_weights(2000, 7);
    dpa::FeatureExtractor fx;
    std::vector<float> x, y;
    for (const auto& w : weights) {
      std::vector<float> f(56);
      fx.compute(w.data(), w.size(), f.data(), 56);
      x.insert(x.end(), f.begin(), f.end());
      y.push_back(0.5f + 0.3f * std::tanh(f[7 * 3 + 5] * 4 - 1) + 0.1f * f[7 * 5 + 2]);
      rows.push_back(f);
    }
    DMatrixHandle train;
    check(XGDMatrixCreateFromMat(x.data(), rows.size(), 56, NAN, &train));
    check(XGDMatrixSetFloatInfo(train, "label", y.data(), y.size()));
    check(XGBoosterCreate(&train, 1, &booster));
    check(XGBoosterSetParam(booster, "tree_method", "hist"));
    check(XGBoosterSetParam(booster, "max_depth", "6"));
    check(XGBoosterSetParam(booster, "eta", "0.05"));
    check(XGBoosterSetParam(booster, "nthread", "1"));
    for (int i = 0; i < 500; ++i) check(XGBoosterUpdateOneIter(booster, i, train));
    check(XGDMatrixFree(train));
    const std::string path = "/tmp/dpa-bench-xgboost-" + std::to_string(::getpid()) + ".json";
    check(XGBoosterSaveModel(booster, path.c_str()));
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::remove(path.c_str());
    const auto imported = dpa::tools::import_xgboost(text.str(), dpa::tools::FeatureSpec::zoo(DPA_STATS_PAPER));
    complete = std::make_unique<Imported>(imported.spec, dpa::tools::TreeLayout::complete);
    sparse = std::make_unique<Imported>(imported.spec, dpa::tools::TreeLayout::sparse);
    for (const auto& r : rows) {
      char buf[160];
      std::snprintf(buf, sizeof buf,
                    "{\"data\": [%llu, true], \"shape\": [1, 56], \"typestr\": \"<f4\", \"version\": 3}",
                    static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(r.data())));
      interfaces.push_back(buf);
    }
    // Both sides must compute the same thing before their speed is compared.
    for (std::size_t r = 0; r < 50; ++r) {
      const bst_ulong* shape;
      bst_ulong dim;
      const float* theirs;
      check(XGBoosterPredictFromDense(booster, interfaces[r].c_str(), config(), nullptr, &shape, &dim, &theirs));
      for (Imported* m : {complete.get(), sparse.get()}) {
        const float ours = m->predict(rows[r]);
        if (!(std::fabs(ours - theirs[0]) <= 1e-5f)) {
          std::fprintf(stderr, "row %zu: runtime %.9g, xgboost %.9g\n", r, ours, theirs[0]);
          std::abort();
        }
      }
    }
  }
  static const char* config() {
    return "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
           "\"strict_shape\": false, \"cache_id\": 0, \"missing\": NaN}";
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_XGBoosterPredictFromDense_OneRow(benchmark::State& state) {
  Fixture& f = fixture();
  std::size_t i = 0;
  const bst_ulong* shape;
  bst_ulong dim;
  const float* result;
  for (auto _ : state) {
    check(XGBoosterPredictFromDense(f.booster, f.interfaces[i++ % f.interfaces.size()].c_str(), Fixture::config(),
                                    nullptr, &shape, &dim, &result));
    benchmark::DoNotOptimize(result[0]);
  }
}
BENCHMARK(BM_XGBoosterPredictFromDense_OneRow);

void imported_trees(benchmark::State& state, Imported& m) {
  Fixture& f = fixture();
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(m.predict(f.rows[i++ % f.rows.size()]));
  state.counters["model_bytes"] = static_cast<double>(m.bytes.size);
}

void BM_DpaImportedCompleteTrees_OneRow(benchmark::State& state) { imported_trees(state, *fixture().complete); }
BENCHMARK(BM_DpaImportedCompleteTrees_OneRow);

void BM_DpaImportedSparseTrees_OneRow(benchmark::State& state) { imported_trees(state, *fixture().sparse); }
BENCHMARK(BM_DpaImportedSparseTrees_OneRow);

}  // namespace

BENCHMARK_MAIN();
