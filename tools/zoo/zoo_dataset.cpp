#include "zoo/zoo_dataset.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <unordered_map>

#include "common/errors.hpp"
#include "common/files.hpp"
#include "common/progress.hpp"
#include "zoo/csv_reader.hpp"
#include "zoo/jsonl_reader.hpp"
#include "zoo/stored_statistics.hpp"

namespace dpa::tools {
namespace {

std::uint64_t parse_index(const std::string& text, const RecordReader& r, const std::string& column) {
  const double v = parse_csv_number(text, r, column);
  // Range first: converting an out-of-range double to an integer is undefined (found by fuzz_csv).
  if (v < 0 || v > 4294967295.0 || v != std::floor(v)) {
    throw ToolError(r.path() + ":" + std::to_string(r.line()) + ": column '" + column + "': '" + text +
                    "' is not a valid index");
  }
  return static_cast<std::uint64_t>(v);
}

// "(3, 3, 16, 16)" -> 2304; "(16,)" -> 16.
std::uint64_t shape_size(const std::string& text, const CsvReader& r) {
  std::uint64_t product = 1, value = 0;
  bool digits = false, any = false;
  for (const char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
      digits = true;
    } else if (c == ',' || c == ')') {
      if (digits) {
        product *= value;
        any = true;
      }
      value = 0;
      digits = false;
    } else if (c != '(' && c != ' ') {
      throw ToolError(r.path() + ":" + std::to_string(r.line()) + ": bad shape '" + text + "'");
    }
  }
  if (!any) throw ToolError(r.path() + ":" + std::to_string(r.line()) + ": bad shape '" + text + "'");
  return product;
}

}  // namespace

std::vector<LayoutSegment> read_layout_csv(const std::string& path, std::uint64_t num_weights,
                                           const std::string& source) {
  CsvReader r(path);
  const std::size_t name_col = r.column("varname"), start_col = r.column("start_idx"), end_col = r.column("end_idx");
  const std::size_t shape_col = r.column("shape");
  std::vector<LayoutSegment> out;
  std::vector<std::string> f;
  while (r.next(f)) {
    const std::string where = path + ":" + std::to_string(r.line());
    // Before the overlap scan, which compares a row with every earlier one.
    if (out.size() == DPA_MAX_SEGMENTS)
      throw ToolError(where + ": more than " + std::to_string(DPA_MAX_SEGMENTS) + " segments");
    const std::uint64_t start = parse_index(f[start_col], r, "start_idx");
    const std::uint64_t end = parse_index(f[end_col], r, "end_idx");
    if (end <= start)
      throw ToolError(where + ": end_idx " + std::to_string(end) + " is not after start_idx " + std::to_string(start));
    if (end > num_weights) {
      throw ToolError(where + ": segment ends at " + std::to_string(end) + " but " + source + " " +
                      std::to_string(num_weights) + " weights");
    }
    if (shape_size(f[shape_col], r) != end - start) {
      throw ToolError(where + ": shape " + f[shape_col] + " does not hold " + std::to_string(end - start) + " weights");
    }
    for (const LayoutSegment& s : out) {
      if (start < s.segment.offset + s.segment.length && s.segment.offset < end) {
        throw ToolError(where + ": segment '" + f[name_col] + "' overlaps '" + s.name + "'");
      }
    }
    const std::string& name = f[name_col];
    const std::uint32_t kind = name.find("bias") != std::string::npos     ? DPA_SEGMENT_BIAS
                               : name.find("kernel") != std::string::npos ? DPA_SEGMENT_KERNEL
                                                                          : DPA_SEGMENT_OTHER;
    out.push_back({name, {static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(end - start), kind, 0}});
  }
  if (out.empty()) throw ToolError(path + ": no segments");
  return out;
}

bool MetricsColumn::varies() const {
  if (categorical) return categories.size() > 1;
  for (const float v : values) {
    if (!(v == values.front() || (std::isnan(v) && std::isnan(values.front())))) return true;
  }
  return false;
}

bool MetricsColumn::positive_and_wide() const {
  if (categorical) return false;
  float low = INFINITY, high = -INFINITY;
  for (const float v : values) {
    if (std::isnan(v)) continue;  // missing: such rows are not used
    low = std::min(low, v);
    high = std::max(high, v);
  }
  return low > 0.0f && std::isfinite(high) && high >= 100.0f * low;
}

