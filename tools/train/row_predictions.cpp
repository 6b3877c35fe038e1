#include "train/row_predictions.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>

#include "common/errors.hpp"
#include "common/parallel.hpp"
#include "common/progress.hpp"
#include "dpa/dpa.hpp"
#include "zoo/feature_extraction.hpp"

namespace dpa::tools {

RowPredictions predict_rows(const dpa_model& model, const NpyMatrix& weights, const ContextTable& context,
                            const std::vector<std::uint64_t>* rows, unsigned threads, bool show_progress) {
  const bool reads_weights = model.feature_kind != DPA_INPUT_CONTEXT;
  const std::size_t n = rows ? rows->size() : weights.rows();
  RowPredictions out;
  out.values.assign(n, NAN);
  out.statuses.assign(n, DPA_OK);
  ThreadPool pool(std::max(1u, threads));
  constexpr std::size_t kChunk = 256;
  const std::size_t chunks = (n + kChunk - 1) / kChunk;
  std::atomic<std::size_t> chunks_done{0};
  Progress progress("predicting", n, show_progress);
  std::mutex progress_lock;
  pool.parallel_for(chunks, [&](std::size_t c) {
    std::vector<unsigned char> scratch(dpa_model_scratch_size(&model) + 64);
    std::vector<float> converted;  // sized by the chunk when its rows need a copy
    const std::size_t first = c * kChunk, count = std::min(kChunk, n - first);
    // Its pages leave our resident set when the chunk ends. A model of context values alone reads
    // no weights: an empty chunk touches none.
    const NpyRowChunk chunk(weights, rows ? rows->data() + first : nullptr, first, reads_weights ? count : 0);
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint64_t row = rows ? (*rows)[first + i] : first + i;
      const dpa_inputs in = reads_weights ? context.inputs(chunk.row(i, converted), weights.cols(), row)
                                          : context.inputs(nullptr, 0, row);
      out.statuses[first + i] =
          dpa_model_predict_inputs(&model, &in, &out.values[first + i], scratch.data(), scratch.size());
    }
    const std::size_t done = ++chunks_done;
    const std::lock_guard<std::mutex> hold(progress_lock);
    progress.update(std::min(n, done * kChunk));
  });
  return out;
}

namespace {

// A model's features of one row from its statistics (already the model's set) and its context
// values, block after block as the runtime assembles them; the first failing block's status.
dpa_status row_features(const dpa_model& model, const float* statistics, std::size_t num_statistics,
                        const dpa_inputs& in, bool statistics_finite, float* features) {
  dpa_status status = DPA_OK;
  std::size_t offset = 0;
  for (std::uint32_t b = 0; b < model.num_input_blocks; ++b) {
    if (model.input_blocks[b] == DPA_INPUT_STATISTICS) {
      std::copy(statistics, statistics + num_statistics, features + offset);
      if (status == DPA_OK && !statistics_finite) status = DPA_ERR_NON_FINITE;
      offset += num_statistics;
    } else if (model.input_blocks[b] == DPA_INPUT_CONTEXT) {
      const dpa_status s =
          dpa_model_context_features(&model, in.context, in.num_context, features + offset, model.num_context);
      if (status == DPA_OK) status = s;
      offset += model.num_context;
    } else {
      throw ToolError("a model reading raw weights cannot predict a statistics zoo");
    }
  }
  return status;
}

}  // namespace

RowPredictions predict_rows(const dpa_model& model, const ZooDataset& zoo, const ContextTable& context,
                            const std::vector<std::uint64_t>* rows, unsigned threads, bool show_progress) {
  if (zoo.stored_statistics() == nullptr || model.feature_kind == DPA_INPUT_CONTEXT) {
    return predict_rows(model, zoo.row_file(), context, rows, threads, show_progress);
  }
  if (model.feature_kind != DPA_INPUT_STATISTICS) {
    zoo.weights("the model reads raw weights");  // throws: a statistics zoo has none
  }
  // The stored statistics are of the zoo's segments; the model computes its own segments' from
  // weights, so here they must be the same segments.
  const dpa_layout layout = zoo.layout();
  bool same = layout.num_segments == model.layout.num_segments;
  for (std::uint32_t s = 0; same && s < layout.num_segments; ++s) {
    same = layout.segments[s].offset == model.layout.segments[s].offset &&
           layout.segments[s].length == model.layout.segments[s].length;
  }
  if (!same) {
    throw ToolError(zoo.dir() +
                    ": a statistics zoo of other segments than the model's (layout.csv): its statistics "
                    "are not the model's inputs");
  }
  const std::size_t n = rows ? rows->size() : zoo.rows();
  RowPredictions out;
  out.values.assign(n, NAN);
  out.statuses.assign(n, DPA_OK);
  Progress progress("predicting", n, show_progress);
  std::vector<unsigned char> scratch(dpa_model_scratch_size(&model) + 64);
  std::vector<float> features(model.num_features);
  const std::size_t per_row = feature_count(layout, model.stats_set);
  extract_features(
      zoo, {DPA_INPUT_STATISTICS, model.stats_set}, threads, rows,
      [&](std::uint64_t first, std::uint64_t count, const float* block) {
        for (std::uint64_t i = 0; i < count; ++i) {
          const float* statistics = block + i * per_row;
          const bool finite = row_is_finite(statistics, per_row);
          const std::uint64_t row = rows ? (*rows)[first + i] : first + i;
          const dpa_inputs in = context.inputs(nullptr, 0, row);
          dpa_status s = row_features(model, statistics, per_row, in, finite, features.data());
          float& value = out.values[first + i];
          if (s == DPA_OK) {
            s = dpa_model_predict_features(&model, features.data(), features.size(), &value, scratch.data(),
                                           scratch.size());
          }
          out.statuses[first + i] = s;
          if (s != DPA_OK) value = NAN;
        }
      },
      [&](std::uint64_t done) { progress.update(done); });
  return out;
}

}  // namespace dpa::tools
