#include "sweep/sweep_learner.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "common/errors.hpp"
#include "dpa/dpa.hpp"
#include "model/model_file.hpp"
#include "model/model_writer.hpp"
#include "train/metrics.hpp"
#include "train/stop_rules.hpp"
#include "zoo/row_selection.hpp"
#include "zoo/stored_statistics.hpp"

namespace dpa::tools {

GbdtParams SweepOptions::default_gbdt() {
  // Small data (tens to hundreds of trials): shallow trees, a fixed number of them (no rows to
  // spare for early stopping); refit often, so cheap.
  GbdtParams p;
  p.num_trees = 150;
  p.max_depth = 4;
  p.learning_rate = 0.08;
  p.early_stopping_rounds = 0;
  return p;
}

void check_sweep_options(const SweepOptions& options) {
  if (!(options.percentile >= 0 && options.percentile <= 100)) throw UsageError("percentile must be in [0, 100]");
  if (!(options.audit >= 0 && options.audit <= 1)) throw UsageError("audit must be a fraction in [0, 1]");
}

namespace {

// A missing numeric hyperparameter: finite (the runtime refuses NaN), below every real value.
constexpr float kMissing = -3.0e38f;

struct Checkpoint {
  std::uint32_t step = 0;
  std::vector<float> statistics;  // the paper set, per segment
  std::vector<float> metrics;     // the learner's metrics, the observed one first
  bool finite = true;             // statistics and metrics all finite
  // The score by the model of that version (0: none yet), cached.
  mutable float predicted = NAN;
  mutable std::uint32_t predicted_version = 0;
};

struct Trial {
  std::string name;
  std::uint32_t epochs = 0;
  SweepHyper hyper;
  bool history = false, finished = false, stopped = false, audit = false;
  bool imputed = false;  // final_value imputed from its last checkpoint (a trial that did not finish)
  float final_value = NAN;
  std::vector<Checkpoint> checkpoints;
};

// Which hyperparameters a fitted model reads, and how (from the trials it was fit on).
struct Schema {
  std::vector<std::string> names;  // without "config."
  std::vector<bool> categorical;
  std::vector<std::vector<std::string>> categories;  // sorted
};

struct Fitted {
  std::uint32_t version = 0;
  Schema schema;
  std::unique_ptr<ModelFile> model;
  std::vector<unsigned char> bytes;
  std::map<std::uint32_t, float> blend;  // trusted steps: the predictor's weight in the score
  std::map<std::uint32_t, double> tau_model, tau_observed;
  std::uint32_t trials = 0;
  std::uint64_t rows = 0, fit_rows = 0;  // checkpoints, and those trained on (thinned to a budget)
  // The out-of-fold prediction of each checkpoint (by step) of the trials it was fit on.
  std::unordered_map<std::string, std::map<std::uint32_t, float>> out_of_fold;
};

float blend(float observed, float predicted, float w) { return observed + w * (predicted - observed); }

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Lowers the calling thread's priority (Linux: the policy and nice value are per thread; threads
// it starts inherit them); elsewhere a no-op. A refusal leaves the caller's priority.
void lower_this_threads_priority(SweepRefitPriority priority) {
#ifdef __linux__
  if (priority == SweepRefitPriority::kIdle) {
    const sched_param none{};
    pthread_setschedparam(pthread_self(), SCHED_IDLE, &none);
  } else if (priority == SweepRefitPriority::kLow) {
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 19);
  }
#else
  (void)priority;
#endif
}

std::uint64_t name_hash(const std::string& name, std::uint64_t seed) {
  return splitmix64(fnv1a(name, kFnvOffsetBasis ^ splitmix64(seed)));
}

Schema schema_of(const std::vector<Trial>& trials) {
  std::map<std::string, std::set<std::string>> categories;
  std::map<std::string, bool> categorical;
  for (const Trial& t : trials) {
    for (const auto& [name, value] : t.hyper) {
      categorical[name] = categorical[name] || value.categorical;
      if (value.categorical) categories[name].insert(value.category);
    }
  }
  Schema s;
  for (const auto& [name, is_categorical] : categorical) {
    s.names.push_back(name);
    s.categorical.push_back(is_categorical);
    s.categories.emplace_back(categories[name].begin(), categories[name].end());
  }
  return s;
}

float hyper_feature(const Schema& s, std::size_t i, const SweepHyper& hyper) {
  const auto it = hyper.find(s.names[i]);
  const std::vector<std::string>& cats = s.categories[i];
  if (s.categorical[i]) {
    // The runtime's code: a category's index, the count for one never seen (or missing).
    if (it == hyper.end() || !it->second.categorical) return static_cast<float>(cats.size());
    const auto at = std::lower_bound(cats.begin(), cats.end(), it->second.category);
    return static_cast<float>(at != cats.end() && *at == it->second.category ? at - cats.begin() : cats.size());
  }
  return it == hyper.end() || it->second.categorical ? kMissing : it->second.number;
}

void append_features(const Schema& s, const Trial& t, const Checkpoint& c, std::vector<float>& out) {
  out.insert(out.end(), c.statistics.begin(), c.statistics.end());
  out.push_back(static_cast<float>(c.step));
  out.insert(out.end(), c.metrics.begin(), c.metrics.end());
  for (std::size_t i = 0; i < s.names.size(); ++i) out.push_back(hyper_feature(s, i, t.hyper));
}

}  // namespace