const MetricsColumn* ZooMetrics::column(const std::string& name) const {
  for (const MetricsColumn& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

namespace {

// A column built row by row: numbers while every cell is one (their texts kept packed, in case a
// later cell is not a number), categories from the first cell that is not. A map of distinct
// texts per numeric column would take ~100 bytes per row on a full-size zoo (losses and
// accuracies are nearly all distinct).
class ColumnBuilder {
 public:
  explicit ColumnBuilder(std::string name) { column_.name = std::move(name); }
  void add(const std::string& text) {
    if (numeric_) {
      float v = NAN;  // an empty cell: missing
      if (text.empty() || parse_metric_number(text, &v)) {
        column_.values.push_back(v);
        packed_ += text;
        ends_.push_back(packed_.size());
        return;
      }
      become_categorical();
    }
    add_category(text);
  }
  MetricsColumn finish() {
    if (numeric_) return std::move(column_);
    column_.categorical = true;  // codes in sorted order of the names
    column_.categories = texts_;
    std::sort(column_.categories.begin(), column_.categories.end());
    std::vector<float> code(texts_.size());
    for (std::size_t i = 0; i < texts_.size(); ++i) {
      code[i] = static_cast<float>(std::lower_bound(column_.categories.begin(), column_.categories.end(), texts_[i]) -
                                   column_.categories.begin());
    }
    column_.values.clear();
    column_.values.reserve(rows_.size());
    for (const std::uint32_t c : rows_) column_.values.push_back(c == kMissing ? NAN : code[c]);
    return std::move(column_);
  }

 private:
  // The rows so far become categories of their texts.
  void become_categorical() {
    numeric_ = false;
    std::size_t begin = 0;
    for (const std::size_t end : ends_) {
      add_category(packed_.substr(begin, end - begin));
      begin = end;
    }
    std::string().swap(packed_);
    std::vector<std::size_t>().swap(ends_);
    column_.values.clear();
  }

  // An empty cell is a missing value in a column of categories too (a NaN code), never a category.
  static constexpr std::uint32_t kMissing = UINT32_MAX;
  void add_category(const std::string& text) {
    if (text.empty()) {
      rows_.push_back(kMissing);
      return;
    }
    const auto [it, inserted] = codes_.emplace(text, static_cast<std::uint32_t>(texts_.size()));
    if (inserted) texts_.push_back(text);
    rows_.push_back(it->second);
  }

  MetricsColumn column_;
  bool numeric_ = true;
  std::string packed_;             // numeric phase: the texts one after the other,
  std::vector<std::size_t> ends_;  // each ending there
  std::unordered_map<std::string, std::uint32_t> codes_;
  std::vector<std::string> texts_;
  std::vector<std::uint32_t> rows_;
};

bool ends_with(const std::string& text, const std::string& end) {
  return text.size() >= end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0;
}

}  // namespace

std::string zoo_name(const std::string& dir) {
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(dir, ec).lexically_normal();
  std::filesystem::path name = absolute.filename();
  if (name.empty()) name = absolute.parent_path().filename();  // "zoo/" normalises to "zoo/"
  return name.empty() ? dir : name.string();
}

std::string metrics_file(const std::string& dir) {
  // The writer's metrics.jsonl first: a metrics.csv.gz beside it is its export.
  for (const char* name : {"metrics.jsonl", "metrics.csv.gz", "metrics.csv"}) {
    if (is_readable(dir + "/" + name)) return dir + "/" + name;
  }
  return dir + "/metrics.csv.gz";  // named in the error of opening it
}

ZooMetrics read_metrics_csv(const std::string& path, bool required, std::uint64_t max_rows) {
  std::unique_ptr<RecordReader> reader;
  if (ends_with(path, ".jsonl")) {
    reader = std::make_unique<JsonlReader>(path, max_rows);
  } else {
    reader = std::make_unique<CsvReader>(path);
  }
  RecordReader& r = *reader;
  auto optional = [&](const char* name) -> long {
    for (std::size_t i = 0; i < r.header().size(); ++i) {
      if (r.header()[i] == name) return static_cast<long>(i);
    }
    return -1;
  };
  const long modeldir = required ? static_cast<long>(r.column("modeldir")) : optional("modeldir");
  const long step = required ? static_cast<long>(r.column("step")) : -1;
  const long accuracy = required ? static_cast<long>(r.column("test_accuracy")) : -1;
  const long epochs = required ? static_cast<long>(r.column("config.epochs")) : -1;
  std::vector<std::size_t> generic;
  std::vector<ColumnBuilder> builders;
  for (std::size_t i = 0; i < r.header().size(); ++i) {
    if (r.header()[i].empty() || static_cast<long>(i) == modeldir) continue;
    generic.push_back(i);
    builders.emplace_back(r.header()[i]);
  }
  ZooMetrics m;
  m.path = path;
  std::vector<std::string> f;
  auto text = [&](long column) { return column >= 0 ? f[static_cast<std::size_t>(column)] : std::string(); };
  // 270k rows of gzip'd CSV take seconds; counted against the weights' rows when they are known.
  Progress progress("metrics rows", max_rows, max_rows != UINT64_MAX);
  while (r.next(f)) {
    progress.update(m.num_rows);
    if (++m.num_rows > max_rows) {  // stop at once: a bomb expands to far more than any zoo's rows
      throw ToolError(path + ": more than " + std::to_string(max_rows) + " rows, more than the weights have");
    }
    if (modeldir >= 0) m.modeldir.push_back(text(modeldir));
    if (required) {
      m.step.push_back(static_cast<std::uint32_t>(parse_index(text(step), r, "step")));
      m.test_accuracy.push_back(parse_csv_float(text(accuracy), r, "test_accuracy"));
      m.epochs.push_back(static_cast<std::uint32_t>(parse_index(text(epochs), r, "config.epochs")));
    }
    for (std::size_t k = 0; k < generic.size(); ++k) builders[k].add(f[generic[k]]);
  }
  for (ColumnBuilder& b : builders) m.columns.push_back(b.finish());
  return m;
}

ZooDataset::ZooDataset(const std::string& dir, Metrics metrics) : dir_(dir) {
  const std::string statistics = dir + "/" + kStatisticsFile;
  if (!is_readable(dir + "/weights.npy") && is_readable(statistics)) {
    const StatisticsDescription d = read_statistics_description(dir + "/" + kStatisticsDescriptionFile);
    statistics_ = std::make_unique<NpyMatrix>(statistics);
    weights_per_row_ = d.weights_per_row;
  } else {
    weights_ = std::make_unique<NpyMatrix>(dir + "/weights.npy");
    weights_per_row_ = weights_->cols();
  }
  const char* rows_name = weights_ ? "weights.npy" : kStatisticsFile;
  if (metrics == Metrics::kRead) {
    if (rows() == 0) throw ToolError(dir + ": no checkpoints yet (" + rows_name + " has 0 rows)");
    const std::string metrics_path = metrics_file(dir);
    metrics_ = read_metrics_csv(metrics_path, true, rows());
    if (metrics_.rows() != rows()) {
      throw ToolError(metrics_path + ": " + std::to_string(metrics_.rows()) + " rows but " + rows_name + " has " +
                      std::to_string(rows()));
    }
  }
  layout_ = read_layout_csv(
      dir + "/layout.csv", weights_per_row_,
      weights_ ? "weights.npy rows hold" : std::string(kStatisticsDescriptionFile) + "'s weights_per_row is");
  for (const LayoutSegment& s : layout_) segments_.push_back(s.segment);
  const dpa_layout l = layout();
  if (dpa_layout_check(&l) != DPA_OK) throw ToolError(dir + "/layout.csv: invalid layout");
  if (statistics_ && statistics_->cols() != segments_.size() * dpa_stats_per_segment(kStoredStatsSet)) {
    throw ToolError(statistics_->path() + ": rows hold " + std::to_string(statistics_->cols()) + " statistics, not " +
                    std::to_string(dpa_stats_per_segment(kStoredStatsSet)) + " for each of layout.csv's " +
                    std::to_string(segments_.size()) + " segments");
  }
}

const NpyMatrix& ZooDataset::weights(const char* why) const {
  if (!weights_) {
    throw ToolError(dir_ + ": a statistics zoo (statistics.npy, no weights.npy): " + why +
                    "; use the zoo it was made from");
  }
  return *weights_;
}

dpa_layout ZooDataset::layout() const {
  return {segments_.data(), static_cast<std::uint32_t>(segments_.size()), static_cast<std::uint32_t>(weights_per_row_)};
}

}  // namespace dpa::tools
