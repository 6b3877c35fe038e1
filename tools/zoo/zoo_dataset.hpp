// A zoo directory in the release format: weights.npy (memory-mapped), metrics.csv.gz (the columns
// the tool needs), layout.csv. Opening cross-checks them and names the file and row of any fault.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dpa/dpa.h"
#include "zoo/npy_file.hpp"

namespace dpa::tools {

struct LayoutSegment {
  std::string name;
  dpa_segment segment;
};

// layout.csv: varname, start_idx, end_idx, shape. Throws ToolError naming the file and row.
std::vector<LayoutSegment> read_layout_csv(const std::string& path, std::uint64_t num_weights);

struct ZooMetrics {
  std::vector<std::string> modeldir;    // run id per row
  std::vector<std::uint32_t> step;      // epoch of the checkpoint
  std::vector<float> test_accuracy;
  std::vector<std::uint32_t> epochs;    // config.epochs: the run's planned last step
  std::vector<std::string> activation, optimizer, w_init;
  std::size_t rows() const { return step.size(); }
};

ZooMetrics read_metrics_csv(const std::string& path);

class ZooDataset {
 public:
  explicit ZooDataset(const std::string& dir);  // throws ToolError

  const std::string& dir() const { return dir_; }
  const NpyMatrix& weights() const { return *weights_; }
  const ZooMetrics& metrics() const { return metrics_; }
  const std::vector<LayoutSegment>& layout_segments() const { return layout_; }
  dpa_layout layout() const;
  std::uint64_t rows() const { return weights_->rows(); }

 private:
  std::string dir_;
  std::unique_ptr<NpyMatrix> weights_;
  ZooMetrics metrics_;
  std::vector<LayoutSegment> layout_;
  std::vector<dpa_segment> segments_;
};

}  // namespace dpa::tools