struct SweepLearner::Impl {
  std::vector<dpa_segment> segments;
  dpa_layout layout{};
  std::vector<std::uint32_t> paper;  // the paper set's statistics among the stored ones
  std::uint32_t stored_per_segment = 0;
  std::vector<std::string> metrics;
  SweepOptions options;

  mutable std::mutex lock;
  std::vector<Trial> trials;
  std::unordered_map<std::string, std::size_t> index;
  std::map<std::uint32_t, std::vector<std::pair<std::size_t, std::size_t>>> by_step;  // (trial, checkpoint)
  std::shared_ptr<const Fitted> fitted;
  std::uint32_t finished = 0, next_fit_at = 0, fits = 0;
  bool fitting = false;
  bool due_while_fitting = false;  // the next refit came due while one ran
  std::vector<SweepRefit> refits;
  std::thread worker;
  std::condition_variable fit_done;

  std::uint64_t hash_of(const std::string& name, std::uint64_t seed) const {
    const std::size_t slash = options.hash_trial_number ? name.rfind('/') : std::string::npos;
    return name_hash(slash == std::string::npos ? name : name.substr(slash + 1), seed);
  }

  bool has_step(std::size_t trial, std::uint32_t step) const {
    const std::vector<Checkpoint>& c = trials[trial].checkpoints;
    return std::any_of(c.begin(), c.end(), [&](const Checkpoint& k) { return k.step == step; });
  }

  std::size_t trial_named(const std::string& name, std::uint32_t epochs, const SweepHyper& hyper) {
    const auto [it, inserted] = index.emplace(name, trials.size());
    if (inserted) {
      Trial t;
      t.name = name;
      t.epochs = epochs;
      t.hyper = hyper;
      t.audit = options.audit > 0 &&
                static_cast<double>(hash_of(name, options.seed ^ 0xA0D17ull) >> 11) * 0x1.0p-53 < options.audit;
      trials.push_back(std::move(t));
    }
    return it->second;
  }

  Checkpoint checkpoint_of(std::uint32_t step, const float* statistics, const float* metric_values) const {
    Checkpoint c;
    c.step = step;
    c.statistics.resize(paper.size() * layout.num_segments);
    c.finite = select_statistics(statistics, layout.num_segments, stored_per_segment, paper, c.statistics.data());
    c.metrics.assign(metric_values, metric_values + metrics.size());
    for (const float v : c.metrics) c.finite &= std::isfinite(v);
    return c;
  }

  ModelSpec spec_of(const Schema& s, GbdtModel gbdt) const {
    ModelSpec spec;
    spec.features.weights = true;
    spec.features.kind = DPA_FEATURES_STATISTICS;
    spec.features.stats_set = DPA_STATS_PAPER;
    spec.features.segments = segments;
    spec.features.total_length = layout.total_length;
    spec.features.context.push_back({"step", DPA_CONTEXT_NUMERIC, DPA_CONTEXT_AS_IS, {}});
    for (const std::string& m : metrics)
      spec.features.context.push_back({m, DPA_CONTEXT_NUMERIC, DPA_CONTEXT_AS_IS, {}});
    for (std::size_t i = 0; i < s.names.size(); ++i) {
      spec.features.context.push_back(
          {"config." + s.names[i], s.categorical[i] ? DPA_CONTEXT_CATEGORICAL : DPA_CONTEXT_NUMERIC, DPA_CONTEXT_AS_IS,
           s.categorical[i] ? s.categories[i] : std::vector<std::string>{}});
    }
    spec.transform = options.gbdt.loss->transform;
    spec.target = DPA_TARGET_FINAL_TEST_ACCURACY;
    spec.predictor = std::move(gbdt);
    return spec;
  }

