#include "sweep/in_sweep_replay.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <random>
#include <unordered_map>

#include "common/errors.hpp"
#include "common/parallel.hpp"
#include "common/text_format.hpp"
#include "sweep/sweep_runs.hpp"
#include "train/early_stop_report.hpp"
#include "zoo/feature_extraction.hpp"
#include "zoo/row_selection.hpp"
#include "zoo/stored_statistics.hpp"

namespace dpa::tools {

namespace {

// Order o: the first n of a Fisher-Yates shuffle of the runs, from the seed and o alone.
std::vector<std::size_t> order_of(std::size_t available, std::size_t n, std::uint64_t seed, std::uint32_t o) {
  std::vector<std::size_t> order(available);
  for (std::size_t i = 0; i < available; ++i) order[i] = i;
  std::mt19937_64 random(splitmix64(seed * 0x100000001B3ull + o));
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t j = i + static_cast<std::size_t>(random() % (available - i));
    std::swap(order[i], order[j]);
  }
  order.resize(n);
  return order;
}

struct LearnerOrder {
  RuleOutcome outcome;
  std::uint32_t fits = 0, decided = 0, predicted = 0, first_trusted = 0;
};

// One order under the learner at percentile p: each trial's checkpoints up to the step, the
// decision there, and the rest of a trial that goes on (which then finishes and is learnt from).
LearnerOrder learn_order(const ZooDataset& zoo, const SweepData& data, const std::vector<SweepData>& history,
                         const SweepColumns& c, const std::vector<std::size_t>& order, const InSweepOptions& o,
                         double p, std::uint32_t index) {
  SweepOptions so;
  so.percentile = p;
  so.startup = o.startup;
  so.audit = o.audit;
  so.seed = splitmix64(o.seed + index);
  // The epoch-1 replay measures the learner of finished trials, as documented (docs/sweep-learner.md);
  // the live schedule's learner is replayed by scripts/sweep-live-replay.py through the live code.
  so.partial_curves = false;

  SweepLearner learner(zoo.layout(), c.metrics, so);
  for (const SweepData& h : history) {
    for (const SweepRun& r : h.runs) learner.add_history(r.name, r.epochs, r.hyper, r.steps, r.statistics, r.metrics);
  }
  LearnerOrder out;
  out.outcome.rule = {Signal::kInSweep, RuleKind::kPercentile, p, -1};
  std::vector<ReplayRun> runs;
  std::vector<bool> stops;
  for (std::size_t t = 0; t < order.size(); ++t) {
    const SweepRun& r = data.runs[order[t]];
    runs.push_back(r.replay);
    bool stop = false;
    for (std::size_t k = 0; k < r.steps.size() && !stop; ++k) {
      const bool decide = r.steps[k] == o.step;
      const SweepDecision d =
          learner.report(r.name, r.steps[k], r.epochs, r.hyper, r.statistics[k], r.metrics[k], decide);
      if (!decide || !d.decided) continue;
      ++out.decided;
      if (d.predicted) {
        ++out.predicted;
        if (out.first_trusted == 0) out.first_trusted = static_cast<std::uint32_t>(t + 1);
      }
      stop = d.stop;
    }
    stops.push_back(stop);
  }
  tally(runs, stops, std::vector<double>(runs.size(), o.step), &out.outcome);
  out.fits = learner.state().fits;
  return out;
}

MeanSd mean_sd(const std::vector<double>& v) {
  MeanSd m;
  if (v.empty()) return {NAN, NAN};
  for (const double x : v) m.mean += x;
  m.mean /= static_cast<double>(v.size());
  for (const double x : v) m.sd += (x - m.mean) * (x - m.mean);
  m.sd = std::sqrt(m.sd / static_cast<double>(v.size()));
  return m;
}

template <typename F>
MeanSd over_orders(const std::vector<RuleOutcome>& orders, F value) {
  std::vector<double> v;
  for (const RuleOutcome& o : orders) v.push_back(value(o));
  return mean_sd(v);
}

// How the learner went over the orders at one percentile.
InSweepLearning summarize(double percentile, const std::vector<LearnerOrder>& orders) {
  InSweepLearning l;
  l.percentile = percentile;
  std::vector<double> fits, share, first;
  for (const LearnerOrder& x : orders) {
    fits.push_back(x.fits);
    share.push_back(x.decided ? static_cast<double>(x.predicted) / x.decided : 0.0);
    if (x.first_trusted > 0) first.push_back(x.first_trusted);
    else ++l.orders_never_trusted;
  }
  l.fits = mean_sd(fits);
  l.predicted_share = mean_sd(share);
  l.first_trusted_trial = mean_sd(first);
  return l;
}

std::vector<Rule> baseline_rules(const InSweepOptions& o, bool has_train_loss) {
  std::vector<Rule> rules;
  for (const double p : o.percentiles) {
    rules.push_back({Signal::kTestAccuracy, RuleKind::kPercentile, p, -1});
    if (has_train_loss) rules.push_back({Signal::kTrainLoss, RuleKind::kPercentile, p, -1});
  }
  for (const double eta : o.halving) rules.push_back({Signal::kSuccessiveHalving, RuleKind::kHalving, eta, -1});
  return rules;
}

}  // namespace

