#include "sweep/sweep_runs.hpp"

#include <algorithm>
#include <cmath>

#include "common/errors.hpp"
#include "train/early_stop_report.hpp"
#include "zoo/feature_extraction.hpp"
#include "zoo/stored_statistics.hpp"

namespace dpa::tools {

namespace {

// The loop's metrics the learner reads besides the observed test accuracy, when a zoo has them.
constexpr const char* kExtraMetrics[] = {"train_loss", "train_accuracy", "test_loss"};

}  // namespace

bool is_reserved_config(const std::string& column) {
  return std::any_of(std::begin(kReservedConfigColumns), std::end(kReservedConfigColumns),
                     [&](const char* reserved) { return column == reserved; });
}

std::string hyperparameter_column(const std::string& name) {
  const std::string column = "config." + name;
  return is_reserved_config(column) ? "config.hyper." + name : column;
}

SweepColumns columns_of(const ZooMetrics& m) {
  SweepColumns c;
  for (const char* name : kExtraMetrics) {
    const MetricsColumn* column = m.column(name);
    if (!column || column->categorical) continue;
    if (std::all_of(column->values.begin(), column->values.end(), [](float v) { return std::isfinite(v); }))
      c.metrics.push_back(name);
  }
  for (const MetricsColumn& column : m.columns) {
    if (column.name.rfind("config.", 0) != 0 || is_reserved_config(column.name) || !column.varies()) continue;
    c.hyperparameters.push_back(column.name);
  }
  return c;
}

SweepHyper hyper_of(const ZooMetrics& m, const std::vector<std::string>& hyperparameters, std::size_t row) {
  SweepHyper hyper;
  for (const std::string& name : hyperparameters) {
    const MetricsColumn* column = m.column(name);
    if (!column) continue;
    const float v = column->values[row];
    if (std::isnan(v)) continue;  // missing
    SweepValue value;
    if (column->categorical) {
      value.categorical = true;
      value.category = column->categories[static_cast<std::size_t>(v)];
    } else {
      value.number = v;
    }
    hyper[name.substr(7)] = value;
  }
  return hyper;
}

// The finished runs of a zoo (main: those with a checkpoint at `step` before their last), with
// their checkpoints' statistics and metrics.
SweepData load_runs(const ZooDataset& zoo, const SweepColumns& c, const std::uint32_t* step, unsigned threads) {
  const ZooMetrics& m = zoo.metrics();
  std::vector<const MetricsColumn*> extra;
  for (std::size_t i = 1; i < c.metrics.size(); ++i) {
    const MetricsColumn* column = m.column(c.metrics[i]);
    if (!column || column->categorical) throw ToolError(zoo.dir() + ": no numeric column '" + c.metrics[i] + "'");
    extra.push_back(column);
  }
  const MetricsColumn* train_loss = m.column("train_loss");
  SweepData data;
  std::vector<std::uint64_t> rows;
  for (const RunRows& run : runs_of(m)) {
    const std::size_t last = run.rows.back();
    if (m.step[last] != m.epochs[last]) continue;  // never finished
    SweepRun r;
    r.name = run.name;
    r.epochs = m.epochs[last];
    r.hyper = hyper_of(m, c.hyperparameters, run.rows.front());
    r.replay.final_accuracy = m.test_accuracy[last];
    r.replay.epochs = r.epochs;
    bool at_step = step == nullptr;
    for (const std::size_t row : run.rows) {
      r.steps.push_back(m.step[row]);
      r.replay.steps.push_back(m.step[row]);
      r.replay.test_accuracy.push_back(m.test_accuracy[row]);
      if (step && m.step[row] == *step) {
        at_step = *step < r.epochs;
        r.replay.accuracy_at_step = m.test_accuracy[row];
        r.replay.train_loss = train_loss && !train_loss->categorical ? train_loss->values[row] : NAN;
      }
    }
    if (!at_step) continue;
    rows.insert(rows.end(), run.rows.begin(), run.rows.end());
    data.runs.push_back(std::move(r));
  }
  const std::size_t per_row = zoo.layout().num_segments * dpa_stats_per_segment(kStoredStatsSet);
  data.statistics.resize(rows.size() * per_row);
  extract_features(zoo, {DPA_INPUT_STATISTICS, kStoredStatsSet}, threads, &rows,
                   [&](std::uint64_t first, std::uint64_t count, const float* block) {
                     std::copy(block, block + count * per_row,
                               data.statistics.begin() + static_cast<long>(first * per_row));
                   });
  for (const std::uint64_t row : rows) {
    data.metrics.push_back(m.test_accuracy[row]);
    for (const MetricsColumn* column : extra) data.metrics.push_back(column->values[row]);
  }
  std::size_t at = 0;
  for (SweepRun& r : data.runs) {
    for (std::size_t k = 0; k < r.steps.size(); ++k, ++at) {
      r.statistics.push_back(&data.statistics[at * per_row]);
      r.metrics.push_back(&data.metrics[at * c.metrics.size()]);
    }
  }
  return data;
}

}  // namespace dpa::tools
