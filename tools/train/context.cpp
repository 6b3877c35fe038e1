#include "train/context.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "common/cli_args.hpp"
#include "common/text_format.hpp"

namespace dpa::tools {

namespace {

const std::vector<std::string> kTrainPreset = {"step", "train_loss", "train_accuracy"};
const std::vector<std::string> kCurvePreset = {"test_loss", "test_accuracy"};

std::vector<std::string> hyper_preset(const ZooMetrics& m) {
  std::vector<std::string> out;
  for (const MetricsColumn& c : m.columns) {
    // The seed varies by construction and predicts nothing.
    if (c.name.rfind("config.", 0) == 0 && c.name != "config.random_seed" && c.varies()) out.push_back(c.name);
  }
  return out;
}

}  // namespace

std::vector<std::string> resolve_context(const std::string& list, const ZooMetrics& m, Target target) {
  std::vector<std::string> names;
  // Presets take the columns of theirs the zoo has; a column named on its own must be there.
  auto add = [&](const std::vector<std::string>& more) {
    for (const std::string& n : more) {
      if (m.column(n) != nullptr && std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
  };
  for (const std::string& item : split(list, ',')) {
    if (item == "none") continue;
    if (item == "hyper") add(hyper_preset(m));
    else if (item == "train") add(kTrainPreset);
    else if (item == "curve") add(kCurvePreset);
    else if (item == "all") {
      add(hyper_preset(m));
      add(kTrainPreset);
      add(kCurvePreset);
    } else if (item.empty()) {
      throw UsageError("--context: empty item in '" + list + "'");
    } else {
      if (std::find(names.begin(), names.end(), item) == names.end()) names.push_back(item);
    }
  }
  for (const std::string& n : names) {
    if (m.column(n) == nullptr) {
      throw UsageError("--context: " + m.path + " has no column '" + n + "' (presets: none, hyper, train, curve, all)");
    }
    if (target == Target::kTestAccuracy && (n == "test_accuracy" || n == "test_loss")) {
      throw UsageError("--context: '" + n +
                       "' measures the target itself (test_accuracy of the same checkpoint); "
                       "use it with --target final_test_accuracy");
    }
  }
  return names;
}

std::vector<ContextInput> describe_context(const std::vector<std::string>& names, const ZooMetrics& m, bool log_wide) {
  std::vector<ContextInput> out;
  for (const std::string& n : names) {
    const MetricsColumn& c = *m.column(n);
    ContextInput in;
    in.name = n;
    // Checked before any training: a name the model cannot hold would fail only when written.
    if (const std::string problem = model_name_problem(n); !problem.empty()) {
      throw ToolError(m.path + ": column name '" + printable(n) + "' " + problem +
                      ": a model cannot read it as context");
    }
    for (const std::string& category : c.categories) {
      if (const std::string problem = model_name_problem(category); !problem.empty()) {
        throw ToolError(
            m.path + ": column '" + printable(n) + "' has a value that " + problem + " ('" +
            printable(category.substr(0, 40)) + (category.size() > 40 ? "…" : "") +
            "'): a model cannot hold it as a category; shorten the values or leave the column out of --context");
      }
    }
    if (c.categorical) {
      in.kind = DPA_CONTEXT_CATEGORICAL;
      in.categories = c.categories;
      if (in.categories.size() > DPA_MODEL_MAX_VALUE_CATEGORIES) {
        throw ToolError(m.path + ": column '" + n + "' has " + std::to_string(in.categories.size()) +
                        " distinct values; a categorical context value takes at most " +
                        std::to_string(DPA_MODEL_MAX_VALUE_CATEGORIES));
      }
    } else if (log_wide && c.positive_and_wide()) {
      in.transform = DPA_CONTEXT_LOG;
    }
    out.push_back(in);
  }
  return out;
}

ContextTable::ContextTable(const dpa_model& model, const ZooMetrics& m) : per_row_(model.num_context) {
  values_.resize(m.rows() * per_row_);
  for (std::uint32_t i = 0; i < model.num_context; ++i) {
    dpa_context_info info;
    dpa_model_context_info(&model, i, &info);
    names_.push_back(info.name);
    const MetricsColumn* c = m.column(info.name);
    if (c == nullptr) {
      throw ToolError(m.path + ": no column '" + std::string(info.name) + "', which the model reads as context");
    }
    std::vector<float> code_of;  // the zoo's category code -> the model's
    if (info.kind == DPA_CONTEXT_CATEGORICAL) {
      for (const std::string& name : c->categories) {
        float code = NAN;
        dpa_model_context_code(&model, i, name.c_str(), &code);
        code_of.push_back(code);
      }
    } else if (c->categorical) {
      throw ToolError(m.path + ": column '" + c->name + "' holds text, but the model reads it as a number");
    }
    for (std::size_t r = 0; r < m.rows(); ++r) {
      const float v = c->values[r];
      // A categorical zoo column read by a numeric model value was refused above; a numeric zoo
      // column read as categories names them by its numbers' texts, which never match: unseen.
      // A missing value stays NaN, so the row is left out as a diverged run's is.
      values_[r * per_row_ + i] = info.kind != DPA_CONTEXT_CATEGORICAL || std::isnan(v) ? v
                                  : c->categorical ? code_of[static_cast<std::size_t>(v)]
                                                   : static_cast<float>(info.num_categories);
    }
  }
}

bool ContextTable::finite(std::size_t r) const {
  for (std::size_t i = 0; i < per_row_; ++i) {
    if (!std::isfinite(values_[r * per_row_ + i])) return false;
  }
  return true;
}

std::string ContextTable::missing(const std::vector<std::uint64_t>& rows) const {
  std::string s;
  for (std::size_t i = 0; i < per_row_; ++i) {
    std::size_t count = 0;
    for (const std::uint64_t r : rows) count += !std::isfinite(values_[r * per_row_ + i]);
    if (count > 0) s += (s.empty() ? "" : ", ") + printable(names_[i]) + " in " + std::to_string(count) + " rows";
  }
  return s;
}

float context_value(const dpa_model& model, std::uint32_t index, const std::string& text) {
  dpa_context_info info;
  if (dpa_model_context_info(&model, index, &info) != DPA_OK)
    throw ToolError("no context value " + std::to_string(index));
  if (info.kind == DPA_CONTEXT_CATEGORICAL) {
    float code = NAN;
    dpa_model_context_code(&model, index, text.c_str(), &code);
    return code;
  }
  float value = NAN;
  return parse_metric_number(text, &value) ? value : NAN;
}

std::string context_summary(const std::vector<ContextInput>& context) {
  std::string s;
  for (const ContextInput& c : context) {
    s += (s.empty() ? "" : ",") + c.name;
    if (c.kind == DPA_CONTEXT_CATEGORICAL) s += "(" + std::to_string(c.categories.size()) + ")";
    if (c.transform == DPA_CONTEXT_LOG) s += "(log)";
  }
  return s.empty() ? "none" : s;
}

}  // namespace dpa::tools

namespace dpa::tools {

std::string TrainedRanges::provenance() const {
  std::string s;
  char buf[64];
  for (const Range& r : ranges) {
    std::snprintf(buf, sizeof buf, "=%.9g %.9g\n", static_cast<double>(r.low), static_cast<double>(r.high));
    s += "range:" + printable(r.name) + buf;  // a name's line end must not add a key
  }
  return s;
}

TrainedRanges TrainedRanges::of(const dpa_model& model) {
  TrainedRanges out;
  if (model.metadata_text == nullptr) return out;
  std::istringstream lines(std::string(model.metadata_text, model.metadata_text_bytes));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("range:", 0) != 0) continue;
    const std::size_t eq = line.rfind('=');
    float low, high;
    if (eq == std::string::npos || std::sscanf(line.c_str() + eq + 1, "%f %f", &low, &high) != 2) continue;
    out.ranges.push_back({line.substr(6, eq - 6), low, high});
  }
  return out;
}

const TrainedRanges::Range* TrainedRanges::find(const std::string& name) const {
  for (const Range& r : ranges) {
    if (r.name == printable(name)) return &r;  // names are kept escaped
  }
  return nullptr;
}

std::string range_warning(const dpa_model& model, const ContextTable& table) {
  const TrainedRanges trained = TrainedRanges::of(model);
  std::size_t rows_outside = 0, rows = 0;
  std::vector<std::size_t> below(table.per_row()), above(table.per_row()), unseen(table.per_row());
  std::vector<dpa_context_info> info(table.per_row());
  std::vector<const TrainedRanges::Range*> range(table.per_row());
  for (std::uint32_t i = 0; i < table.per_row(); ++i) {
    dpa_model_context_info(&model, i, &info[i]);
    range[i] = trained.find(info[i].name);
  }
  for (std::size_t r = 0; r < table.rows(); ++r) {
    bool outside = false;
    ++rows;
    for (std::size_t i = 0; i < table.per_row(); ++i) {
      const float v = table.row(r)[i];
      if (info[i].kind == DPA_CONTEXT_CATEGORICAL) {
        if (v == static_cast<float>(info[i].num_categories)) outside = ++unseen[i];
      } else if (range[i] != nullptr && v < range[i]->low) {
        outside = ++below[i];
      } else if (range[i] != nullptr && v > range[i]->high) {
        outside = ++above[i];
      }
    }
    rows_outside += outside;
  }
  if (rows_outside == 0) return "";
  std::string s =
      std::to_string(rows_outside) + " of " + std::to_string(rows) + " rows lie outside what the model was trained on:";
  char buf[640];  // names of up to 128 bytes, escaped (4 bytes each at most)
  for (std::size_t i = 0; i < table.per_row(); ++i) {
    if (below[i]) {
      std::snprintf(buf, sizeof buf, " %s below %g (%zu rows);", printable(info[i].name).c_str(),
                    static_cast<double>(range[i]->low), below[i]);
      s += buf;
    }
    if (above[i]) {
      std::snprintf(buf, sizeof buf, " %s above %g (%zu rows);", printable(info[i].name).c_str(),
                    static_cast<double>(range[i]->high), above[i]);
      s += buf;
    }
    if (unseen[i]) {
      std::snprintf(buf, sizeof buf, " %s a category it never saw (%zu rows);", printable(info[i].name).c_str(),
                    unseen[i]);
      s += buf;
    }
  }
  s.pop_back();
  return s;
}

}  // namespace dpa::tools
