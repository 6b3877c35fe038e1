// Trainers and metrics: known functions recovered, textbook metric values, and the whole
// train -> bytes -> runtime -> predict path.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "common/cli_args.hpp"
#include "common/errors.hpp"
#include "common/parallel.hpp"
#include "dpa/dpa.hpp"
#include "model/model_writer.hpp"
#include "support/model_builders.hpp"
#include "support/reference_stats.hpp"
#include "train/gbdt_trainer.hpp"
#include "train/linear_trainer.hpp"
#include "train/metrics.hpp"
#include "train/mlp_trainer.hpp"
#include "train/split_search.hpp"

using namespace dpa::tools;

TEST_CASE("metrics match hand-checked values") {
  // Perfect and reversed rankings; R2 of the mean predictor is 0.
  CHECK(kendall_tau_b({1, 2, 3, 4}, {10, 20, 30, 40}) == doctest::Approx(1.0));
  CHECK(kendall_tau_b({1, 2, 3, 4}, {4, 3, 2, 1}) == doctest::Approx(-1.0));
  // x = 1,2,3,4,5; y = 3,1,2,5,4: concordant 7, discordant 3 -> tau = 4/10.
  CHECK(kendall_tau_b({1, 2, 3, 4, 5}, {3, 1, 2, 5, 4}) == doctest::Approx(0.4));
  // With ties (scipy.stats.kendalltau([1,1,2,3],[1,2,2,3]) = 0.8).
  CHECK(kendall_tau_b({1, 1, 2, 3}, {1, 2, 2, 3}) == doctest::Approx(0.8));
  CHECK(r2_score({1, 2, 3, 4}, {2.5, 2.5, 2.5, 2.5}) == doctest::Approx(0.0));
  CHECK(r2_score({1, 2, 3, 4}, {1, 2, 3, 4}) == doctest::Approx(1.0));
  // residuals 0.5, -0.5, 0, 1: MSE 0.375, var 1.25 -> R2 0.7; MAE 0.5; RMSE sqrt(0.375).
  const RegressionMetrics m = evaluate({1, 2, 3, 4}, {0.5f, 2.5f, 3, 3});
  CHECK(m.r2 == doctest::Approx(0.7));
  CHECK(m.mae == doctest::Approx(0.5));
  CHECK(m.rmse == doctest::Approx(std::sqrt(0.375)));
  CHECK(m.n == 4);
  // O(n log n) tau-b equals the quadratic definition on random data with ties.
  std::mt19937 rng(4);
  std::uniform_int_distribution<int> small(0, 9);
  std::vector<float> a(300), b(300);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<float>(small(rng));
    b[i] = static_cast<float>(small(rng)) + 0.3f * a[i];
  }
  double con = 0, dis = 0, tx = 0, ty = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (std::size_t j = i + 1; j < a.size(); ++j) {
      const double s = (a[i] - a[j]) * (b[i] - b[j]);
      if (a[i] == a[j] && b[i] == b[j]) continue;
      if (a[i] == a[j]) ++tx;
      else if (b[i] == b[j]) ++ty;
      else if (s > 0) ++con;
      else ++dis;
    }
  }
  const double expected = (con - dis) / std::sqrt((con + dis + tx) * (con + dis + ty));
  CHECK(kendall_tau_b(a, b) == doctest::Approx(expected).epsilon(1e-12));
}

namespace {

struct Synthetic {
  std::vector<float> x, y;
  std::size_t rows, cols;
  MatrixView view() const { return {x.data(), rows, cols}; }
};

// y = f(x) on uniform features in [0, 1).
template <class F>
Synthetic synthetic(std::size_t rows, std::size_t cols, unsigned seed, F f) {
  Synthetic s{std::vector<float>(rows * cols), std::vector<float>(rows), rows, cols};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0, 1);
  for (float& v : s.x) v = u(rng);
  for (std::size_t r = 0; r < rows; ++r) s.y[r] = f(&s.x[r * cols]);
  return s;
}

std::vector<float> predict_gbdt(const GbdtModel& g, const Synthetic& s) {
  std::vector<float> p(s.rows);
  for (std::size_t r = 0; r < s.rows; ++r) p[r] = reference_gbdt_score(g, &s.x[r * s.cols]);
  return p;
}

}  // namespace