  // A model of rows `chosen` of x (width d) through the runtime's own bytes.
  std::unique_ptr<ModelFile> train(const Schema& s, const std::vector<float>& x, std::size_t d,
                                   const std::vector<float>& y, const std::vector<std::size_t>& chosen,
                                   std::vector<unsigned char>* bytes) const {
    std::vector<float> xs, ys;
    xs.reserve(chosen.size() * d);
    for (const std::size_t r : chosen) {
      xs.insert(xs.end(), x.begin() + static_cast<long>(r * d), x.begin() + static_cast<long>((r + 1) * d));
      ys.push_back(y[r]);
    }
    GbdtParams p = options.gbdt;
    p.seed = options.seed;
    p.threads = options.threads;
    const GbdtTraining trained = train_gbdt({xs.data(), ys.size(), d}, ys, nullptr, nullptr, p);
    std::vector<unsigned char> written = write_model(spec_of(s, trained.model));
    auto model = std::make_unique<ModelFile>(written);
    if (bytes) *bytes = std::move(written);
    return model;
  }

  // A fit on finished trials (and the others, their finals imputed): out-of-fold taus per step on
  // the finished ones, where to trust it, the model of them all.
  std::shared_ptr<Fitted> fit(std::vector<Trial> data, std::uint32_t version, std::uint32_t budget) const {
    if (options.partial_curves) data = impute_finals(std::move(data), options.min_trials_for_tau);
    auto f = std::make_shared<Fitted>();
    f->version = version;
    f->schema = schema_of(data);
    f->trials = static_cast<std::uint32_t>(data.size());
    std::vector<float> x, y, observed;
    std::vector<std::size_t> trial_of;
    std::vector<std::uint32_t> step_of;
    for (std::size_t t = 0; t < data.size(); ++t) {
      for (const Checkpoint& c : data[t].checkpoints) {
        if (!c.finite) continue;
        append_features(f->schema, data[t], c, x);
        y.push_back(data[t].final_value);
        observed.push_back(c.metrics[0]);
        trial_of.push_back(t);
        step_of.push_back(c.step);
      }
    }
    if (y.empty()) return nullptr;
    const std::size_t d = x.size() / y.size();
    const std::vector<bool> trained_on = thinned(data, trial_of, step_of, budget);
    f->rows = y.size();
    f->fit_rows = static_cast<std::uint64_t>(std::count(trained_on.begin(), trained_on.end(), true));
    const int folds = std::max(2, options.folds);
    std::vector<float> oof(y.size(), NAN);
    for (int k = 0; k < folds; ++k) {
      std::vector<std::size_t> train_rows, test_rows;  // every held-out row is predicted
      for (std::size_t r = 0; r < y.size(); ++r) {
        const bool held_out =
            hash_of(data[trial_of[r]].name, options.seed) % static_cast<unsigned>(folds) == static_cast<unsigned>(k);
        if (held_out) {
          test_rows.push_back(r);
        } else if (trained_on[r]) {
          train_rows.push_back(r);
        }
      }
      if (train_rows.empty() || test_rows.empty()) continue;
      const std::unique_ptr<ModelFile> m = train(f->schema, x, d, y, train_rows, nullptr);
      std::vector<unsigned char> scratch(dpa_model_scratch_size(&m->model()) + 64);
      for (const std::size_t r : test_rows) {
        dpa_model_predict_features(&m->model(), &x[r * d], d, &oof[r], scratch.data(), scratch.size());
      }
    }
    judge_steps(data, trial_of, step_of, observed, oof, *f);
    for (std::size_t r = 0; r < oof.size(); ++r) {
      if (std::isfinite(oof[r])) f->out_of_fold[data[trial_of[r]].name][step_of[r]] = oof[r];
    }
    std::vector<std::size_t> all;
    for (std::size_t r = 0; r < y.size(); ++r)
      if (trained_on[r]) all.push_back(r);
    f->model = train(f->schema, x, d, y, all, &f->bytes);
    return f;
  }

