// The one writer of the zoo format (docs/zoo-format.md): appends checkpoints to a zoo directory,
// one at a time, as a sweep meets them. Per checkpoint it stores the weights (weights.npy) or the
// runtime's statistics of them (a statistics zoo, zoo/stored_statistics), and its metrics as a
// line of metrics.jsonl. Nothing is rewritten: an add appends its row and line, then commits by
// raising the row count in the npy header; memory and time per add do not grow with the zoo.
// Several writers (processes) may append to one directory: each add holds the directory's lock.
// A writer killed at any moment leaves the zoo readable with the rows committed so far; the next
// writer cuts the uncommitted tail.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dpa/dpa.h"

namespace dpa::tools {

enum class ZooStore { kWeights, kStatistics };
const char* zoo_store_name(ZooStore store);         // "weights", "statistics"
ZooStore parse_zoo_store(const std::string& name);  // throws UsageError

// The checks a metrics row gets before it is written, the same the zoo reader applies: a JSON
// object whose modeldir is a non-empty text, step and config.epochs whole numbers >= 0,
// test_accuracy a finite number, every other value a number finite as a float, a text, true,
// false or null (missing), every name non-empty. Returns the line to write (no line end);
// throws ToolError naming the value.
std::string checked_metrics_line(const std::string& metrics_json);

// What a caller may add to the zoo's directory besides the writer's own files.
struct ZooWriterOptions {
  // layout.csv's varname and shape per segment ("conv1/bias:0", "(16,)"); empty: "segmentK/KIND:0".
  std::vector<std::string> segment_names, segment_shapes;
  // Files of the caller's own in the directory (zoo train's job record), which the writer accepts.
  std::vector<std::string> companions;
};

class ZooWriter {
 public:
  // Opens dir for appending, creating it and its files when it is absent or empty. Throws
  // ToolError for a directory holding anything this writer did not write (a released zoo, other
  // files), a zoo of another layout or store, or damaged files. A statistics zoo takes networks of
  // the same segments (count and kinds) of other lengths too: its rows are per segment.
  ZooWriter(const std::string& dir, const dpa_layout& layout, ZooStore store, ZooWriterOptions options = {});
  ~ZooWriter();
  ZooWriter(const ZooWriter&) = delete;
  ZooWriter& operator=(const ZooWriter&) = delete;

  // One checkpoint: the layout's total_length weights (NaN/Inf allowed: a diverged run) and its
  // metrics (a JSON object, checked by checked_metrics_line). Committed when it returns.
  void add(const float* weights, std::size_t num_weights, const std::string& metrics_json);
  // The same with the row already made: a statistics zoo's row is the stored statistics of the
  // weights (zoo/stored_statistics; what dpa::FeatureExtractor computes for the stored set), a
  // weights zoo's the weights. Returns the committed row's index.
  std::uint64_t add_row(const float* row, std::size_t count, const std::string& metrics_json);
  // Several rows (values_per_row values each, one after the other) committed at once: a reader sees all of
  // them or none (zoo train commits a run whole). Returns the first row's index.
  std::uint64_t add_rows(const float* rows, std::size_t values_per_row, const std::vector<std::string>& metrics_json);
  // Rows in the zoo as of this writer's last add or open (other writers may have added more).
  std::uint64_t rows() const;
  // Writes the release format's metrics.csv.gz of the rows committed now (zoo/release_metrics),
  // for the paper's code and pandas; the next add removes it (it would hold fewer rows).
  void write_release_metrics();
  // Flushes the files to the disk (fdatasync).
  void sync();
  const std::string& dir() const;
  // The zoo's layout (layout.csv): this writer's, or for a statistics zoo made by a network of
  // the same segments but other lengths, that network's. Valid while the writer lives.
  dpa_layout recorded_layout() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dpa::tools
