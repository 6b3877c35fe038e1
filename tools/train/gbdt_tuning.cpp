#include "train/gbdt_tuning.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <mutex>

#include "common/errors.hpp"
#include "common/parallel.hpp"
#include "train/metrics.hpp"

namespace dpa::tools {
namespace {

// Rows of the runs in inner fold `fold` (valid) and of the others (train), as dense matrices.
void fold_rows(const MatrixView& x, const std::vector<float>& y, const std::vector<std::uint32_t>& run_of_row,
               int folds, int fold, std::uint64_t seed, std::vector<float>& xt, std::vector<float>& yt,
               std::vector<float>& xv, std::vector<float>& yv) {
  xt.clear(), yt.clear(), xv.clear(), yv.clear();
  for (std::size_t r = 0; r < x.rows; ++r) {
    // splitmix64 of the run id and seed: a run's fold, whatever the row order.
    std::uint64_t h = (run_of_row[r] + 1) * 0x9e3779b97f4a7c15ull ^ seed;
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    h ^= h >> 31;
    const bool valid = static_cast<int>(h % static_cast<std::uint64_t>(folds)) == fold;
    (valid ? xv : xt).insert((valid ? xv : xt).end(), x.row(r), x.row(r) + x.cols);
    (valid ? yv : yt).push_back(y[r]);
  }
}

// The search grid: depth x learning rate x min_child_weight, each point early-stopped.
std::vector<GbdtTrial> grid(const GbdtParams& base) {
  std::vector<GbdtTrial> trials;
  for (int depth : {3, 4, 6}) {
    for (double rate : {0.03, 0.1}) {
      for (double child : {1.0, 5.0}) {
        GbdtParams p = base;
        p.max_depth = depth;
        p.learning_rate = rate;
        p.min_child_weight = child;
        p.num_trees = 3000;  // early stopping on the inner fold picks the rounds
        p.early_stopping_rounds = std::max(base.early_stopping_rounds, 50);
        p.threads = 1;  // grid points train in parallel instead; results do not depend on threads
        trials.push_back({p, 0, 0});
      }
    }
  }
  return trials;
}

// The inner folds' matrices, shared by every grid point.
struct InnerFolds {
  std::vector<std::vector<float>> xt, yt, xv, yv;
};

InnerFolds inner_folds(const MatrixView& x, const std::vector<float>& y, const std::vector<std::uint32_t>& run_of_row,
                       int folds, std::uint64_t seed) {
  const auto n = static_cast<std::size_t>(folds);
  InnerFolds f{std::vector<std::vector<float>>(n), std::vector<std::vector<float>>(n),
               std::vector<std::vector<float>>(n), std::vector<std::vector<float>>(n)};
  for (std::size_t k = 0; k < n; ++k) {
    fold_rows(x, y, run_of_row, folds, static_cast<int>(k), seed, f.xt[k], f.yt[k], f.xv[k], f.yv[k]);
    if (f.yt[k].empty() || f.yv[k].empty())
      throw ToolError("too few runs to tune by " + std::to_string(folds) + " inner folds");
  }
  return f;
}

// A grid point's mean validation RMSE, tau and rounds over the inner folds.
void score_trial(GbdtTrial& trial, const InnerFolds& f, std::size_t cols) {
  const auto folds = static_cast<double>(f.xt.size());
  for (std::size_t k = 0; k < f.xt.size(); ++k) {
    const MatrixView train{f.xt[k].data(), f.yt[k].size(), cols}, valid{f.xv[k].data(), f.yv[k].size(), cols};
    const GbdtTraining t = train_gbdt(train, f.yt[k], &valid, &f.yv[k], trial.params);
    trial.validation_rmse += t.validation_rmse[static_cast<std::size_t>(t.best_iteration - 1)] / folds;
    trial.rounds += static_cast<double>(t.best_iteration) / folds;
    std::vector<float> predicted(f.yv[k].size());
    for (std::size_t r = 0; r < predicted.size(); ++r) {
      predicted[r] = static_cast<float>(trial.params.loss->prediction(reference_gbdt_score(t.model, valid.row(r))));
    }
    trial.validation_tau += kendall_tau_b(f.yv[k], predicted) / folds;
  }
}

// Rank by RMSE (ascending) and by tau (descending); the lowest rank sum wins, then the lowest
// RMSE, then grid order: the same choice whatever the threads' timing.
std::size_t choose(const std::vector<GbdtTrial>& trials) {
  const std::size_t n = trials.size();
  std::vector<std::size_t> by_rmse(n), by_tau(n), rank_sum(n, 0);
  for (std::size_t i = 0; i < n; ++i) by_rmse[i] = by_tau[i] = i;
  std::stable_sort(by_rmse.begin(), by_rmse.end(),
                   [&](std::size_t a, std::size_t b) { return trials[a].validation_rmse < trials[b].validation_rmse; });
  std::stable_sort(by_tau.begin(), by_tau.end(),
                   [&](std::size_t a, std::size_t b) { return trials[a].validation_tau > trials[b].validation_tau; });
  for (std::size_t k = 0; k < n; ++k) {
    rank_sum[by_rmse[k]] += k;
    rank_sum[by_tau[k]] += k;
  }
  std::size_t chosen = 0;
  for (std::size_t i = 1; i < n; ++i) {
    if (rank_sum[i] < rank_sum[chosen] ||
        (rank_sum[i] == rank_sum[chosen] && trials[i].validation_rmse < trials[chosen].validation_rmse)) {
      chosen = i;
    }
  }
  return chosen;
}

}  // namespace

GbdtTuning tune_gbdt(const MatrixView& x, const std::vector<float>& y, const std::vector<std::uint32_t>& run_of_row,
                     const GbdtParams& base, int folds, const std::function<void(const std::string&)>& status) {
  if (folds < 2) throw UsageError("tuning needs at least 2 inner folds");
  GbdtTuning tuning;
  tuning.trials = grid(base);
  const InnerFolds inner = inner_folds(x, y, run_of_row, folds, base.seed);
  ThreadPool pool(std::max(1u, base.threads));
  std::mutex lock;
  std::size_t done = 0;
  pool.parallel_for(tuning.trials.size(), [&](std::size_t g) {
    score_trial(tuning.trials[g], inner, x.cols);
    std::lock_guard<std::mutex> guard(lock);
    if (status) status("tuning: " + std::to_string(++done) + "/" + std::to_string(tuning.trials.size()) + " settings");
  });
  const GbdtTrial* best = &tuning.trials[choose(tuning.trials)];
  tuning.best = best->params;
  // The inner models trained on (folds - 1) / folds of the runs; the final one sees them all.
  tuning.best.num_trees = std::max(1, static_cast<int>(std::lround(best->rounds * folds / (folds - 1))));
  tuning.best.early_stopping_rounds = 0;  // the rounds are chosen: no second guess on the few validation runs
  tuning.best.threads = base.threads;
  return tuning;
}

}  // namespace dpa::tools
