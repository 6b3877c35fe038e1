#include "sweep/live_sweep.hpp"

#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "common/errors.hpp"
#include "dpa/dpa.hpp"
#include "sweep/sweep_runs.hpp"
#include "zoo/stored_statistics.hpp"
#include "zoo/zoo_dataset.hpp"
#include "zoo/zoo_tail.hpp"
#include "zoo/zoo_writer.hpp"

namespace dpa::tools {

using Json = nlohmann::json;

namespace {

Json parse_object(const std::string& text, const char* what) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw ToolError(std::string(what) + ": not a JSON object");
  return j;
}

// A recorded line's hyperparameters: its config.* values but the reserved columns, named without
// "config." (a sweep's own reserved name comes back as hyper.NAME, the same in every worker).
SweepHyper hyper_from(const Json& j) {
  SweepHyper hyper;
  for (const auto& [name, value] : j.items()) {
    if (name.rfind("config.", 0) != 0 || is_reserved_config(name)) continue;
    SweepValue v;
    if (value.is_number()) {
      v.number = value.get<float>();
    } else if (value.is_string()) {
      v.categorical = true;
      v.category = value.get<std::string>();
    } else if (value.is_boolean()) {
      v.categorical = true;
      v.category = value.get<bool>() ? "true" : "false";
    } else {
      continue;  // null: missing
    }
    hyper[name.substr(7)] = v;
  }
  return hyper;
}

// The options checked, and the history zoos opened and checked, before the sweep's directory is
// made: a mistake is said at once, not at the first report.
std::vector<std::unique_ptr<ZooDataset>> open_history(const LiveSweepOptions& o, const dpa_layout& layout) {
  check_sweep_options(o.learner);
  std::vector<std::unique_ptr<ZooDataset>> out;
  for (const std::string& past : o.history) {
    out.push_back(std::make_unique<ZooDataset>(past));
    check_same_segments(layout, out.back()->layout(), past + " (history)", "this sweep's");
  }
  return out;
}

}  // namespace

struct LiveSweep::Impl {
  struct Checkpoint {
    Json metrics, hyper;
    bool repeated = false;  // observed from the storage, and known already (from the directory)
  };

  std::string dir;
  std::vector<dpa_segment> segments;
  dpa_layout layout{};
  LiveSweepOptions options;
  std::vector<std::unique_ptr<ZooDataset>> history;
  std::unique_ptr<ZooWriter> writer;  // none without a directory (the study's storage alone)
  std::vector<dpa_segment> recorded;  // the zoo's layout: the learner's (its first network's)
  std::unique_ptr<ZooTail> tail;
  dpa::FeatureExtractor statistics;
  std::vector<float> row;
  std::unique_ptr<SweepLearner> learner;  // made at the first report, which names the metrics
  std::vector<std::string> metrics;
  std::unordered_set<std::uint64_t> own_rows;
  mutable std::mutex lock;

  Impl(const std::string& d, const dpa_layout& l, const LiveSweepOptions& o)
      : dir(d),
        segments(l.segments, l.segments + l.num_segments),
        layout{segments.data(), l.num_segments, l.total_length},
        options(o),
        history(open_history(o, layout)),
        writer(d.empty() ? nullptr : std::make_unique<ZooWriter>(d, layout, ZooStore::kStatistics)),
        tail(d.empty() ? nullptr
                       : std::make_unique<ZooTail>(d, kStatisticsFile, feature_count(layout, kStoredStatsSet))),
        statistics(layout, kStoredStatsSet),
        row(feature_count(layout, kStoredStatsSet)) {
    options.learner.hash_trial_number = true;
  }