  // The rows a refit trains on: all of them within the budget (0: no limit), else about `budget` of
  // them, kept by a hash of trial and step, so that every step keeps the same share of trials.
  std::vector<bool> thinned(const std::vector<Trial>& data, const std::vector<std::size_t>& trial_of,
                            const std::vector<std::uint32_t>& step_of, std::uint32_t budget) const {
    std::vector<bool> kept(trial_of.size(), true);
    if (budget == 0 || trial_of.size() <= budget) return kept;
    const double share = static_cast<double>(budget) / static_cast<double>(trial_of.size());
    for (std::size_t r = 0; r < kept.size(); ++r) {
      const std::uint64_t h = splitmix64(hash_of(data[trial_of[r]].name, options.seed ^ 0x7417ull) ^ step_of[r]);
      kept[r] = static_cast<double>(h >> 11) * 0x1.0p-53 < share;
    }
    return kept;
  }

  // Per step before the last: the out-of-fold predictions' tau against the finals, and the
  // observed metric's; the predictor is trusted where it ranks better. Judged on the trials a
  // decision at that step is between: this sweep's finished trials, which reached the step past
  // the rule, and of a past sweep's runs, which no rule thinned, the upper half there by the
  // observed metric. Judged on all of a past sweep's runs, a predictor that ranks the poor ones
  // well was trusted at late steps where the curve ranks the contested ones better.
  void judge_steps(const std::vector<Trial>& data, const std::vector<std::size_t>& trial_of,
                   const std::vector<std::uint32_t>& step_of, const std::vector<float>& observed,
                   const std::vector<float>& oof, Fitted& f) const {
    struct Column {
      std::vector<float> predicted, observed, finals;
    };
    std::map<std::uint32_t, Column> at;
    std::map<std::uint32_t, std::vector<float>> history_observed;  // step -> a past sweep's values
    const auto judged = [&](std::size_t r) {                       // real finals judge
      const Trial& t = data[trial_of[r]];
      return std::isfinite(oof[r]) && step_of[r] < t.epochs && !t.imputed;
    };
    for (std::size_t r = 0; r < oof.size(); ++r)
      if (judged(r) && data[trial_of[r]].history) history_observed[step_of[r]].push_back(observed[r]);
    std::map<std::uint32_t, float> history_cut;  // step -> the median of a past sweep's values there
    for (auto& [step, values] : history_observed) {
      const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
      std::nth_element(values.begin(), middle, values.end());
      history_cut[step] = *middle;
    }
    for (std::size_t r = 0; r < oof.size(); ++r) {
      const Trial& t = data[trial_of[r]];
      if (!judged(r) || (t.history && observed[r] < history_cut[step_of[r]])) continue;
      Column& c = at[step_of[r]];
      c.predicted.push_back(oof[r]);
      c.observed.push_back(observed[r]);
      c.finals.push_back(t.final_value);
    }
    for (const auto& [step, c] : at) {
      if (c.finals.size() < options.min_trials_for_tau) continue;
      f.tau_observed[step] = kendall_tau_b(c.observed, c.finals);
      f.tau_model[step] = f.tau_observed[step];
      // The score observed + w (predicted - observed): w = 0 is the curve alone, 1 the predictor
      // alone; in between it shrinks the predictor towards the curve, which pays while few trials
      // have finished. Trusted where some w > 0 ranks the finals better out of fold.
      for (const float w : {0.25f, 0.5f, 0.75f, 1.0f}) {
        std::vector<float> blended(c.predicted.size());
        for (std::size_t i = 0; i < blended.size(); ++i) blended[i] = blend(c.observed[i], c.predicted[i], w);
        const double tau = kendall_tau_b(blended, c.finals);
        if (tau > f.tau_model[step]) {
          f.tau_model[step] = tau;
          f.blend[step] = w;
        }
      }
    }
  }