TEST_CASE("GBDT recovers a nonlinear function with interactions, deterministic for a seed") {
  auto f = [](const float* x) { return std::sin(3 * x[0]) + (x[1] > 0.5f ? x[2] : -x[2]) + 0.1f * x[3]; };
  const Synthetic train = synthetic(4000, 8, 1, f), valid = synthetic(1000, 8, 2, f), test = synthetic(2000, 8, 3, f);
  GbdtParams p;
  p.num_trees = 300;
  p.learning_rate = 0.1;
  p.threads = 2;
  const MatrixView vv = valid.view();
  const GbdtTraining t = train_gbdt(train.view(), train.y, &vv, &valid.y, p);
  const RegressionMetrics m = evaluate(test.y, predict_gbdt(t.model, test));
  CHECK(m.r2 > 0.97);
  CHECK(t.validation_rmse.size() >= static_cast<std::size_t>(t.best_iteration));
  p.threads = 1;  // the same trees whatever the thread count
  const GbdtTraining again = train_gbdt(train.view(), train.y, &vv, &valid.y, p);
  REQUIRE(again.model.trees.size() == t.model.trees.size());
  CHECK(predict_gbdt(again.model, test) == predict_gbdt(t.model, test));
  // Early stopping: with a tiny learning rate nothing stops; with noise-only targets it does.
  const Synthetic noise = synthetic(2000, 4, 5, [](const float*) { return 0.0f; });
  Synthetic noisy = noise;
  std::mt19937 rng(9);
  std::normal_distribution<float> eps(0, 1);
  for (float& v : noisy.y) v = eps(rng);
  const Synthetic noisy_valid = synthetic(500, 4, 6, [&](const float*) { return eps(rng); });
  const MatrixView nv = noisy_valid.view();
  p.early_stopping_rounds = 10;
  const GbdtTraining stopped = train_gbdt(noisy.view(), noisy.y, &nv, &noisy_valid.y, p);
  CHECK(stopped.model.trees.size() < 100);
}

// A generator handing out given draws, to ask the standard distribution about chosen values.
struct GivenDraws {
  using result_type = std::uint64_t;
  std::uint64_t next = 0;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }
  result_type operator()() { return next; }
};

TEST_CASE("GBDT samples: draws below sample_draw_bound are the rows uniform_real_distribution kept") {
  for (const double fraction : {0.8, 0.5, 0.1, 1.0 / 3, 0.999999}) {
    CAPTURE(fraction);
    const std::uint64_t bound = sample_draw_bound(fraction);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    GivenDraws given;
    int differing = 0;
    for (std::uint64_t d = bound - 5000; d != bound + 5000; ++d) {  // the rounding edge
      given.next = d;
      differing += (unit(given) < fraction) != (d < bound);
    }
    std::mt19937_64 a(7), b(7);
    for (int i = 0; i < 200000; ++i) differing += (unit(a) < fraction) != (b() < bound);
    CHECK(differing == 0);
  }
}

TEST_CASE("GBDT on wide data: the same trees on 1, 2 and 3 threads (parallel histograms, splits, partitions)") {
  // 12,000 rows x 160 features: large histograms (split by feature over the threads), split
  // finding in feature chunks (160 x 256 bins), row blocks for the score updates.
  auto f = [](const float* x) { return x[0] * x[1] + (x[17] > 0.3f ? 0.5f : 0.0f) - x[150]; };
  const Synthetic train = synthetic(12000, 160, 31, f), valid = synthetic(9000, 160, 32, f);
  const MatrixView vv = valid.view();
  GbdtParams p;
  p.num_trees = 15;
  p.learning_rate = 0.2;
  p.threads = 1;
  const GbdtTraining one = train_gbdt(train.view(), train.y, &vv, &valid.y, p);
  for (const unsigned threads : {2u, 3u}) {
    CAPTURE(threads);
    p.threads = threads;
    const GbdtTraining many = train_gbdt(train.view(), train.y, &vv, &valid.y, p);
    REQUIRE(many.model.trees.size() == one.model.trees.size());
    CHECK(many.validation_rmse == one.validation_rmse);
    for (std::size_t t = 0; t < one.model.trees.size(); ++t) {
      REQUIRE(many.model.trees[t].nodes.size() == one.model.trees[t].nodes.size());
      for (std::size_t k = 0; k < one.model.trees[t].nodes.size(); ++k) {
        const TreeNode& a = many.model.trees[t].nodes[k];
        const TreeNode& b = one.model.trees[t].nodes[k];
        CHECK((a.is_leaf == b.is_leaf && a.feature == b.feature && a.threshold == b.threshold && a.value == b.value));
      }
    }
  }
  CHECK(one.validation_rmse.back() < 0.8 * one.validation_rmse.front());  // it learns
}

