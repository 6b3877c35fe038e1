#include "zoo/zoo_dataset.hpp"

#include <cctype>
#include <cmath>

#include "common/cli_args.hpp"
#include "common/files.hpp"
#include "zoo/csv_reader.hpp"

namespace dpa::tools {
namespace {

std::uint64_t parse_index(const std::string& text, const CsvReader& r, const std::string& column) {
  const double v = parse_csv_number(text, r, column);
  // Range first: converting an out-of-range double to an integer is undefined (found by fuzz_csv).
  if (v < 0 || v > 4294967295.0 || v != std::floor(v)) {
    throw ToolError(r.path() + ":" + std::to_string(r.line()) + ": column '" + column + "': '" +
                    text + "' is not a valid index");
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

std::vector<LayoutSegment> read_layout_csv(const std::string& path, std::uint64_t num_weights) {
  CsvReader r(path);
  const std::size_t name_col = r.column("varname"), start_col = r.column("start_idx"),
                    end_col = r.column("end_idx");
  const std::size_t shape_col = r.column("shape");
  std::vector<LayoutSegment> out;
  std::vector<std::string> f;
  while (r.next(f)) {
    const std::string where = path + ":" + std::to_string(r.line());
    const std::uint64_t start = parse_index(f[start_col], r, "start_idx");
    const std::uint64_t end = parse_index(f[end_col], r, "end_idx");
    if (end <= start) throw ToolError(where + ": end_idx " + std::to_string(end) + " is not after start_idx " + std::to_string(start));
    if (end > num_weights) {
      throw ToolError(where + ": segment ends at " + std::to_string(end) + " but weights.npy rows hold " +
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
  if (out.size() > DPA_MAX_SEGMENTS) throw ToolError(path + ": more than " + std::to_string(DPA_MAX_SEGMENTS) + " segments");
  return out;
}

ZooMetrics read_metrics_csv(const std::string& path) {
  CsvReader r(path);
  const std::size_t modeldir = r.column("modeldir"), step = r.column("step"),
                    accuracy = r.column("test_accuracy"), epochs = r.column("config.epochs");
  // Optional descriptive columns, for `dpa zoo info`.
  auto optional = [&](const char* name) -> long {
    for (std::size_t i = 0; i < r.header().size(); ++i) {
      if (r.header()[i] == name) return static_cast<long>(i);
    }
    return -1;
  };
  const long activation = optional("config.activation"), optimizer = optional("config.optimizer"),
             w_init = optional("config.w_init");
  ZooMetrics m;
  std::vector<std::string> f;
  while (r.next(f)) {
    m.modeldir.push_back(f[modeldir]);
    m.step.push_back(static_cast<std::uint32_t>(parse_index(f[step], r, "step")));
    m.test_accuracy.push_back(static_cast<float>(parse_csv_number(f[accuracy], r, "test_accuracy")));
    m.epochs.push_back(static_cast<std::uint32_t>(parse_index(f[epochs], r, "config.epochs")));
    m.activation.push_back(activation >= 0 ? f[static_cast<std::size_t>(activation)] : "");
    m.optimizer.push_back(optimizer >= 0 ? f[static_cast<std::size_t>(optimizer)] : "");
    m.w_init.push_back(w_init >= 0 ? f[static_cast<std::size_t>(w_init)] : "");
  }
  return m;
}

ZooDataset::ZooDataset(const std::string& dir) : dir_(dir) {
  weights_ = std::make_unique<NpyMatrix>(dir + "/weights.npy");
  const std::string metrics_gz = dir + "/metrics.csv.gz", metrics_plain = dir + "/metrics.csv";
  const std::string metrics_path = is_readable(metrics_gz) ? metrics_gz : metrics_plain;
  metrics_ = read_metrics_csv(metrics_path);
  if (metrics_.rows() != weights_->rows()) {
    throw ToolError(metrics_path + ": " + std::to_string(metrics_.rows()) + " rows but weights.npy has " +
                    std::to_string(weights_->rows()));
  }
  layout_ = read_layout_csv(dir + "/layout.csv", weights_->cols());
  for (const LayoutSegment& s : layout_) segments_.push_back(s.segment);
  const dpa_layout l = layout();
  if (dpa_layout_check(&l) != DPA_OK) throw ToolError(dir + "/layout.csv: invalid layout");
}

dpa_layout ZooDataset::layout() const {
  return {segments_.data(), static_cast<std::uint32_t>(segments_.size()),
          static_cast<std::uint32_t>(weights_->cols())};
}

}  // namespace dpa::tools