MeanSd InSweepRule::epochs_saved_share() const {
  return over_orders(orders, [](const RuleOutcome& o) { return o.epochs_saved_share(); });
}
MeanSd InSweepRule::best_runs_stopped() const {
  return over_orders(orders, [](const RuleOutcome& o) { return static_cast<double>(o.best_runs_stopped); });
}
MeanSd InSweepRule::regret() const {
  return over_orders(orders, [](const RuleOutcome& o) { return o.regret(); });
}
MeanSd InSweepRule::stopped() const {
  return over_orders(orders, [](const RuleOutcome& o) { return static_cast<double>(o.stopped); });
}

InSweepReport in_sweep_replay(const ZooDataset& zoo, const std::vector<const ZooDataset*>& history,
                              const InSweepOptions& o, const std::function<void(const std::string&)>& status) {
  const auto start = std::chrono::steady_clock::now();
  if (o.percentiles.empty()) throw UsageError("--in-sweep needs at least one --percentile");
  const SweepColumns c = columns_of(zoo.metrics());
  const SweepData data = load_runs(zoo, c, &o.step, o.threads);
  std::vector<SweepData> past;  // each zoo's runs point into its own buffers
  for (const ZooDataset* h : history) {
    check_same_segments(zoo.layout(), h->layout(), h->dir() + " (history)", "this sweep's");
    past.push_back(load_runs(*h, c, nullptr, o.threads));
    for (SweepRun& r : past.back().runs) r.name = h->dir() + "/" + r.name;
  }
  InSweepReport report;
  report.step = o.step;
  report.trials = o.trials;
  report.orders = o.orders;
  report.available_runs = static_cast<std::uint32_t>(data.runs.size());
  report.metrics = c.metrics;
  report.hyperparameters = c.hyperparameters;
  if (data.runs.size() < o.trials) {
    throw ToolError(zoo.dir() + ": " + std::to_string(data.runs.size()) + " finished runs have a checkpoint at step " +
                    std::to_string(o.step) + ", fewer than --trials " + std::to_string(o.trials));
  }
  const bool has_train_loss = std::find(c.metrics.begin(), c.metrics.end(), "train_loss") != c.metrics.end();
  for (const double p : o.percentiles) report.rules.push_back({{Signal::kInSweep, RuleKind::kPercentile, p, -1}, {}});
  for (const Rule& r : baseline_rules(o, has_train_loss)) report.rules.push_back({r, {}});
  for (InSweepRule& r : report.rules) r.orders.resize(o.orders, RuleOutcome{r.rule, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  std::vector<std::vector<LearnerOrder>> learned(o.percentiles.size(), std::vector<LearnerOrder>(o.orders));
  ThreadPool pool(std::max(1u, o.threads));
  std::atomic<std::uint32_t> done{0};
  std::mutex status_lock;
  pool.parallel_for(o.orders, [&](std::size_t i) {
    const auto index = static_cast<std::uint32_t>(i);
    const std::vector<std::size_t> order = order_of(data.runs.size(), o.trials, o.seed, index);
    std::vector<ReplayRun> runs;
    for (const std::size_t r : order) runs.push_back(data.runs[r].replay);
    for (std::size_t k = o.percentiles.size(); k < report.rules.size(); ++k)
      replay(runs, o.step, o.startup, &report.rules[k].orders[i]);
    for (std::size_t k = 0; k < o.percentiles.size(); ++k) {
      learned[k][i] = learn_order(zoo, data, past, c, order, o, o.percentiles[k], index);
      report.rules[k].orders[i] = learned[k][i].outcome;
    }
    const std::uint32_t finished = ++done;
    if (status) {
      const std::lock_guard<std::mutex> hold(status_lock);
      status("order " + std::to_string(finished) + "/" + std::to_string(o.orders) + " replayed (" +
             fixed(seconds_since(start), 1) + " s)");
    }
  });
  for (const SweepData& h : past) report.history_runs += static_cast<std::uint32_t>(h.runs.size());
  for (std::size_t k = 0; k < o.percentiles.size(); ++k)
    report.learning.push_back(summarize(o.percentiles[k], learned[k]));
  report.seconds = seconds_since(start);
  return report;
}

}  // namespace dpa::tools
