#include "zoo/stored_statistics.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "common/files.hpp"
#include "common/stats_options.hpp"
#include "dpa/dpa.hpp"
#include "zoo/feature_extraction.hpp"
#include "zoo/npy_file.hpp"
#include "zoo/zoo_dataset.hpp"

namespace dpa::tools {

std::string statistics_description_json(std::uint64_t weights_per_row) {
  nlohmann::json names = nlohmann::json::array();
  const std::uint32_t n = dpa_stats_per_segment(kStoredStatsSet);
  for (std::uint32_t i = 0; i < n; ++i) names.push_back(dpa_stats_name(kStoredStatsSet, i));
  const nlohmann::json j = {{"format", "dpa-statistics-zoo"},
                            {"version", 1},
                            {"statistics", stats_set_name(kStoredStatsSet)},
                            {"names", names},
                            {"weights_per_row", weights_per_row}};
  return j.dump() + "\n";
}

StatisticsDescription read_statistics_description(const std::string& path) {
  check_input_file(path);
  const nlohmann::json j = nlohmann::json::parse(read_file(path), nullptr, false);
  auto fail = [&](const std::string& what) -> ToolError { return ToolError(path + ": " + what); };
  if (j.is_discarded() || !j.is_object()) throw fail("not a JSON object");
  if (j.value("format", "") != "dpa-statistics-zoo") throw fail("'format' is not \"dpa-statistics-zoo\"");
  if (!j.contains("version") || !j["version"].is_number_unsigned() || j["version"].get<std::uint64_t>() != 1)
    throw fail("version other than 1 (written by a later dpa?)");
  const std::string set = j.value("statistics", "");
  if (set != stats_set_name(kStoredStatsSet))
    throw fail("stores the '" + set + "' statistics; this dpa reads '" + stats_set_name(kStoredStatsSet) + "'");
  const std::uint32_t n = dpa_stats_per_segment(kStoredStatsSet);
  const auto& names = j.contains("names") ? j["names"] : nlohmann::json();
  if (!names.is_array() || names.size() != n) throw fail("'names' must list " + std::to_string(n) + " statistics");
  for (std::uint32_t i = 0; i < n; ++i) {
    if (!names[i].is_string() || names[i].get<std::string>() != dpa_stats_name(kStoredStatsSet, i))
      throw fail("statistic " + std::to_string(i) + " is not '" + dpa_stats_name(kStoredStatsSet, i) + "'");
  }
  if (!j.contains("weights_per_row") || !j["weights_per_row"].is_number_unsigned() ||
      j["weights_per_row"].get<std::uint64_t>() == 0 || j["weights_per_row"].get<std::uint64_t>() > (1ull << 30))
    throw fail("'weights_per_row' must be a whole number from 1 to 2^30");
  return {j["weights_per_row"].get<std::uint64_t>(), n};
}

std::vector<std::uint32_t> stored_statistics_of(dpa_stats_set set) {
  std::vector<std::uint32_t> out;
  const std::uint32_t stored = dpa_stats_per_segment(kStoredStatsSet);
  for (std::uint32_t i = 0; i < dpa_stats_per_segment(set); ++i) {
    const std::string name = dpa_stats_name(set, i);
    std::uint32_t k = 0;
    while (k < stored && name != dpa_stats_name(kStoredStatsSet, k)) ++k;
    if (k == stored) throw ToolError("statistic '" + name + "' is not among those a statistics zoo stores");
    out.push_back(k);
  }
  return out;
}

const char* segment_kind_name(std::uint32_t kind) {
  return kind == DPA_SEGMENT_BIAS ? "bias" : kind == DPA_SEGMENT_KERNEL ? "kernel" : "other";
}

namespace {

std::string segment_kinds(const dpa_layout& l) {
  std::string out;
  for (std::uint32_t i = 0; i < l.num_segments; ++i)
    out += std::string(i ? "," : "") + segment_kind_name(l.segments[i].kind);
  return out;
}

}  // namespace

void check_same_segments(const dpa_layout& reference, const dpa_layout& other, const std::string& what,
                         const std::string& reference_name) {
  bool same = other.num_segments == reference.num_segments;
  for (std::uint32_t i = 0; same && i < reference.num_segments; ++i)
    same = other.segments[i].kind == reference.segments[i].kind;
  if (!same) {
    throw ToolError(what + ": networks of " + std::to_string(other.num_segments) + " segments (" +
                    segment_kinds(other) + "); " + reference_name + " have " + std::to_string(reference.num_segments) +
                    " (" + segment_kinds(reference) +
                    "): statistics line up only across networks of the same segments, count and kinds");
  }
}

bool select_statistics(const float* stored, std::uint32_t num_segments, std::uint32_t per_segment,
                       const std::vector<std::uint32_t>& chosen, float* out) {
  bool finite = true;
  for (std::uint32_t s = 0; s < num_segments; ++s) {
    for (const std::uint32_t k : chosen) {
      const float v = stored[std::size_t{s} * per_segment + k];
      finite &= std::isfinite(v);  // as row_is_finite (zoo/feature_extraction)
      *out++ = v;
    }
  }
  return finite;
}

namespace {

// Creates dir, or accepts it when it exists and is empty. Returns whether it created it.
bool claim_empty_directory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0) return true;
  if (errno != EEXIST) throw ToolError(dir + ": cannot create: " + std::strerror(errno));
  if (!directory_entries(dir).empty())
    throw ToolError(dir + ": not empty; the zoo is written only into a new or empty directory");
  return false;
}

