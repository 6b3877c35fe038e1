// A zoo directory in the release format: weights.npy (memory-mapped), metrics.csv.gz (the columns
// the tool needs), layout.csv. Opening cross-checks them and names the file and row of any fault.
// A statistics zoo holds statistics.npy (zoo/stored_statistics.hpp) in place of weights.npy.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dpa/dpa.h"
#include "zoo/csv_reader.hpp"  // parse_metric_number
#include "zoo/npy_file.hpp"

namespace dpa::tools {

struct LayoutSegment {
  std::string name;
  dpa_segment segment;
};

// layout.csv: varname, start_idx, end_idx, shape. Throws ToolError naming the file and row.
// num_weights: the networks' weight count, as `source` says it (a statistics zoo has no weights.npy).
std::vector<LayoutSegment> read_layout_csv(const std::string& path, std::uint64_t num_weights,
                                           const std::string& source = "weights.npy rows hold");

// A column of metrics.csv as numbers when every value is one, else as categories: each row holds
// the code of its value, the value's index in `categories` (sorted). An empty value is missing,
// NaN in either kind, never a category.
struct MetricsColumn {
  std::string name;
  bool categorical = false;
  std::vector<float> values;
  std::vector<std::string> categories;
  bool varies() const;             // more than one distinct value (NaN counts as one)
  bool positive_and_wide() const;  // numbers, all > 0, spanning at least two decades
};

struct ZooMetrics {
  std::vector<std::string> modeldir;  // run id per row
  std::vector<std::uint32_t> step;    // epoch of the checkpoint
  std::vector<float> test_accuracy;
  std::vector<std::uint32_t> epochs;   // config.epochs: the run's planned last step
  std::vector<MetricsColumn> columns;  // every named column but modeldir, in file order
  std::size_t num_rows = 0;
  std::string path;
  std::size_t rows() const { return num_rows; }
  // The column of that name, or nullptr.
  const MetricsColumn* column(const std::string& name) const;
};

// The zoo directory's own name: "fmnist-ref" for "../shared/zoo/fmnist-ref/", the current
// directory's name for ".".
std::string zoo_name(const std::string& dir);

// A zoo's metrics file: metrics.jsonl (the appending writer's), metrics.csv.gz or metrics.csv,
// the first that is there (a writer's metrics.csv.gz is an export of its metrics.jsonl).
std::string metrics_file(const std::string& dir);

// metrics.csv(.gz), or metrics.jsonl when the path ends so.
// required: modeldir, step, test_accuracy and config.epochs must be there (a zoo); otherwise only
// the generic columns are read (context values for `dpa predict --metrics`).
// max_rows: the zoo's weights row count. CSV: more rows are an error as soon as they are read.
// JSON lines: the lines after it are an append in progress, not read.
ZooMetrics read_metrics_csv(const std::string& path, bool required = true, std::uint64_t max_rows = UINT64_MAX);

class ZooDataset {
 public:
  enum class Metrics { kRead, kSkip };
  // Throws ToolError. kSkip: weights and layout only (dpa features needs no metrics; reading a
  // full zoo's metrics.csv.gz takes seconds); metrics() is then empty.
  explicit ZooDataset(const std::string& dir, Metrics metrics = Metrics::kRead);

  const std::string& dir() const { return dir_; }
  // The weights; a statistics zoo has none: throws ToolError naming the zoo and `why`.
  const NpyMatrix& weights(const char* why = "this needs the weights themselves") const;
  // statistics.npy of a statistics zoo, else nullptr.
  const NpyMatrix* stored_statistics() const { return statistics_.get(); }
  // The file whose rows are the zoo's checkpoints: weights.npy or statistics.npy.
  const NpyMatrix& row_file() const { return weights_ ? *weights_ : *statistics_; }
  const ZooMetrics& metrics() const { return metrics_; }
  const std::vector<LayoutSegment>& layout_segments() const { return layout_; }
  dpa_layout layout() const;
  std::uint64_t rows() const { return row_file().rows(); }
  std::uint64_t weights_per_row() const { return weights_per_row_; }

 private:
  std::string dir_;
  std::unique_ptr<NpyMatrix> weights_, statistics_;
  std::uint64_t weights_per_row_ = 0;
  ZooMetrics metrics_;
  std::vector<LayoutSegment> layout_;
  std::vector<dpa_segment> segments_;
};

}  // namespace dpa::tools
