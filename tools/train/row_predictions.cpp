#include "train/row_predictions.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>

#include "common/parallel.hpp"
#include "common/progress.hpp"

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

}  // namespace dpa::tools
