// Features of every row of a zoo, in blocks, on several threads, with memory bounded regardless
// of the number of rows: the runtime's statistics, the same code the device runs.
#pragma once

#include <cstdint>
#include <functional>

#include "zoo/zoo_dataset.hpp"

namespace dpa::tools {

struct FeatureRun {
  std::uint64_t rows = 0;
  std::uint64_t non_finite_rows = 0;  // rows whose features hold NaN
  double seconds = 0;
};

// Calls sink(first_row, num_rows, features) for consecutive blocks in row order; features holds
// num_rows * feature_count floats. progress(rows_done) is called after each block.
FeatureRun extract_features(const NpyMatrix& weights, const dpa_layout& layout, dpa_stats_set set,
                            unsigned threads,
                            const std::function<void(std::uint64_t, std::uint64_t, const float*)>& sink,
                            const std::function<void(std::uint64_t)>& progress = {});

}  // namespace dpa::tools
