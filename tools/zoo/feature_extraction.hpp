// The weights block of every row of a zoo (or of chosen rows), in blocks, on several threads,
// with memory bounded regardless of the number of rows: the runtime's statistics (the same code
// the device runs) or the raw weights themselves.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "dpa/dpa.h"
#include "zoo/zoo_dataset.hpp"

namespace dpa::tools {

// What a model's weights block holds per row.
struct WeightBlock {
  dpa_input_kind kind = DPA_INPUT_STATISTICS;           // DPA_INPUT_STATISTICS or DPA_INPUT_RAW_WEIGHTS
  dpa_stats_set set = DPA_STATS_PAPER;                  // statistics: which set
  std::size_t per_row(const dpa_layout& layout) const;  // 0 for an unknown set or kind
};

// The one definition of a usable row, for every reader of weights, statistics and features: every
// value finite (no NaN, no ±Inf; finite weights near 3e38 can give an infinite l2_norm).
bool row_is_finite(const float* values, std::size_t count);

struct FeatureRun {
  std::uint64_t rows = 0;
  std::uint64_t non_finite_rows = 0;  // rows whose features are not all finite (row_is_finite)
  double seconds = 0;
};

using FeatureSink = std::function<void(std::uint64_t first, std::uint64_t count, const float* features)>;

// Calls sink(first, count, features) for consecutive blocks in order; features holds
// count * per_row floats. rows: the zoo rows to compute, in this order (nullptr: every row);
// `first` indexes that list. progress(rows_done) is called after each block. Pages of rows done
// with are released as it goes.
FeatureRun extract_features(const NpyMatrix& weights, const dpa_layout& layout, WeightBlock block, unsigned threads,
                            const std::vector<std::uint64_t>* rows, const FeatureSink& sink,
                            const std::function<void(std::uint64_t)>& progress = {});

// The same for a zoo: computed from its weights, or copied from a statistics zoo's stored
// statistics (bit for bit the same values); raw weights of a statistics zoo are a ToolError.
FeatureRun extract_features(const ZooDataset& zoo, WeightBlock block, unsigned threads,
                            const std::vector<std::uint64_t>* rows, const FeatureSink& sink,
                            const std::function<void(std::uint64_t)>& progress = {});

// Statistics of every row.
inline FeatureRun extract_features(const NpyMatrix& weights, const dpa_layout& layout, dpa_stats_set set,
                                   unsigned threads, const FeatureSink& sink,
                                   const std::function<void(std::uint64_t)>& progress = {}) {
  return extract_features(weights, layout, {DPA_INPUT_STATISTICS, set}, threads, nullptr, sink, progress);
}

}  // namespace dpa::tools