  // The finished trials, and with partial_curves the stopped ones too (their finals imputed by
  // fit()): not those still running, nor those of a killed worker.
  std::vector<Trial> training_trials() const {
    std::vector<Trial> out;
    for (const Trial& t : trials) {
      if ((t.finished && !t.stopped) || (options.partial_curves && !t.finished && t.stopped && !t.checkpoints.empty()))
        out.push_back(t);
    }
    if (options.hash_trial_number) {  // a live sweep: the same fit whatever order the trials were read in
      std::sort(out.begin(), out.end(), [](const Trial& a, const Trial& b) { return a.name < b.name; });
      for (Trial& t : out) {
        std::stable_sort(t.checkpoints.begin(), t.checkpoints.end(),
                         [](const Checkpoint& a, const Checkpoint& b) { return a.step < b.step; });
      }
    }
    return out;
  }

  // The trials that did not finish get a final value from their last checkpoint's observed
  // metric, through a line per step fitted on the finished trials (observed at that step against
  // final), where at least min_trials_for_tau of them have that step; the others are left out.
  // Pruned trials are the low end a survivors-only learner never sees.
  static std::vector<Trial> impute_finals(std::vector<Trial> data, std::uint32_t min_trials) {
    std::map<std::uint32_t, std::vector<std::pair<double, double>>> pairs;  // step -> (observed, final)
    for (const Trial& t : data) {
      if (!t.finished) continue;
      for (const Checkpoint& c : t.checkpoints)
        if (c.finite && c.step < t.epochs) pairs[c.step].push_back({c.metrics[0], t.final_value});
    }
    std::map<std::uint32_t, std::pair<double, double>> line;  // step -> (intercept, slope)
    for (const auto& [step, p] : pairs) {
      if (p.size() < min_trials) continue;
      double mx = 0, my = 0, sxx = 0, sxy = 0;
      for (const auto& [x, y] : p) mx += x, my += y;
      mx /= static_cast<double>(p.size());
      my /= static_cast<double>(p.size());
      for (const auto& [x, y] : p) sxx += (x - mx) * (x - mx), sxy += (x - mx) * (y - my);
      const double slope = sxx > 0 ? std::max(0.0, sxy / sxx) : 0.0;
      line[step] = {my - slope * mx, slope};
    }
    std::vector<Trial> out;
    for (Trial& t : data) {
      if (!t.finished) {
        const Checkpoint& last = t.checkpoints.back();
        const auto at = line.find(last.step);
        if (at == line.end() || !last.finite) continue;
        t.final_value = static_cast<float>(at->second.first + at->second.second * last.metrics[0]);
        t.imputed = true;
      }
      out.push_back(std::move(t));
    }
    return out;
  }

  // Starts a refit when enough trials finished since the last (in the background, or now).
  // Called with `lock` held. One due while a background refit runs starts when it ends (the
  // running one is marked late).
  void maybe_refit() {
    if (finished < std::max(options.min_finished, next_fit_at)) return;
    if (fitting) {
      due_while_fitting = true;
      return;
    }
    next_fit_at = finished + std::max(options.refit_every, finished / 10);
    const std::uint32_t version = ++fits;
    std::vector<Trial> data = training_trials();
    fitting = true;
    if (!options.background) {
      auto [f, cost] = timed_fit(std::move(data), version);
      refits.push_back(cost);
      if (f) fitted = std::move(f);
      fitting = false;
      return;
    }
    if (worker.joinable()) worker.join();  // the previous fit ended (fitting was false)
    due_while_fitting = false;
    worker = std::thread([this, data = std::move(data), version]() mutable {
      lower_this_threads_priority(options.refit_priority);
      std::shared_ptr<Fitted> f;
      std::optional<SweepRefit> cost;  // none: the refit failed, and keeps the predictor it had
      try {
        std::tie(f, cost) = timed_fit(std::move(data), version);
      } catch (...) { f = nullptr; }
      const std::lock_guard<std::mutex> hold(lock);
      if (f) fitted = std::move(f);
      if (cost) {
        cost->late = due_while_fitting;
        refits.push_back(*cost);
      }
      fitting = false;
      fit_done.notify_all();
    });
  }

  // fit() on at most options.max_fit_rows rows, and what it cost (the caller records it).
  std::pair<std::shared_ptr<Fitted>, SweepRefit> timed_fit(std::vector<Trial> data, std::uint32_t version) const {
    const auto start = std::chrono::steady_clock::now();
    const double cpu = thread_cpu_seconds();
    std::shared_ptr<Fitted> f = fit(std::move(data), version, options.max_fit_rows);
    SweepRefit r;
    r.fit = version;
    r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.cpu_seconds = thread_cpu_seconds() - cpu;
    if (f) r.trials = f->trials, r.rows = f->rows, r.fit_rows = f->fit_rows;
    return {std::move(f), r};
  }