TEST_CASE("GBDT: histograms built by column give the trees built by row, bit for bit") {
  // Nodes holding a large share of the rows are built feature by feature; the sums must be the
  // row-by-row ones in the same order. Row-major codes (43 features) and feature-major only (300),
  // with a feature of three values (every row adds to one of three cells), NaN in a feature, and
  // feature counts that leave a remainder after groups of four.
  for (const std::size_t cols : {std::size_t{43}, std::size_t{300}}) {
    CAPTURE(cols);
    auto f = [](const float* x) { return x[0] * x[1] + (x[17] > 0.3f ? 0.5f : 0.0f) - x[30]; };
    Synthetic train = synthetic(cols < 256 ? 9000 : 2500, cols, 41, f);
    for (std::size_t r = 0; r < train.rows; ++r) {
      float* x = &train.x[r * cols];
      x[3] = static_cast<float>(r % 3);
      if (r % 7 == 0) x[5] = std::numeric_limits<float>::quiet_NaN();
      train.y[r] += 0.1f * x[3] + (std::isnan(x[5]) ? 0.2f : 0.0f);
    }
    GbdtParams p;
    p.num_trees = 12;
    p.learning_rate = 0.2;
    for (const unsigned threads : {1u, 2u}) {
      CAPTURE(threads);
      p.threads = threads;
      p.column_histograms = true;
      const GbdtTraining by_column = train_gbdt(train.view(), train.y, nullptr, nullptr, p);
      p.column_histograms = false;
      const GbdtTraining by_row = train_gbdt(train.view(), train.y, nullptr, nullptr, p);
      REQUIRE(by_column.model.trees.size() == by_row.model.trees.size());
      std::size_t splits = 0;
      for (std::size_t t = 0; t < by_row.model.trees.size(); ++t) {
        REQUIRE(by_column.model.trees[t].nodes.size() == by_row.model.trees[t].nodes.size());
        for (std::size_t k = 0; k < by_row.model.trees[t].nodes.size(); ++k) {
          const TreeNode& a = by_column.model.trees[t].nodes[k];
          const TreeNode& b = by_row.model.trees[t].nodes[k];
          CHECK((a.is_leaf == b.is_leaf && a.feature == b.feature && a.threshold == b.threshold &&
                 std::memcmp(&a.value, &b.value, sizeof a.value) == 0));
          splits += !b.is_leaf;
        }
      }
      CHECK(splits > 12 * 30);  // deep trees: dense nodes below the root too
    }
  }
}

TEST_CASE("split search: ruling boundaries out chooses what computing every gain chooses, bit for bit") {
  // Random nodes of hostile kinds: empty bins (most of a deep node's), features that are copies
  // of one another (tied gains) or near copies (gains a relative 1e-13 to 1e-8 apart, around
  // the 1e-12 the rule asks: the screen's hardest case), bins that cancel, scales from
  // subnormal to 1e150, lambda and min_child_weight 0, a negative min_split_gain, NaN and
  // infinite sums. Each node is searched whole and from a middle feature on.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  const double scales[] = {1e-310, 1e-30, 1e-3, 1.0, 1e6, 1e150};
  std::size_t splits_found = 0, nodes = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    CAPTURE(trial);
    const std::size_t features = 1 + rng() % 9;
    const double scale = scales[rng() % 6];
    const double empty_share = (rng() % 4) / 4.0;
    std::vector<std::size_t> offset, boundaries;
    std::vector<std::uint32_t> ids;
    std::vector<HistBin> bins;
    double gradient = 0, hessian = 0;
    for (std::size_t f = 0; f < features; ++f) {
      offset.push_back(bins.size());
      ids.push_back(static_cast<std::uint32_t>(3 * f + 1));
      if (f > 0 && rng() % 2 == 0) {  // a copy or near copy of the feature before it
        boundaries.push_back(boundaries.back());
        const std::size_t from = offset[f - 1], count = boundaries.back() + 1;
        for (std::size_t b = 0; b < count; ++b) bins.push_back(bins[from + b]);
        if (rng() % 2 == 0)
          bins[offset[f] + rng() % count].gradient *= 1 + std::pow(10.0, -8.0 - 5.0 * std::abs(unit(rng)));
        continue;
      }
      boundaries.push_back(rng() % (kMaxBoundaries + 1));
      double g = 0, h = 0;
      for (std::size_t b = 0; b <= boundaries.back(); ++b) {
        HistBin cell{0.0, 0.0};
        if (std::abs(unit(rng)) >= empty_share) cell = {unit(rng) * scale, std::abs(unit(rng)) * scale};
        if (rng() % 50 == 0) cell.gradient = -cell.gradient;
        if (rng() % 400 == 0) cell.gradient = (rng() % 2) ? std::numeric_limits<double>::quiet_NaN() : INFINITY;
        bins.push_back(cell);
        g += cell.gradient;
        h += cell.hessian;
      }
      if (f == 0) gradient = g, hessian = h;
    }
    GbdtParams p;
    p.lambda = (rng() % 3 == 0) ? 0.0 : scale;
    p.min_child_weight = (rng() % 3 == 0) ? 0.0 : scale * 0.5;
    p.min_split_gain = (rng() % 5 == 0) ? -1.0 : 0.0;
    const NodeHistograms node{bins.data(), offset.data(), ids.data(), boundaries.data(), gradient, hessian};
    for (const std::size_t first : {std::size_t{0}, features / 2}) {
      const Split fast = find_best_split(node, p, first, features);
      const Split every = find_best_split_every_gain(node, p, first, features);
      REQUIRE(fast.valid == every.valid);
      CHECK(fast.feature == every.feature);
      CHECK(fast.bin == every.bin);
      CHECK(std::memcmp(&fast.gain, &every.gain, sizeof(double)) == 0);
      splits_found += every.valid;
      ++nodes;
    }
  }
  CHECK(splits_found > nodes / 2);  // the nodes mostly have a split to find
}

