#include "train/stop_rules.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

namespace dpa::tools {

const char* signal_name(Signal s) {
  switch (s) {
    case Signal::kModel: return "model";
    case Signal::kTestAccuracy: return "test_accuracy";
    case Signal::kTrainLoss: return "train_loss";
    case Signal::kSuccessiveHalving: return "successive_halving";
    case Signal::kInSweep: return "in_sweep";
  }
  return "?";
}

const char* rule_kind_name(RuleKind r) {
  switch (r) {
    case RuleKind::kBelow: return "below";
    case RuleKind::kGap: return "gap";
    case RuleKind::kPercentile: return "percentile";
    case RuleKind::kHalving: return "halving";
  }
  return "?";
}

std::string Rule::name() const {
  char buf[128];
  switch (kind) {
    case RuleKind::kBelow: std::snprintf(buf, sizeof buf, "%s < %.2f", signal_name(signal), value); break;
    case RuleKind::kGap:
      std::snprintf(buf, sizeof buf, "%s %.2f under the best so far", signal_name(signal), value);
      break;
    case RuleKind::kPercentile:
      // Optuna's meaning: the top `value` % kept, so the ones below the (100 - value)-th percentile
      // stopped. The loss is ranked negated: below the p-th percentile of -loss is above the
      // (100-p)-th of the loss.
      if (signal == Signal::kTrainLoss) {
        std::snprintf(buf, sizeof buf, "train_loss, top %g %% kept (above the p%g of earlier runs)", value, value);
      } else {
        std::snprintf(buf, sizeof buf, "%s, top %g %% kept (below the p%g of earlier runs)", signal_name(signal), value,
                      100 - value);
      }
      break;
    case RuleKind::kHalving: std::snprintf(buf, sizeof buf, "successive halving, eta %g", value); break;
  }
  return buf;
}

double RuleOutcome::mean_final_of_stopped() const {
  return stopped ? final_of_stopped_sum / static_cast<double>(stopped) : NAN;
}

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return percentile_of_sorted(values, p);
}

double percentile_of_sorted(const std::vector<double>& sorted, double p) {
  const double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(rank));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (rank - static_cast<double>(below));
}

namespace {

double score_at_step(const ReplayRun& r, Signal s) {
  switch (s) {
    case Signal::kModel: return r.predicted;
    case Signal::kTestAccuracy: return r.accuracy_at_step;
    case Signal::kTrainLoss: return -static_cast<double>(r.train_loss);
    case Signal::kSuccessiveHalving:
    case Signal::kInSweep: break;
  }
  return NAN;
}

// Accuracy of a run at the first of its checkpoints >= step, or NaN when it has none.
float accuracy_from(const ReplayRun& r, std::uint32_t step, std::uint32_t* at) {
  for (std::size_t i = 0; i < r.steps.size(); ++i) {
    if (r.steps[i] >= step) {
      *at = r.steps[i];
      return r.test_accuracy[i];
    }
  }
  return NAN;
}

// Optuna's SuccessiveHalvingPruner promotion test: among the values seen at this rung (this one
// included), best first, the run goes on when it is at least the (n / eta)-th best (the best
// while fewer than eta runs reached the rung).
// rung: the values seen, kept sorted best first (one insertion per run, not a sort: a search of
// 30,000 runs replays in milliseconds).
bool promotable(std::vector<double>& rung, double value, double eta) {
  rung.insert(std::upper_bound(rung.begin(), rung.end(), value, std::greater<double>()), value);
  long index = static_cast<long>(std::floor(static_cast<double>(rung.size()) / eta)) - 1;
  if (index < 0) index = 0;
  return value >= rung[static_cast<std::size_t>(index)];
}

// Successive halving: rungs at step, step * eta, step * eta^2, ... (the first checkpoint at or
// after each); does the run miss a promotion, and at which checkpoint?
bool halving_stops(const ReplayRun& r, std::uint32_t step, double eta, std::vector<std::vector<double>>& rungs,
                   double* stopped_at) {
  double rung_step = std::max<double>(step, 1);
  for (std::size_t k = 0; k < rungs.size() && rung_step < r.epochs; ++k, rung_step *= eta) {
    std::uint32_t at = 0;
    const float accuracy = accuracy_from(r, static_cast<std::uint32_t>(std::ceil(rung_step)), &at);
    if (std::isnan(accuracy) || at >= r.epochs) break;
    if (!promotable(rungs[k], accuracy, eta)) {
      *stopped_at = at;
      return true;
    }
  }
  return false;
}

}  // namespace

void tally(const std::vector<ReplayRun>& runs, const std::vector<bool>& stop, const std::vector<double>& stopped_at,
           RuleOutcome* out) {
  if (runs.empty()) return;
  std::vector<float> sorted;
  for (const ReplayRun& r : runs) sorted.push_back(r.final_accuracy);
  std::sort(sorted.begin(), sorted.end());
  const std::size_t best_count = std::max<std::size_t>(1, sorted.size() / 10);
  const float best_cut = sorted[sorted.size() - best_count];
  const float best_overall = sorted.back();
  double best_kept = -INFINITY;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const ReplayRun& r = runs[i];
    ++out->runs;
    out->epochs_all += r.epochs;
    const bool best = r.final_accuracy >= best_cut;
    out->best_runs += best;
    if (stop[i]) {
      ++out->stopped;
      out->epochs_saved += r.epochs - stopped_at[i];
      out->best_runs_stopped += best;
      out->final_of_stopped_sum += r.final_accuracy;
    } else {
      best_kept = std::max<double>(best_kept, r.final_accuracy);
    }
  }
  out->regret_sum += best_overall - (std::isinf(best_kept) ? 0.0 : best_kept);
  ++out->replays;
}

void replay(const std::vector<ReplayRun>& runs, std::uint32_t step, std::uint32_t startup, RuleOutcome* out) {
  if (runs.empty()) return;
  std::vector<bool> stops(runs.size(), false);
  std::vector<double> stopped_at(runs.size(), step);
  std::vector<double> seen;                    // scores of earlier runs at the step, ascending
  std::vector<std::vector<double>> rungs(32);  // successive halving: values seen per rung, best first
  double best_score = -INFINITY;
  const Rule& rule = out->rule;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const ReplayRun& r = runs[i];
    bool stop = false;
    if (rule.kind == RuleKind::kHalving) {
      stop = halving_stops(r, step, rule.value, rungs, &stopped_at[i]);
    } else if (rule.signal == Signal::kModel && rule.kind != RuleKind::kPercentile) {
      // The runtime's own decision, made in run order.
      stop = r.runtime_stop[static_cast<std::size_t>(rule.runtime_index)] != 0;
    } else {
      const double score = score_at_step(r, rule.signal);
      if (rule.kind == RuleKind::kBelow) {
        stop = score < rule.value;
      } else if (rule.kind == RuleKind::kGap) {
        stop = score < best_score - rule.value;
      } else if (!seen.empty() && seen.size() >= startup) {           // the first run has nothing to compare with
        stop = score < percentile_of_sorted(seen, 100 - rule.value);  // the top rule.value % kept
      }
      seen.insert(std::upper_bound(seen.begin(), seen.end(), score), score);
      best_score = std::max(best_score, score);
    }
    stops[i] = stop;
  }
  tally(runs, stops, stopped_at, out);
}

}  // namespace dpa::tools
