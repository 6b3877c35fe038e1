// The release format's metrics.csv.gz from the appending writer's metrics.jsonl: what the paper's
// code (and pandas) read. An unnamed first column (the checkpoint's path, as in the released
// zoo), then every name any line has, sorted; a name a line lacks (or null) is an empty cell.
#pragma once

#include <cstdint>
#include <string>

namespace dpa::tools {

constexpr const char* kReleaseMetricsFile = "metrics.csv.gz";

// Writes dir/metrics.csv.gz (whole or not at all) from the first `rows` lines of
// dir/metrics.jsonl. Throws ToolError naming the file.
void write_release_metrics(const std::string& dir, std::uint64_t rows);

}  // namespace dpa::tools