  // The first report names the metrics; history is loaded whole or the learner is not made.
  void start_learner(const Json& reported) {
    const auto observed = reported.find("test_accuracy");
    if (observed == reported.end() || !observed->is_number())
      throw ToolError("metrics: 'test_accuracy' (the observed metric) is missing or not a number");
    std::vector<std::string> names = {"test_accuracy"};
    for (const auto& [name, value] : reported.items()) {
      if (name == "modeldir" || name == "step" || name == "num_weights" || name.rfind("config.", 0) == 0)
        throw ToolError("metrics: '" + name +
                        "' names a column the sweep's zoo records itself; name the metric otherwise");
      if (name != "test_accuracy") names.push_back(name);
    }
    const dpa_layout zoo_layout = writer ? writer->recorded_layout() : layout;
    recorded.assign(zoo_layout.segments, zoo_layout.segments + zoo_layout.num_segments);
    auto made = std::make_unique<SweepLearner>(
        dpa_layout{recorded.data(), zoo_layout.num_segments, zoo_layout.total_length}, names, options.learner);
    for (const std::unique_ptr<ZooDataset>& zoo : history) {
      SweepColumns c = columns_of(zoo->metrics());
      c.metrics = names;
      const SweepData data = load_runs(*zoo, c, nullptr, 1);
      for (const SweepRun& r : data.runs)
        made->add_history(zoo->dir() + "/" + r.name, r.epochs, r.hyper, r.steps, r.statistics, r.metrics);
    }
    metrics = std::move(names);
    learner = std::move(made);
  }

  std::vector<float> metric_values(const Json& j) const {
    std::vector<float> out;
    for (const std::string& name : metrics) {
      const auto it = j.find(name);
      out.push_back(it != j.end() && it->is_number() ? it->get<float>() : NAN);
    }
    return out;
  }

  // A row of stored statistics given whole (report_statistics, observe_statistics).
  void check_row_size(std::size_t count) const {
    if (count != row.size())
      throw ToolError("statistics: " + std::to_string(count) + " values; this sweep's rows hold " +
                      std::to_string(row.size()) + " (" + std::to_string(layout.num_segments) + " segments)");
  }

  // A report's metrics and hyperparameters, checked, after what other workers recorded is read
  // (a step this trial reported already is refused).
  Checkpoint checked(const std::string& trial, std::uint32_t step, const std::string& metrics_json,
                     const std::string& hyper_json, bool observing = false) {
    Checkpoint c{parse_object(metrics_json, "metrics"), parse_object(hyper_json, "hyperparameters")};
    if (!learner) start_learner(c.metrics);
    for (const std::string& name : metrics) {
      if (!c.metrics.contains(name) || !c.metrics[name].is_number())
        throw ToolError("metrics: '" + name + "' is missing; every report passes the same metrics as the first");
    }
    if (c.metrics.size() != metrics.size())
      throw ToolError("metrics: every report passes the same metrics as the first (" + std::to_string(metrics.size()) +
                      " of them)");
    follow_others();
    if (learner->reported(trial, step)) {
      if (!observing)
        throw ToolError("trial " + trial + " reported step " + std::to_string(step) +
                        " already; a step is reported once");
      c.repeated = true;
    }
    return c;
  }

  // A checkpoint's stored statistics (`values`, a row of the statistics zoo) learnt, and recorded
  // in the directory unless `observed` (another worker's, read from the study's storage).
  SweepDecision record(const std::string& trial, std::uint32_t step, std::uint32_t epochs, const Checkpoint& c,
                       const float* values, std::uint64_t num_weights, bool decide, bool observed = false) {
    Json line = c.metrics;
    line["modeldir"] = trial;
    line["step"] = step;
    line["config.epochs"] = epochs;
    line["num_weights"] = num_weights;
    for (const auto& [name, value] : c.hyper.items()) line[hyperparameter_column(name)] = value;
    if (writer && !observed) own_rows.insert(writer->add_row(values, row.size(), line.dump()));
    const std::vector<float> m = metric_values(c.metrics);
    return learner->report(trial, step, epochs, hyper_from(line), values, m.data(), decide);
  }

  // What the other workers recorded since the last look, fed to the learner undecided.
  void follow_others() {
    if (!tail) return;
    tail->read_new([&](std::uint64_t index, const float* values, const std::string& line) {
      if (own_rows.erase(index) > 0) return;
      const Json j = parse_object(line, (dir + "/metrics.jsonl").c_str());
      const std::string trial = j.value("modeldir", "");
      const std::uint32_t step = j.value("step", 0u);
      if (learner->reported(trial, step)) return;  // every worker refuses a repeat; the first row counts
      const std::vector<float> m = metric_values(j);
      learner->report(trial, step, j.value("config.epochs", 0u), hyper_from(j), values, m.data(), false);
    });
  }
};

