// A statistics zoo keeps, per checkpoint, the runtime's per-segment statistics instead of the
// weights (docs/zoo-format.md): statistics.npy (rows x segments * the stored set's statistics)
// and statistics.json naming the set, its statistics in order and the weight vector's length.
// The stored set (extended) holds every statistic of every set, so any set's features are
// copied out of it, bit for bit what the runtime computes from the weights.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dpa/dpa.h"

namespace dpa::tools {

// The set a statistics zoo stores: every other set's statistics are among its own.
constexpr dpa_stats_set kStoredStatsSet = DPA_STATS_EXTENDED;
constexpr const char* kStatisticsFile = "statistics.npy";
constexpr const char* kStatisticsDescriptionFile = "statistics.json";

struct StatisticsDescription {
  std::uint64_t weights_per_row = 0;  // the weight vector's length (the layout's total_length)
  std::uint32_t per_segment = 0;      // statistics per segment in statistics.npy
};

// statistics.json as the writer writes it (one line of JSON).
std::string statistics_description_json(std::uint64_t weights_per_row);
// Reads and checks statistics.json against the runtime's stored set; throws ToolError naming
// the file.
StatisticsDescription read_statistics_description(const std::string& path);

// For each statistic of `set`, its index among the stored set's statistics of a segment.
// Throws ToolError when the stored set lacks one (a set added to the runtime later).
std::vector<std::uint32_t> stored_statistics_of(dpa_stats_set set);

// A segment kind's name as layout.csv names hold it: "bias", "kernel", "other".
const char* segment_kind_name(std::uint32_t kind);

// Statistics rows line up across networks of the same segments (count and kinds), of any lengths
// (a swept width). Throws ToolError naming `what` (the other network's place), both layouts'
// segments, and whose the reference ones are ("this sweep's", "the zoo's").
void check_same_segments(const dpa_layout& reference, const dpa_layout& other, const std::string& what,
                         const std::string& reference_name);

// One row of stored statistics (num_segments * per_segment floats) to `set`'s features
// (num_segments * |set| floats). Returns false when a feature is not finite (NaN: a segment
// whose weights held NaN/Inf; Inf: a statistic that overflowed), as row_is_finite says.
bool select_statistics(const float* stored, std::uint32_t num_segments, std::uint32_t per_segment,
                       const std::vector<std::uint32_t>& chosen, float* out);

class ZooDataset;

struct StatisticsZooRun {
  std::uint64_t rows = 0, non_finite_rows = 0, bytes = 0;  // bytes: the new zoo's files
  double seconds = 0;
};

// Writes `zoo` as a statistics zoo into out_dir (absent or empty; anything else is refused, since
// a writer never replaces what it did not write): statistics.npy computed from the weights by the
// runtime, statistics.json, and layout.csv and the metrics file copied byte for byte.
// statistics.npy comes last, so an interrupted conversion never looks like a zoo; on an error
// the files written so far are removed.
StatisticsZooRun write_statistics_zoo(const ZooDataset& zoo, const std::string& out_dir, unsigned threads,
                                      const std::function<void(std::uint64_t)>& progress = {});

}  // namespace dpa::tools