TEST_CASE("ridge recovers linear coefficients, logit link recovers a logistic curve") {
  const Synthetic lin = synthetic(3000, 5, 7, [](const float* x) { return 0.2f + 0.5f * x[0] - 0.3f * x[4]; });
  LinearParams p;
  p.logit_link = false;
  p.alpha = 1e-6;
  const LinearModel m = train_linear(lin.view(), lin.y, p);
  // Weights live on standardised features: weight * inv_scale = original slope.
  CHECK(m.weight[0] * m.inv_scale[0] == doctest::Approx(0.5).epsilon(1e-3));
  CHECK(m.weight[4] * m.inv_scale[4] == doctest::Approx(-0.3).epsilon(1e-3));
  CHECK(std::fabs(m.weight[2]) < 1e-3);
  const Synthetic logistic =
      synthetic(3000, 3, 8, [](const float* x) { return 1.0f / (1.0f + std::exp(-(4 * x[0] - 2))); });
  p.logit_link = true;
  const LinearModel l = train_linear(logistic.view(), logistic.y, p);
  CHECK(l.weight[0] * l.inv_scale[0] == doctest::Approx(4.0).epsilon(1e-2));
}

TEST_CASE("ridge with more features than rows (the dual form) equals the primal form") {
  // 30 rows of 40 features: dual. The same rows with the 40 features repeated as 80 rows:
  // primal, and the ridge solution of duplicated rows with doubled alpha is the same w.
  const Synthetic few = synthetic(30, 40, 21, [](const float* x) { return 0.3f * x[0] - 0.1f * x[7]; });
  Synthetic twice = few;
  twice.x.insert(twice.x.end(), few.x.begin(), few.x.end());
  twice.y.insert(twice.y.end(), few.y.begin(), few.y.end());
  twice.rows *= 2;
  LinearParams p;
  p.logit_link = false;
  p.alpha = 0.5;
  const LinearModel dual = train_linear(few.view(), few.y, p);
  p.alpha = 1.0;
  const LinearModel primal = train_linear(twice.view(), twice.y, p);
  REQUIRE(dual.weight.size() == 40);
  for (std::size_t c = 0; c < 40; ++c) CHECK(dual.weight[c] == doctest::Approx(primal.weight[c]).epsilon(1e-4));
  CHECK(dual.intercept == doctest::Approx(primal.intercept));
}