LiveSweep::LiveSweep(const std::string& dir, const dpa_layout& layout, const LiveSweepOptions& options)
    : impl_(new Impl(dir, layout, options)) {}

LiveSweep::~LiveSweep() = default;

SweepDecision LiveSweep::report(const std::string& trial, std::uint32_t step, std::uint32_t epochs,
                                const float* weights, std::size_t num_weights, const std::string& metrics_json,
                                const std::string& hyper_json, bool decide, const dpa_layout* layout) {
  const std::lock_guard<std::mutex> hold(impl_->lock);
  Impl& s = *impl_;
  const dpa_layout& own = layout ? *layout : s.layout;
  if (dpa_layout_check(&own) != DPA_OK) throw ToolError("layout: invalid");
  check_same_segments(s.layout, own, "layout", "this sweep's");
  if (num_weights != own.total_length)
    throw ToolError("weights: " + std::to_string(num_weights) + " values; the layout has " +
                    std::to_string(own.total_length));
  const Impl::Checkpoint c = s.checked(trial, step, metrics_json, hyper_json);
  const dpa_status status =
      layout ? dpa::FeatureExtractor(own, kStoredStatsSet).compute(weights, num_weights, s.row.data(), s.row.size())
             : s.statistics.compute(weights, num_weights, s.row.data(), s.row.size());
  if (status != DPA_OK && status != DPA_ERR_NON_FINITE) throw ToolError(dpa_status_string(status));
  return s.record(trial, step, epochs, c, s.row.data(), num_weights, decide);
}

SweepDecision LiveSweep::report_statistics(const std::string& trial, std::uint32_t step, std::uint32_t epochs,
                                           const float* statistics, std::size_t count, std::uint64_t num_weights,
                                           const std::string& metrics_json, const std::string& hyper_json,
                                           bool decide) {
  const std::lock_guard<std::mutex> hold(impl_->lock);
  Impl& s = *impl_;
  s.check_row_size(count);
  const Impl::Checkpoint c = s.checked(trial, step, metrics_json, hyper_json);
  return s.record(trial, step, epochs, c, statistics, num_weights, decide);
}

bool LiveSweep::observe_statistics(const std::string& trial, std::uint32_t step, std::uint32_t epochs,
                                   const float* statistics, std::size_t count, std::uint64_t num_weights,
                                   const std::string& metrics_json, const std::string& hyper_json) {
  const std::lock_guard<std::mutex> hold(impl_->lock);
  Impl& s = *impl_;
  s.check_row_size(count);
  const Impl::Checkpoint c = s.checked(trial, step, metrics_json, hyper_json, true);
  if (c.repeated) return false;
  s.record(trial, step, epochs, c, statistics, num_weights, false, true);
  return true;
}

void LiveSweep::stopped(const std::string& trial) {
  const std::lock_guard<std::mutex> hold(impl_->lock);
  if (impl_->learner) impl_->learner->stopped(trial);
}

SweepLearnerState LiveSweep::state() const {
  const std::lock_guard<std::mutex> hold(impl_->lock);
  return impl_->learner ? impl_->learner->state() : SweepLearnerState{};
}

std::map<std::string, float> LiveSweep::scores_at(std::uint32_t step) const {
  const std::lock_guard<std::mutex> hold(impl_->lock);
  return impl_->learner ? impl_->learner->scores_at(step) : std::map<std::string, float>{};
}

float LiveSweep::score_of(const std::string& trial, std::uint32_t step, std::uint32_t* fit) const {
  const std::lock_guard<std::mutex> hold(impl_->lock);
  *fit = 0;
  return impl_->learner ? impl_->learner->score_of(trial, step, fit) : NAN;
}

std::vector<unsigned char> LiveSweep::model_bytes() const {
  const std::lock_guard<std::mutex> hold(impl_->lock);
  return impl_->learner ? impl_->learner->model_bytes() : std::vector<unsigned char>{};
}

void LiveSweep::wait() {
  SweepLearner* learner = nullptr;
  {
    const std::lock_guard<std::mutex> hold(impl_->lock);
    learner = impl_->learner.get();
  }
  if (learner) learner->wait();
}

}  // namespace dpa::tools