  bool trusted_at(std::uint32_t step) const { return fitted && fitted->blend.count(step) > 0; }

  // The score of a checkpoint: where the predictor is trusted, its blend with the observed metric
  // (cached per fit), else the observed metric. A diverged run (NaN) ranks last.
  float score(const Trial& t, const Checkpoint& c) const {
    if (!trusted_at(c.step) || !std::isfinite(c.metrics[0]))
      return std::isfinite(c.metrics[0]) ? c.metrics[0] : -INFINITY;
    if (c.predicted_version != fitted->version) {
      c.predicted_version = fitted->version;
      const float value = prediction(t, c);
      c.predicted = std::isfinite(value) ? blend(c.metrics[0], value, fitted->blend.at(c.step)) : NAN;
    }
    return std::isfinite(c.predicted) ? c.predicted : -INFINITY;
  }

  // The fitted model's prediction of the final value at a checkpoint; out of fold for a trial it
  // was fit on (a model's predictions of its own training trials are closer to their finals than
  // any new trial's can be, and would move the percentile the rule compares with).
  float prediction(const Trial& t, const Checkpoint& c) const {
    const auto fit_on = fitted->out_of_fold.find(t.name);
    if (fit_on != fitted->out_of_fold.end()) {
      const auto at = fit_on->second.find(c.step);
      if (at != fit_on->second.end()) return at->second;
    }
    if (!c.finite) return NAN;
    std::vector<float> features;
    append_features(fitted->schema, t, c, features);
    std::vector<unsigned char> scratch(dpa_model_scratch_size(&fitted->model->model()) + 64);
    float value = NAN;
    const dpa_status status = dpa_model_predict_features(&fitted->model->model(), features.data(), features.size(),
                                                         &value, scratch.data(), scratch.size());
    return status == DPA_OK ? value : NAN;
  }
};

SweepLearner::SweepLearner(const dpa_layout& layout, std::vector<std::string> metrics, const SweepOptions& options)
    : impl_(new Impl) {
  Impl& l = *impl_;
  if (dpa_layout_check(&layout) != DPA_OK) throw ToolError("sweep: invalid layout");
  if (metrics.empty()) throw ToolError("sweep: name at least the observed metric");
  check_sweep_options(options);
  l.segments.assign(layout.segments, layout.segments + layout.num_segments);
  l.layout = {l.segments.data(), layout.num_segments, layout.total_length};
  l.paper = stored_statistics_of(DPA_STATS_PAPER);
  l.stored_per_segment = dpa_stats_per_segment(kStoredStatsSet);
  l.metrics = std::move(metrics);
  l.options = options;
}

SweepLearner::~SweepLearner() {
  if (impl_->worker.joinable()) impl_->worker.join();
}

void SweepLearner::add_history(const std::string& trial, std::uint32_t epochs, const SweepHyper& hyper,
                               const std::vector<std::uint32_t>& steps, const std::vector<const float*>& statistics,
                               const std::vector<const float*>& metrics) {
  const std::lock_guard<std::mutex> hold(impl_->lock);
  Impl& l = *impl_;
  Trial& t = l.trials[l.trial_named("history/" + trial, epochs, hyper)];
  t.history = true;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    t.checkpoints.push_back(l.checkpoint_of(steps[i], statistics[i], metrics[i]));
    if (steps[i] == epochs) {
      t.finished = true;
      t.final_value = metrics[i][0];
    }
  }
  if (t.finished && std::isfinite(t.final_value)) {
    ++l.finished;
  } else {
    t.finished = false;  // not something to learn a final value from
  }
}