TEST_CASE("MLP learns a smooth function of the features") {
  auto f = [](const float* x) { return 0.2f + 0.6f * x[0] * x[1]; };
  const Synthetic train = synthetic(3000, 4, 11, f), valid = synthetic(500, 4, 12, f), test = synthetic(1000, 4, 13, f);
  MlpParams p;
  p.hidden = {16, 8};
  p.max_epochs = 60;
  p.learning_rate = 3e-3;
  const MatrixView vv = valid.view();
  const MlpModel m = train_mlp(train.view(), train.y, &vv, &valid.y, p);
  ModelSpec spec;
  spec.features.kind = DPA_FEATURES_RAW_WEIGHTS;
  spec.features.segments = {{0, 4, DPA_SEGMENT_KERNEL, 0}};
  spec.features.total_length = 4;
  spec.predictor = m;
  spec.transform = DPA_OUTPUT_SIGMOID;
  dpa_test::AlignedBytes bytes(write_model(spec));
  dpa_model model;
  REQUIRE(dpa_model_load(bytes.data(), bytes.size, &model) == DPA_OK);
  std::vector<float> predicted(test.rows);
  std::vector<unsigned char> scratch(dpa_model_scratch_size(&model));
  for (std::size_t r = 0; r < test.rows; ++r) {
    REQUIRE(dpa_model_predict(&model, &test.x[r * 4], 4, &predicted[r], scratch.data(), scratch.size()) == DPA_OK);
  }
  CHECK(evaluate(test.y, predicted).r2 > 0.9);
}

TEST_CASE("train -> bytes -> runtime: GBDT predictions equal the trainer's trees bit for bit") {
  auto f = [](const float* x) { return x[0] * x[0] + 0.2f * x[1]; };
  const Synthetic train = synthetic(2000, 6, 21, f);
  GbdtParams p;
  p.num_trees = 50;
  const GbdtTraining t = train_gbdt(train.view(), train.y, nullptr, nullptr, p);
  ModelSpec spec;
  spec.features.kind = DPA_FEATURES_RAW_WEIGHTS;
  spec.features.segments = {{0, 6, DPA_SEGMENT_KERNEL, 0}};
  spec.features.total_length = 6;
  spec.predictor = t.model;
  dpa_test::AlignedBytes bytes(write_model(spec));
  dpa_model model;
  REQUIRE(dpa_model_load(bytes.data(), bytes.size, &model) == DPA_OK);
  std::vector<unsigned char> scratch(dpa_model_scratch_size(&model));
  for (std::size_t r = 0; r < train.rows; r += 7) {
    float p_runtime;
    REQUIRE(dpa_model_predict(&model, &train.x[r * 6], 6, &p_runtime, scratch.data(), scratch.size()) == DPA_OK);
    CHECK(dpa_test::bits_of(p_runtime) == dpa_test::bits_of(reference_gbdt_score(t.model, &train.x[r * 6])));
  }
}

TEST_CASE("thread pool: every item once; the lowest failing item's exception, later items not started") {
  for (const unsigned threads : {1u, 3u}) {
    CAPTURE(threads);
    dpa::tools::ThreadPool pool(threads);
    std::vector<std::atomic<int>> seen(1000);
    pool.parallel_for(seen.size(), [&](std::size_t i) { ++seen[i]; });
    for (const auto& s : seen) CHECK(s.load() == 1);
    std::atomic<int> ran{0};
    CHECK_THROWS_WITH_AS(pool.parallel_for(100000,
                                           [&](std::size_t i) {
                                             ++ran;
                                             if (i == 7 || i == 9)
                                               throw dpa::tools::ToolError("item " + std::to_string(i));
                                           }),
                         "item 7", dpa::tools::ToolError);
    CHECK(ran.load() < 100000);  // a failure stops what has not started
    // The pool is usable again after a failure.
    std::atomic<int> after{0};
    pool.parallel_for(10, [&](std::size_t) { ++after; });
    CHECK(after.load() == 10);
  }
}

TEST_CASE("one-line option specs: values, flags and second spellings") {
  const std::vector<dpa::tools::OptionSpec> specs = dpa::tools::option_specs("-o|--output= --threads= --json");
  REQUIRE(specs.size() == 3);
  CHECK(specs[0].name == "-o");
  CHECK(specs[0].alias == "--output");
  CHECK(specs[0].takes_value);
  CHECK(specs[1].name == "--threads");
  CHECK(specs[1].alias.empty());
  CHECK(!specs[2].takes_value);
  const char* argv[] = {"dpa", "cmd", "--output=out.npy", "--json", "zoo", "--threads", "2"};
  const dpa::tools::Args args(7, const_cast<char**>(argv), 2, "-o|--output= --threads= --json");
  CHECK(*args.value("-o") == "out.npy");
  CHECK(args.flag("--json"));
  CHECK(args.threads() == 2);
  CHECK(args.positionals() == std::vector<std::string>{"zoo"});
  const char* bad[] = {"dpa", "cmd", "--jsn"};
  CHECK_THROWS_WITH_AS(dpa::tools::Args(3, const_cast<char**>(bad), 2, "--json"), "unknown option '--jsn'",
                       dpa::tools::UsageError);
}
