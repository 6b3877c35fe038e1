// Early-stopping rules replayed in run order: percentile rules, successive halving as Optuna's
// SuccessiveHalvingPruner promotes, the runtime's decisions, and what the outcomes count.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

#include "train/run_order_stops.hpp"
#include "train/stop_rules.hpp"

using namespace dpa::tools;

namespace {

// A run of 10 epochs with checkpoints 1, 2, 4, 8, 10 whose accuracy grows to `final`.
ReplayRun run(float at_step, float final, float loss = 1.0f) {
  ReplayRun r;
  r.final_accuracy = final;
  r.epochs = 10;
  r.steps = {1, 2, 4, 8, 10};
  r.test_accuracy = {at_step, (at_step + final) / 2, final - 0.01f, final, final};
  r.accuracy_at_step = at_step;
  r.predicted = final;  // a perfect predictor
  r.train_loss = loss;
  return r;
}

RuleOutcome replayed(const std::vector<ReplayRun>& runs, Rule rule, std::uint32_t startup = 0) {
  RuleOutcome out{rule, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  replay(runs, 1, startup, &out);
  return out;
}

}  // namespace

TEST_CASE("percentile: numpy's linear interpolation") {
  CHECK(percentile({1, 2, 3, 4}, 50) == doctest::Approx(2.5));
  CHECK(percentile({4, 1, 3, 2}, 75) == doctest::Approx(3.25));
  CHECK(percentile({7}, 90) == 7);
  CHECK(percentile({1, 2, 3, 4, 5}, 0) == 1);
  CHECK(percentile({1, 2, 3, 4, 5}, 100) == 5);
}

TEST_CASE("percentile rules stop a run below the p-th percentile of the runs before it, after the startup") {
  // Observed accuracies 0.5, 0.6, 0.7, 0.2, 0.9; finals in another order.
  const std::vector<ReplayRun> runs = {run(0.5f, 0.6f), run(0.6f, 0.7f), run(0.7f, 0.8f), run(0.2f, 0.3f),
                                       run(0.9f, 0.95f)};
  const RuleOutcome observed = replayed(runs, {Signal::kTestAccuracy, RuleKind::kPercentile, 50, -1}, 3);
  CHECK(observed.runs == 5);
  CHECK(observed.stopped == 1);  // 0.2 < median(0.5, 0.6, 0.7); the first three are the startup
  CHECK(observed.epochs_saved == doctest::Approx(9));
  CHECK(observed.epochs_all == doctest::Approx(50));
  CHECK(observed.mean_final_of_stopped() == doctest::Approx(0.3));
  // Without a startup the second run is judged against the first alone: 0.6 > 0.5, kept.
  CHECK(replayed(runs, {Signal::kTestAccuracy, RuleKind::kPercentile, 50, -1}, 0).stopped == 1);
  // The training loss: lower is better.
  std::vector<ReplayRun> losses = {run(0.5f, 0.6f, 1.0f), run(0.5f, 0.6f, 2.0f), run(0.5f, 0.6f, 0.5f)};
  CHECK(replayed(losses, {Signal::kTrainLoss, RuleKind::kPercentile, 50, -1}, 1).stopped == 1);
}

TEST_CASE("best runs stopped and regret") {
  // Ten runs; the best (final 0.9) looks worst at the step, so a rule on the observed accuracy
  // stops it: one best run stopped, regret 0.9 - 0.8.
  std::vector<ReplayRun> runs;
  for (int i = 0; i < 9; ++i)
    runs.push_back(run(0.5f + 0.01f * static_cast<float>(i), 0.4f + 0.05f * static_cast<float>(i)));
  runs.push_back(run(0.1f, 0.9f));
  const RuleOutcome o = replayed(runs, {Signal::kTestAccuracy, RuleKind::kBelow, 0.3, -1});
  CHECK(o.best_runs == 1);
  CHECK(o.best_runs_stopped == 1);
  CHECK(o.regret() == doctest::Approx(0.1).epsilon(1e-5));
  // The perfect predictor keeps it.
  CHECK(replayed(runs, {Signal::kModel, RuleKind::kPercentile, 50, -1}, 3).best_runs_stopped == 0);
}

TEST_CASE("successive halving promotes as Optuna's SuccessiveHalvingPruner") {
  // eta 2, rungs at steps 1, 2, 4, 8; a run goes on while it is at least the floor(n / 2)-th
  // best of the n values seen at the rung (the best while n < 2). Run 1 is alone at every rung.
  // Run 2 (0.4 at step 1, below run 1's 0.5) stops at step 1: 9 epochs saved. Run 3 leads at
  // step 1 (0.55 of 0.5, 0.4, 0.55: the best floor(3/2) = 1 is needed) and at step 2 (0.565 vs
  // 0.55), then trails at step 4 (0.57 vs 0.59): stopped there, 6 epochs saved.
  std::vector<ReplayRun> runs = {run(0.5f, 0.6f), run(0.4f, 0.9f), run(0.55f, 0.58f)};
  const RuleOutcome o = replayed(runs, {Signal::kSuccessiveHalving, RuleKind::kHalving, 2, -1});
  CHECK(o.stopped == 2);
  CHECK(o.epochs_saved == doctest::Approx(9 + 6));
  CHECK(o.regret() == doctest::Approx(0.9 - 0.6).epsilon(1e-5));
}

TEST_CASE("model threshold rules take the runtime's decisions as made") {
  std::vector<ReplayRun> runs = {run(0.5f, 0.6f), run(0.5f, 0.2f)};
  runs[0].runtime_stop = {0};
  runs[1].runtime_stop = {1};
  const RuleOutcome o = replayed(runs, {Signal::kModel, RuleKind::kBelow, 0.5, 0});
  CHECK(o.stopped == 1);
  CHECK(o.mean_final_of_stopped() == doctest::Approx(0.2));
}

TEST_CASE("run-order stops: the gap rule decides as one thread in run order would, whatever the threads do") {
  // predicted[run][check]; a run stops at its first check whose prediction is more than the gap
  // below the best that earlier runs predicted up to that check (or its own earlier ones).
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> quality(0.3f, 0.9f), noise(-0.03f, 0.03f);
  constexpr std::uint32_t kRuns = 40, kChecks = 4;
  const float gap = 0.1f;
  std::vector<std::vector<float>> predicted(kRuns, std::vector<float>(kChecks));
  for (auto& run : predicted) {
    const float q = quality(rng);
    for (float& p : run) p = q + noise(rng);
  }
  predicted[0].assign(kChecks, 0.88f);  // the first run sets the bar, and reports last (below)
  // The reference: every run in order, the best over runs < r at checks <= k.
  std::vector<int> expected(kRuns, -1);
  std::vector<std::vector<float>> best_up_to(kRuns, std::vector<float>(kChecks, -INFINITY));
  for (std::uint32_t r = 0; r < kRuns; ++r) {
    float own = -INFINITY;
    for (std::uint32_t k = 0; k < kChecks && expected[r] < 0; ++k) {
      float reference = own;
      for (std::uint32_t q = 0; q < r; ++q)
        reference = std::max(reference, best_up_to[q][std::min<std::uint32_t>(k, kChecks - 1)]);
      if (predicted[r][k] < reference - gap) expected[r] = static_cast<int>(k);
      own = std::max(own, predicted[r][k]);
      best_up_to[r][k] = own;
    }
    for (std::uint32_t k = 1; k < kChecks; ++k) best_up_to[r][k] = std::max(best_up_to[r][k], best_up_to[r][k - 1]);
  }
  REQUIRE(std::count(expected.begin(), expected.end(), -1) > 0);   // some runs go on
  REQUIRE(std::count(expected.begin(), expected.end(), -1) < 40);  // some stop
  for (const unsigned threads : {1u, 3u}) {
    CAPTURE(threads);
    dpa::tools::RunOrderStops stops(kRuns, kChecks, NAN, gap);
    std::vector<int> stopped(kRuns, -1);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
      // Thread t takes runs t, t + threads, ...: each waits only on runs another thread has begun.
      pool.emplace_back([&, t] {
        for (std::uint32_t r = t; r < kRuns; r += threads) {
          // Scrambled timing; the first run the slowest, so later runs must wait for its verdicts.
          std::this_thread::sleep_for(std::chrono::microseconds(r == 0 ? 3000 : (r * 37) % 200));
          for (std::uint32_t k = 0; k < kChecks; ++k) {
            dpa_early_stop state = stops.state_for(r, k);
            const dpa_decision d = dpa_early_stop_decide(&state, predicted[r][k]);
            stops.record(r, k, state, predicted[r][k]);
            if (d != DPA_CONTINUE) {
              stopped[r] = static_cast<int>(k);
              break;
            }
          }
          stops.finish(r);
        }
      });
    }
    for (std::thread& th : pool) th.join();
    CHECK(stopped == expected);
  }
}

TEST_CASE("rule names say what the rule does: the training loss is stopped when above") {
  CHECK(Rule{Signal::kTrainLoss, RuleKind::kPercentile, 25, -1}.name() ==
        "train_loss, top 25 % kept (above the p25 of earlier runs)");
  CHECK(Rule{Signal::kTestAccuracy, RuleKind::kPercentile, 25, -1}.name() ==
        "test_accuracy, top 25 % kept (below the p75 of earlier runs)");
  // Below the p-th percentile of -loss is above the (100-p)-th of the loss.
  std::vector<double> losses = {0.3, 0.9, 0.5, 1.4, 0.7}, negated;
  for (const double l : losses) negated.push_back(-l);
  CHECK(-percentile(negated, 75) == doctest::Approx(percentile(losses, 25)));
}