SweepDecision SweepLearner::report(const std::string& trial, std::uint32_t step, std::uint32_t epochs,
                                   const SweepHyper& hyper, const float* statistics, const float* metrics,
                                   bool decide) {
  const std::lock_guard<std::mutex> hold(impl_->lock);
  Impl& l = *impl_;
  l.maybe_refit();  // history alone may be enough for a first fit
  const std::size_t ti = l.trial_named(trial, epochs, hyper);
  Trial& t = l.trials[ti];
  if (l.has_step(ti, step))
    throw ToolError("trial " + trial + " reported step " + std::to_string(step) + " already; a step is reported once");
  t.checkpoints.push_back(l.checkpoint_of(step, statistics, metrics));
  const std::size_t ci = t.checkpoints.size() - 1;
  SweepDecision d;
  d.audit = t.audit;
  d.predicted = l.trusted_at(step);
  d.score = l.score(t, t.checkpoints[ci]);
  std::vector<std::pair<std::size_t, std::size_t>>& earlier = l.by_step[step];
  if (decide && !t.audit && step < epochs) {
    std::vector<double> scores;
    for (const auto& [other, checkpoint] : earlier) {
      if (other != ti) scores.push_back(l.score(l.trials[other], l.trials[other].checkpoints[checkpoint]));
    }
    if (!scores.empty() && scores.size() >= l.options.startup) {
      std::sort(scores.begin(), scores.end());
      d.threshold = percentile_of_sorted(scores, 100 - l.options.percentile);  // the top `percentile` % kept
      d.stop = d.score < d.threshold;
    }
    d.decided = true;
  }
  earlier.emplace_back(ti, ci);
  if (d.stop) t.stopped = true;
  if (step == epochs && !t.stopped && std::isfinite(t.checkpoints[ci].metrics[0])) {
    t.finished = true;
    t.final_value = t.checkpoints[ci].metrics[0];
    ++l.finished;
    l.maybe_refit();
  }
  return d;
}

void SweepLearner::stopped(const std::string& trial) {
  const std::lock_guard<std::mutex> hold(impl_->lock);
  const auto it = impl_->index.find(trial);
  if (it != impl_->index.end() && !impl_->trials[it->second].finished) impl_->trials[it->second].stopped = true;
}

bool SweepLearner::is_audit(const std::string& trial) const {
  const std::lock_guard<std::mutex> hold(impl_->lock);
  const auto it = impl_->index.find(trial);
  return it != impl_->index.end() && impl_->trials[it->second].audit;
}

bool SweepLearner::reported(const std::string& trial, std::uint32_t step) const {
  const std::lock_guard<std::mutex> hold(impl_->lock);
  const auto it = impl_->index.find(trial);
  return it != impl_->index.end() && impl_->has_step(it->second, step);
}

std::map<std::string, float> SweepLearner::scores_at(std::uint32_t step) const {
  const std::lock_guard<std::mutex> hold(impl_->lock);
  const Impl& l = *impl_;
  std::map<std::string, float> out;
  const auto at = l.by_step.find(step);
  if (at == l.by_step.end()) return out;
  for (const auto& [trial, checkpoint] : at->second) {
    const Trial& t = l.trials[trial];
    out[t.name] = l.score(t, t.checkpoints[checkpoint]);
  }
  return out;
}

float SweepLearner::score_of(const std::string& trial, std::uint32_t step, std::uint32_t* fit) const {
  const std::lock_guard<std::mutex> hold(impl_->lock);
  const Impl& l = *impl_;
  *fit = l.fitted ? l.fitted->version : 0;
  const auto it = l.index.find(trial);
  if (it == l.index.end()) return NAN;
  const Trial& t = l.trials[it->second];
  for (const Checkpoint& c : t.checkpoints)
    if (c.step == step) return l.score(t, c);
  return NAN;
}

SweepLearnerState SweepLearner::state() const {
  const std::lock_guard<std::mutex> hold(impl_->lock);
  SweepLearnerState s;
  s.fits = impl_->fits;
  s.finished = impl_->finished;
  s.fitting = impl_->fitting;
  s.refits = impl_->refits;
  if (impl_->fitted) {
    s.fit_trials = impl_->fitted->trials;
    s.tau_model = impl_->fitted->tau_model;
    s.tau_observed = impl_->fitted->tau_observed;
    for (const auto& [step, w] : impl_->fitted->blend) {
      s.trusted_steps.push_back(step);
      s.blend[step] = w;
    }
  }
  return s;
}

std::vector<unsigned char> SweepLearner::model_bytes() const {
  const std::lock_guard<std::mutex> hold(impl_->lock);
  return impl_->fitted ? impl_->fitted->bytes : std::vector<unsigned char>{};
}

void SweepLearner::wait() {
  std::unique_lock<std::mutex> held(impl_->lock);
  impl_->fit_done.wait(held, [&] { return !impl_->fitting; });
}

}  // namespace dpa::tools
