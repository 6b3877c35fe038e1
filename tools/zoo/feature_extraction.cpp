#include "zoo/feature_extraction.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/errors.hpp"
#include "common/parallel.hpp"
#include "common/text_format.hpp"
#include "dpa/dpa.hpp"
#include "zoo/stored_statistics.hpp"

namespace dpa::tools {

bool row_is_finite(const float* values, std::size_t count) {
  bool finite = true;
  for (std::size_t i = 0; i < count; ++i) finite &= std::isfinite(values[i]);
  return finite;
}

std::size_t WeightBlock::per_row(const dpa_layout& layout) const {
  if (kind == DPA_INPUT_RAW_WEIGHTS) return layout.total_length;
  if (kind == DPA_INPUT_STATISTICS) return feature_count(layout, set);
  return 0;
}

FeatureRun extract_features(const NpyMatrix& weights, const dpa_layout& layout, WeightBlock what, unsigned threads,
                            const std::vector<std::uint64_t>* list, const FeatureSink& sink,
                            const std::function<void(std::uint64_t)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  const std::size_t per_row = what.per_row(layout);
  if (per_row == 0) throw ToolError("unknown statistics set or weights block");
  if (dpa_layout_check(&layout) != DPA_OK) throw ToolError("invalid layout");
  if (what.kind == DPA_INPUT_RAW_WEIGHTS && layout.total_length != weights.cols()) {
    throw ToolError(weights.path() + ": rows hold " + std::to_string(weights.cols()) + " weights, the layout " +
                    std::to_string(layout.total_length));
  }
  threads = threads == 0 ? 1 : threads;
  constexpr std::uint64_t kBlockRows = 2048;  // bounds memory: block features + rows in flight
  const std::uint64_t rows = list ? list->size() : weights.rows(), cols = weights.cols();
  if (list) {
    for (const std::uint64_t r : *list) {
      if (r >= weights.rows()) throw ToolError(weights.path() + ": row " + std::to_string(r) + " out of range");
    }
  }
  std::vector<float> block(std::min(kBlockRows, rows) * per_row);
  ThreadPool pool(threads);
  std::atomic<std::uint64_t> non_finite{0};
  FeatureRun run;
  for (std::uint64_t first = 0; first < rows; first += kBlockRows) {
    const std::uint64_t count = std::min(kBlockRows, rows - first);
    // Pages of these rows leave our resident set when the chunk ends, with this iteration.
    const NpyRowChunk chunk(weights, list ? list->data() + first : nullptr, first, count);
    auto work = [&](unsigned t) {
      dpa::FeatureExtractor fx(layout, what.set);
      std::vector<float> converted;  // sized by the chunk when its rows need a copy
      std::uint64_t bad = 0;
      for (std::uint64_t r = t; r < count; r += threads) {
        const float* w = chunk.row(r, converted);
        float* out = block.data() + r * per_row;
        if (what.kind == DPA_INPUT_RAW_WEIGHTS) {
          std::memcpy(out, w, per_row * sizeof(float));
          if (!row_is_finite(w, per_row)) {
            ++bad;
            for (std::size_t c = 0; c < per_row; ++c)
              if (!std::isfinite(out[c])) out[c] = NAN;
          }
          continue;
        }
        const dpa_status s = fx.compute(w, cols, out, per_row);
        if (s != DPA_OK && s != DPA_ERR_NON_FINITE) throw ToolError(dpa_status_string(s));
        bad += !row_is_finite(out, per_row);
      }
      non_finite += bad;
    };
    pool.parallel_for(threads, [&](std::size_t t) { work(static_cast<unsigned>(t)); });
    sink(first, count, block.data());
    if (progress) progress(first + count);
  }
  run.rows = rows;
  run.non_finite_rows = non_finite.load();
  run.seconds = seconds_since(start);
  return run;
}

namespace {

// A statistics zoo's rows: each set's statistics copied out of the stored ones.
FeatureRun copy_stored_statistics(const NpyMatrix& stored, const dpa_layout& layout, dpa_stats_set set,
                                  const std::vector<std::uint64_t>* list, const FeatureSink& sink,
                                  const std::function<void(std::uint64_t)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::uint32_t> chosen = stored_statistics_of(set);
  const std::size_t per_row = chosen.size() * layout.num_segments;
  const auto per_segment = static_cast<std::uint32_t>(stored.cols() / layout.num_segments);
  constexpr std::uint64_t kBlockRows = 4096;
  const std::uint64_t rows = list ? list->size() : stored.rows();
  if (list) {
    for (const std::uint64_t r : *list) {
      if (r >= stored.rows()) throw ToolError(stored.path() + ": row " + std::to_string(r) + " out of range");
    }
  }
  std::vector<float> block(std::min(kBlockRows, rows) * per_row), converted;
  FeatureRun run;
  for (std::uint64_t first = 0; first < rows; first += kBlockRows) {
    const std::uint64_t count = std::min(kBlockRows, rows - first);
    const NpyRowChunk chunk(stored, list ? list->data() + first : nullptr, first, count);
    for (std::uint64_t r = 0; r < count; ++r) {
      run.non_finite_rows += !select_statistics(chunk.row(r, converted), layout.num_segments, per_segment, chosen,
                                                block.data() + r * per_row);
    }
    sink(first, count, block.data());
    if (progress) progress(first + count);
  }
  run.rows = rows;
  run.seconds = seconds_since(start);
  return run;
}

}  // namespace

FeatureRun extract_features(const ZooDataset& zoo, WeightBlock block, unsigned threads,
                            const std::vector<std::uint64_t>* rows, const FeatureSink& sink,
                            const std::function<void(std::uint64_t)>& progress) {
  const dpa_layout layout = zoo.layout();
  if (zoo.stored_statistics() == nullptr || block.kind != DPA_INPUT_STATISTICS) {
    return extract_features(zoo.weights("raw weights as inputs need the weights themselves"), layout, block, threads,
                            rows, sink, progress);
  }
  return copy_stored_statistics(*zoo.stored_statistics(), layout, block.set, rows, sink, progress);
}

}  // namespace dpa::tools