std::uint64_t copy_file_atomically(const std::string& from, const std::string& to) {
  check_input_file(from);
  std::ifstream in(from, std::ios::binary);
  if (!in) throw ToolError(from + ": cannot open");
  AtomicFile out(to);
  std::vector<char> buffer(1 << 20);
  std::uint64_t bytes = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    out.write(buffer.data(), got);
    bytes += got;
  }
  if (in.bad()) throw ToolError(from + ": read error");
  out.commit();
  return bytes;
}

}  // namespace

StatisticsZooRun write_statistics_zoo(const ZooDataset& zoo, const std::string& out_dir, unsigned threads,
                                      const std::function<void(std::uint64_t)>& progress) {
  if (zoo.stored_statistics()) throw ToolError(zoo.dir() + ": already a statistics zoo");
  const std::string metrics_path = metrics_file(zoo.dir());
  const std::string metrics = metrics_path.substr(metrics_path.rfind('/') + 1);
  const dpa_layout layout = zoo.layout();
  const bool created = claim_empty_directory(out_dir);
  const std::string files[] = {kStatisticsDescriptionFile, "layout.csv", metrics, kStatisticsFile};
  StatisticsZooRun run;
  try {
    const std::string description = statistics_description_json(layout.total_length);
    write_file_atomically(out_dir + "/" + kStatisticsDescriptionFile, description.data(), description.size());
    run.bytes += description.size();
    run.bytes += copy_file_atomically(zoo.dir() + "/layout.csv", out_dir + "/layout.csv");
    run.bytes += copy_file_atomically(zoo.dir() + "/" + metrics, out_dir + "/" + metrics);
    const std::size_t per_row = feature_count(layout, kStoredStatsSet);
    NpyWriter writer(out_dir + "/" + kStatisticsFile, zoo.rows(), per_row);
    const FeatureRun features = extract_features(
        zoo.weights(), layout, {DPA_INPUT_STATISTICS, kStoredStatsSet}, threads, nullptr,
        [&](std::uint64_t, std::uint64_t count, const float* block) { writer.append(block, count); }, progress);
    writer.commit();
    run.rows = features.rows;
    run.non_finite_rows = features.non_finite_rows;
    run.seconds = features.seconds;
    struct stat st {};
    if (::stat((out_dir + "/" + kStatisticsFile).c_str(), &st) == 0)
      run.bytes += static_cast<std::uint64_t>(st.st_size);
  } catch (...) {
    for (const std::string& f : files) ::unlink((out_dir + "/" + f).c_str());
    if (created) ::rmdir(out_dir.c_str());
    throw;
  }
  return run;
}

}  // namespace dpa::tools
